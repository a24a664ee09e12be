import { check } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { estimateSeconds, type ThroughputModel } from '../common/cost.js';
import type { Factory } from '../js/pool.js';
import { workerThreads } from '../js/pool.js';
import { PoolSlot, pooledKernel, type RowPool } from '../js/pooledKernel.js';
import { preludeLib } from '../js/prelude.js';
import { jsThreads } from '../js/threads.js';
import type { Backend, BackendStatus, CompiledKernel } from '../types.js';
import { ArenaPool, ArenaSlot, type Spawner } from './arenaPool.js';
import { generateWasm } from './codegen.js';
import { hostSource } from './host.js';
import { arenaMemory, sharedMemoryStatus } from './memory.js';

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

/**
 * The number of threads the wasm backend computes on: in Node the JS backend's count; in a
 * browser's worker thread with shared memory, navigator.hardwareConcurrency; else 1.
 */
export function wasmThreads(): number {
  if (threadsOverride !== undefined) return threadsOverride;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (spawner().spawner?.kind === 'web') return Math.max(1, nav?.hardwareConcurrency ?? 1);
  return jsThreads();
}

/**
 * Where worker threads come from, or why there are none: Node's worker_threads, or Web Workers
 * started from a browser's worker thread (a page's main thread cannot block in Atomics.wait, so it
 * computes on one thread; so does a page that is not cross-origin isolated).
 */
function spawner(): { spawner?: Spawner; reason: string } {
  const wt = workerThreads();
  if (wt) return { spawner: { kind: 'node', wt }, reason: 'worker_threads' };
  const g = globalThis as { Worker?: unknown; document?: unknown };
  if (typeof g.Worker !== 'function') return { reason: 'no worker threads in this runtime' };
  if (g.document !== undefined)
    return { reason: "a page's main thread cannot wait for workers; run in a Web Worker" };
  const mem = sharedMemoryStatus();
  if (!mem.available) return { reason: mem.reason };
  if (arenaPools.failed !== undefined) return { reason: arenaPools.failed };
  return {
    spawner: { kind: 'web', Worker: g.Worker as Extract<Spawner, { kind: 'web' }>['Worker'] },
    reason: 'Web Workers',
  };
}

let inlineWork = 1e6;

/** Testing knob: runs with less work than `w` (pairs x cost / 8) stay on the calling thread. Returns the previous value. */
export function setWasmInlineThreshold(w: number): number {
  const prev = inlineWork;
  inlineWork = w;
  return prev;
}

/** Worker pools: per-thread memories (fallback without shared memory) and the shared-memory one. */
const pools = new PoolSlot();
const arenaPools = new ArenaSlot();

/** Stops the wasm backend's worker threads (they restart on the next threaded run). */
export function shutdownWasmWorkers(): void {
  pools.shutdown();
  arenaPools.shutdown();
}

/** Testing knob: whether the calling thread takes rows too (default true; false leaves them to the workers). */
export function setWasmCallerWorks(on: boolean): void {
  pools.callerWorks = on;
  arenaPools.callerWorks = on;
}

/** Statistics of a wasm worker pool. */
export interface WasmPoolInfo {
  /** Worker threads (the calling thread computes too). */
  workers: number;
  /** Workers started so far (a browser's workers start while the first runs go on). */
  ready: number;
  runs: number;
  /** Chunks of rows the workers ran. */
  workerChunks: number;
  /** Whether the threads share one WebAssembly.Memory (else each copies the inputs into its own). */
  sharedMemory: boolean;
}

/** Which pool ran last: the shared-memory one (true) or the per-thread-memory one (false). */
let lastShared = true;

/** Statistics of the wasm worker pool that ran last, if one is running. */
export function wasmPoolInfo(): WasmPoolInfo | undefined {
  const a = arenaPools.current;
  if (a && lastShared) {
    return {
      workers: a.size,
      ready: a.ready,
      runs: a.runs,
      workerChunks: a.workerChunks,
      sharedMemory: true,
    };
  }
  const p = pools.info();
  return p && { ...p, ready: p.workers, sharedMemory: false };
}

/** The pool for a threaded run of a kernel compiled in `shared` mode, if threads are available. */
function poolFor(threads: number, shared: boolean): RowPool | undefined {
  if (threads <= 1) return undefined;
  lastShared = shared;
  if (!shared) return pools.get(threads);
  const s = spawner().spawner;
  return s && arenaPools.get(threads, arenaMemory(), s);
}

/**
 * Starts the wasm backend's worker threads ahead of the first run (in a browser, workers start
 * only while their parent thread is idle, so a Web Worker awaits this before it computes) and
 * resolves once they have started, or after about `timeoutMs`. Resolves to the pool's statistics,
 * or undefined where the backend runs on one thread.
 */
export async function startWasmWorkers(timeoutMs = 10_000): Promise<WasmPoolInfo | undefined> {
  const threads = wasmThreads();
  const p = sharedMemoryStatus().available ? poolFor(threads, true) : undefined;
  if (!(p instanceof ArenaPool)) return wasmPoolInfo();
  for (let k = 0; k < timeoutMs / 5 && p.ready < p.size; k++) await new Promise((r) => setTimeout(r, 5));
  return wasmPoolInfo();
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
  const n = wasmThreads();
  const threads = spawner();
  const mem = sharedMemoryStatus();
  if (!threads.spawner || n <= 1) {
    const why = threads.spawner ? 'one thread asked for' : threads.reason;
    return { available: true, device: `WebAssembly SIMD128, 1 thread (${why})` };
  }
  const memory = mem.available ? 'on one shared memory' : `each on its own memory (${mem.reason})`;
  return { available: true, device: `WebAssembly SIMD128, ${n} threads (${threads.reason}) ${memory}` };
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
 * their thread). Threads: worker_threads in Node; in a browser, Web Workers started from a Web
 * Worker of a cross-origin-isolated page (SharedArrayBuffer); elsewhere one thread. With shared
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
      key: `wasm:${spec.key}`,
      threads: wasmThreads,
      poolFor: (t) => poolFor(t, shared),
      inlineWork: () => inlineWork,
    });
  },
};
