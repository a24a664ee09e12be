/**
 * The native backend as a browser bundle sees it: package.json's "browser" map replaces
 * ./index.js by this file, so no Node module (node:fs, node:child_process, koffi) enters a bundle.
 * The backend reports itself unavailable; `auto` then picks the next one.
 */
import { LazyTensorError } from '../../errors.js';
import type { Backend } from '../types.js';
import type { NativeOptions } from './options.js';

export type { NativeOptions } from './options.js';
export { type NativeStats, stats as nativeStats } from './stats.js';

const REASON = 'the native backend needs Node.js (a C++ compiler and koffi); this is a browser build';

/** Always unavailable in a browser. */
export const nativeBackend: Backend = {
  name: 'native',
  status: () => ({ available: false, reason: REASON }),
  compile() {
    throw new LazyTensorError(`backend 'native' is not available: ${REASON}`);
  },
};

/** Throws: there is no compiler in a browser. */
export function precompileNative(_specs: readonly unknown[]): never {
  throw new LazyTensorError(`precompileNative: ${REASON}`);
}

/** Accepted and ignored: there is no native backend to configure in a browser. */
export function setNativeOptions(_o: NativeOptions): void {}

/** Nothing to delete in a browser: returns 0. */
export function clearNativeCache(): number {
  return 0;
}

/** Nothing to forget in a browser. */
export function resetNativeMemory(): void {}
