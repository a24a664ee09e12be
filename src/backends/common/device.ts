import type { DeviceBuffer } from '../types.js';

/**
 * True for a device buffer of any backend (see DeviceBuffer in ../types.ts): an object, not a host
 * typed array nor an NDArray, that names its backend and can copy itself back to the host.
 */
export function isDeviceBuffer(x: unknown): x is DeviceBuffer {
  return (
    typeof x === 'object' &&
    x !== null &&
    !ArrayBuffer.isView(x) &&
    typeof (x as DeviceBuffer).backend === 'string' &&
    typeof (x as DeviceBuffer).toHost === 'function' &&
    typeof (x as DeviceBuffer).free === 'function'
  );
}
