/**
 * The CUDA backend as a browser bundle sees it: package.json's "browser" map replaces ./index.js
 * by this file, so koffi and node:* modules stay out of browser bundles. The backend reports
 * itself unavailable; `auto` then picks the next one. DeviceArray and CudaError are the real ones
 * (they import no Node module), so `isDeviceArray` and `instanceof` checks work unchanged.
 */
import { LazyTensorError } from '../../errors.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import type { Backend } from '../types.js';
import type { DeviceArray } from './device-array.js';

export { DeviceArray, type DeviceDType, isDeviceArray } from './device-array.js';
export { CudaError } from './errors.js';

const REASON = 'the CUDA backend needs Node.js (the CUDA driver through koffi); this is a browser build';

/** Always unavailable in a browser. */
export const cudaBackend: Backend = {
  name: 'cuda',
  status: () => ({ available: false, reason: REASON }),
  compile() {
    throw new LazyTensorError(`backend 'cuda' is not available: ${REASON}`);
  },
};

/** Throws: there is no CUDA device in a browser. */
export function toDevice(_a: NDArray | FloatArray | Int32Array, _shape?: readonly number[]): DeviceArray {
  throw new LazyTensorError(`toDevice: ${REASON}`);
}
