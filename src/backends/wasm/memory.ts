import { check } from '../../errors.js';

/** Most pages a kernel module's imported memory may have (the wasm32 limit: 4 GiB). */
export const MAX_PAGES = 65536;

/** The WebAssembly.Memory entries this backend uses (the project's TypeScript lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

type MemoryCtor = new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;

function memoryCtor(): MemoryCtor | undefined {
  return (globalThis as { WebAssembly?: { Memory?: MemoryCtor } }).WebAssembly?.Memory;
}

let override: boolean | undefined;
let probed: { available: boolean; reason: string } | undefined;

/**
 * Testing knob: `false` makes new wasm kernels import a memory of their own per thread (the
 * fallback where SharedArrayBuffer is missing), `true` or `undefined` the shared memory where
 * the runtime has one. Kernels compiled before keep their mode.
 */
export function setWasmSharedMemory(on?: boolean): void {
  check(
    on === undefined || typeof on === 'boolean',
    () => `setWasmSharedMemory: expected a boolean or undefined, got ${String(on)}`,
  );
  override = on;
}

/**
 * Whether kernels run on one shared WebAssembly.Memory (threads read the inputs written once), and
 * why not: SharedArrayBuffer exists only in Node and in cross-origin-isolated pages.
 */
export function sharedMemoryStatus(): { available: boolean; reason: string } {
  if (override === false)
    return { available: false, reason: 'shared memory turned off (setWasmSharedMemory)' };
  probed ??= probe();
  return probed;
}

function probe(): { available: boolean; reason: string } {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return {
      available: false,
      reason: 'no SharedArrayBuffer: a browser page needs the cross-origin-isolation headers COOP and COEP',
    };
  }
  const Memory = memoryCtor();
  try {
    const m = Memory && new Memory({ initial: 1, maximum: 1, shared: true });
    if (m && m.buffer instanceof SharedArrayBuffer) return { available: true, reason: 'shared memory' };
  } catch {
    // Falls through: no threads proposal in this runtime.
  }
  return { available: false, reason: 'this WebAssembly runtime has no shared memory' };
}

let arena: WasmMemory | undefined;

/**
 * This thread's shared memory (the arena every kernel instance imports; runs write their inputs
 * into it once and every thread's instance reads them). Its maximum is the largest the runtime
 * reserves: 4 GiB, else 1 GiB, else 256 MiB.
 */
export function arenaMemory(): WasmMemory {
  if (arena) return arena;
  const Memory = memoryCtor()!;
  let last: unknown;
  for (const maximum of [MAX_PAGES, MAX_PAGES / 4, MAX_PAGES / 16]) {
    try {
      arena = new Memory({ initial: 1, maximum, shared: true });
      return arena;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
