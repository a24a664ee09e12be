import type { KernelSpec } from '../../kernel/spec.js';
import { estimateSeconds, type ThroughputModel } from '../common/cost.js';
import type { Factory } from '../js/pool.js';
import { pooledKernel } from '../js/pooledKernel.js';
import { preludeLib } from '../js/prelude.js';
import type { Backend, BackendStatus, CompiledKernel } from '../types.js';
import { generateWasm } from './codegen.js';
import { relaxedSimd } from './features.js';
import { hostSource } from './host.js';
import { arenaMemory, sharedMemoryStatus } from './memory.js';
import { poolFor, threadsStatus, wasmThreads } from './threads.js';

/** A compiled wasm kernel: its factory (main thread), the factory source (workers), the module text. */
interface Entry {
  make: Factory;
  source: string;
  text: string;
  bytes: Uint8Array;
  /** Whether the module imports the shared memory (else each thread's instance has its own). */
  shared: boolean;
}

const cache = new Map<string, Entry>();
const stats = { compiled: 0 };

/**
 * Compiles a spec to a wasm kernel factory, cached in memory by spec key: codegen from the IR,
 * binary encoding, WebAssembly.Module compilation (synchronous).
 */
export function compileWasm(spec: KernelSpec): Entry {
  const shared = sharedMemoryStatus().available;
  const key = shared ? spec.key : `own:${spec.key}`;
  let hit = cache.get(key);
  if (!hit) {
    const mod = generateWasm(spec, shared);
    const source = hostSource(spec, mod.bytes);
    const arena = shared ? arenaMemory() : undefined;
    const make = new Function('$lib', '$arena', source)(preludeLib(), arena) as Factory;
    hit = { make, source, text: mod.text, bytes: mod.bytes, shared };
    cache.set(key, hit);
    stats.compiled++;
  }
  return hit;
}

/** Number of wasm kernels compiled in this process (tests, benchmarks). */
export function wasmStats(): { compiled: number; cached: number } {
  return { compiled: stats.compiled, cached: cache.size };
}

let inlineWork = 1e6;

/** Testing knob: runs with less work than `w` (pairs x cost / 8) stay on the calling thread. Returns the previous value. */
export function setWasmInlineThreshold(w: number): number {
  const prev = inlineWork;
  inlineWork = w;
  return prev;
}

function probe(): BackendStatus {
  const W = (globalThis as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
  if (!W) return { available: false, reason: 'no WebAssembly in this runtime' };
  // The smallest module with a SIMD128 instruction: (func (result v128) (v128.const 0)).
  const simd = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  if (!W.validate(simd)) return { available: false, reason: 'this WebAssembly runtime has no SIMD128' };
  return {
    available: true,
    device: `WebAssembly SIMD128${relaxedSimd() ? ' with relaxed SIMD (FMA)' : ''}, ${threadsStatus()}`,
  };
}

let probed: BackendStatus | undefined;

/** First-call throughput (SIMD128 code: about three times the JS backend); measured on x86-64, rounded up. */
const WASM_MODEL: ThroughputModel = { fixedSeconds: 0.05, nsPerOp: 1 };

/**
 * The WebAssembly backend: kernels generated from the IR as wasm modules (SIMD128 over columns,
 * vector exp/log for float32), run on the calling thread or on worker threads that each hold an
 * instance. Synchronous like the JS backend.
 *
 * In browsers: kernels compile synchronously (new WebAssembly.Module). A kernel module is a few
 * KB; Chromium allows synchronous compilation on the main thread up to 8 MB (older versions:
 * 4 KB), and without limit in a Web Worker, where long reductions belong anyway (they block
 * their thread). Threads: worker_threads in Node; in a cross-origin-isolated page
 * (SharedArrayBuffer), Web Workers (on the page's main thread, for async runs only: it cannot
 * block); elsewhere one thread. With shared
 * memory (Node; isolated pages) every kernel imports one shared WebAssembly.Memory: a run writes
 * its inputs there once and each thread's instance runs its rows on them; without, each thread's
 * instance has its own memory and copies the inputs in.
 */
export const wasmBackend: Backend = {
  name: 'wasm',
  // Between native (10: compiled C++) and js (0): no compiler needed, SIMD128.
  priority: 5,
  status: () => {
    probed ??= probe();
    return probed.available ? probe() : probed;
  },
  estimateSeconds: (spec, pairs) => estimateSeconds(WASM_MODEL, spec, pairs, wasmThreads()),
  compile(spec: KernelSpec): CompiledKernel {
    const { make, source, shared } = compileWasm(spec);
    return pooledKernel({
      backend: 'wasm',
      spec,
      make,
      source,
      key: shared ? `wasm:${spec.key}` : `wasm-own:${spec.key}`,
      threads: wasmThreads,
      poolFor: (t, async) => poolFor(t, shared, async),
      // One shared memory holds every shared-memory kernel's run.
      lane: shared ? 'wasm-shared' : 'wasm-own',
      callerShares: shared,
      inlineWork: () => inlineWork,
    });
  },
};
