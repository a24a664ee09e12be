import { check } from '../../errors.js';
import { workerThreads } from '../js/pool.js';
import { PoolSlot, type RowPool } from '../js/pooledKernel.js';
import { jsThreads } from '../js/threads.js';
import { ArenaPool, ArenaSlot, type Spawner } from './arenaPool.js';
import { arenaMemory, sharedMemoryStatus } from './memory.js';

/**
 * The wasm backend's threads: how many, where they come from (worker_threads, Web Workers) or why
 * there are none, and its two pools (threads on one shared memory; a memory per thread where
 * there is no shared memory).
 */

let threadsOverride: number | undefined;

/**
 * Sets the number of threads the wasm backend computes on (the calling thread plus n - 1 workers);
 * `undefined` restores the default (see wasmThreads). More than one thread needs worker threads:
 * Node, or a browser's Web Worker in a cross-origin-isolated page; elsewhere runs use one.
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
 * The number of threads the wasm backend computes on: setWasmThreads's, else in Node the JS
 * backend's count (setJsThreads, LAZYTENSOR_JS_THREADS, else the number of cores), in a browser
 * with shared memory navigator.hardwareConcurrency (a page's main thread: for its async runs), else 1.
 */
export function wasmThreads(): number {
  if (threadsOverride !== undefined) return threadsOverride;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (spawner().spawner?.kind === 'web') return Math.max(1, nav?.hardwareConcurrency ?? 1);
  return jsThreads();
}

/**
 * Where worker threads come from, or why there are none: Node's worker_threads, or Web Workers
 * in a cross-origin-isolated browser page. A page's main thread cannot block in Atomics.wait, so
 * there (`mainThread`) only async runs (evalAsync, reduceAsync) use the workers; its synchronous
 * runs compute on one thread.
 */
function spawner(): { spawner?: Spawner; reason: string; mainThread?: boolean } {
  const wt = workerThreads();
  if (wt) return { spawner: { kind: 'node', wt }, reason: 'worker_threads' };
  const g = globalThis as { Worker?: unknown; document?: unknown };
  if (typeof g.Worker !== 'function') return { reason: 'no worker threads in this runtime' };
  const mem = sharedMemoryStatus();
  if (!mem.available) return { reason: mem.reason };
  if (arenaPools.failed !== undefined) return { reason: arenaPools.failed };
  const mainThread = g.document !== undefined;
  return {
    spawner: { kind: 'web', Worker: g.Worker as Extract<Spawner, { kind: 'web' }>['Worker'] },
    reason: mainThread ? "Web Workers, for async runs only: a page's main thread cannot wait" : 'Web Workers',
    mainThread,
  };
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

/**
 * The pool for a threaded run of a kernel compiled in `shared` mode, if threads are available
 * (`async`: for an async run; a page's main thread gets a pool for those only).
 */
export function poolFor(threads: number, shared: boolean, async = false): RowPool | undefined {
  if (threads <= 1) return undefined;
  lastShared = shared;
  if (!shared) return pools.get(threads);
  const s = spawner();
  if (!s.spawner || (s.mainThread && !async)) return undefined;
  return arenaPools.get(threads, arenaMemory(), s.spawner);
}

/**
 * Starts the wasm backend's worker threads ahead of the first run (in a browser, workers start
 * only while their parent thread is idle, so a Web Worker, or a page's main thread before its
 * async runs, awaits this before it computes) and
 * resolves once they have started, or after about `timeoutMs`. Resolves to the pool's statistics,
 * or undefined where the backend runs on one thread.
 */
export async function startWasmWorkers(timeoutMs = 10_000): Promise<WasmPoolInfo | undefined> {
  const threads = wasmThreads();
  const p = sharedMemoryStatus().available ? poolFor(threads, true, true) : undefined;
  if (!(p instanceof ArenaPool)) return wasmPoolInfo();
  for (let k = 0; k < timeoutMs / 5 && p.ready < p.size; k++) await new Promise((r) => setTimeout(r, 5));
  return wasmPoolInfo();
}

/** The status line's thread part: how many threads, from where, on which memory; or 1 thread and why. */
export function threadsStatus(): string {
  const n = wasmThreads();
  const threads = spawner();
  if (!threads.spawner || n <= 1) {
    return `1 thread (${threads.spawner ? 'one thread asked for' : threads.reason})`;
  }
  const mem = sharedMemoryStatus();
  const memory = mem.available ? 'on one shared memory' : `each on its own memory (${mem.reason})`;
  return `${n} threads (${threads.reason}) ${memory}`;
}
