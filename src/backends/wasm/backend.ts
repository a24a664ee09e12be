import { check } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { estimateSeconds, type ThroughputModel } from '../common/cost.js';
import type { Factory } from '../js/pool.js';
import { PoolSlot, pooledKernel } from '../js/pooledKernel.js';
import { preludeLib } from '../js/prelude.js';
import { jsThreads } from '../js/threads.js';
import type { Backend, BackendStatus, CompiledKernel } from '../types.js';
import { generateWasm } from './codegen.js';
import { hostSource } from './host.js';

/** A compiled wasm kernel: its factory (main thread), the factory source (workers), the module text. */
interface Entry {
  make: Factory;
  source: string;
  text: string;
  bytes: Uint8Array;
}

const cache = new Map<string, Entry>();
const stats = { compiled: 0 };

/**
 * Compiles a spec to a wasm kernel factory, cached in memory by spec key: codegen from the IR,
 * binary encoding, WebAssembly.Module compilation (synchronous).
 */
export function compileWasm(spec: KernelSpec): Entry {
  let hit = cache.get(spec.key);
  if (!hit) {
    const mod = generateWasm(spec);
    const source = hostSource(spec, mod.bytes);
    const make = new Function('$lib', source)(preludeLib()) as Factory;
    hit = { make, source, text: mod.text, bytes: mod.bytes };
    cache.set(spec.key, hit);
    stats.compiled++;
  }
  return hit;
}

/** Number of wasm kernels compiled in this process (tests, benchmarks). */
export function wasmStats(): { compiled: number; cached: number } {
  return { compiled: stats.compiled, cached: cache.size };
}

let threadsOverride: number | undefined;

/**
 * Sets the number of threads the wasm backend computes on (the calling thread plus n - 1 workers);
 * `undefined` restores the default: the JS backend's thread count (setJsThreads,
 * LAZYTENSOR_JS_THREADS, else the number of cores).
 */
export function setWasmThreads(n?: number): void {
  check(
    n === undefined || (Number.isInteger(n) && n >= 1 && n <= 1024),
    () =>
      `setWasmThreads: expected an integer between 1 and 1024 (or undefined for the default), got ${String(n)}`,
  );
  threadsOverride = n;
}

/** The number of threads the wasm backend computes on. */
export function wasmThreads(): number {
  return threadsOverride ?? jsThreads();
}

let inlineWork = 1e6;

/** Testing knob: runs with less work than `w` (pairs x cost / 8) stay on the calling thread. Returns the previous value. */
export function setWasmInlineThreshold(w: number): number {
  const prev = inlineWork;
  inlineWork = w;
  return prev;
}

const pools = new PoolSlot();

/** Stops the wasm backend's worker threads (they restart on the next threaded run). */
export function shutdownWasmWorkers(): void {
  pools.shutdown();
}

/** Statistics of the wasm worker pool, if one is running. */
export function wasmPoolInfo(): { workers: number; runs: number; workerChunks: number } | undefined {
  return pools.info();
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
  return { available: true, device: `WebAssembly SIMD128, ${wasmThreads()} thread(s)` };
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
 * their thread). The worker pool needs node:worker_threads, so a browser computes on one thread.
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
    const { make, source } = compileWasm(spec);
    return pooledKernel({
      backend: 'wasm',
      spec,
      make,
      source,
      key: `wasm:${spec.key}`,
      threads: wasmThreads,
      poolFor: (t) => pools.get(t),
      inlineWork: () => inlineWork,
    });
  },
};
