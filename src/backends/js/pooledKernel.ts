import type { KernelSpec } from '../../kernel/spec.js';
import { pairOps } from '../common/cost.js';
import { rangedPairs } from '../common/ranges.js';
import { validateRunArgs } from '../common/runargs.js';
import type { CompiledKernel, RunArgs } from '../types.js';
import { chunkBounds } from './chunks.js';
import { driveRows } from './driver.js';
import { type Factory, type PoolJob, WorkerPool, workerThreads } from './pool.js';

/** Runs rows [i0, i1) of a kernel on the calling thread, dense or block-sparse. */
export function runRows(make: Factory, args: RunArgs, i0: number, i1: number): void {
  const kernel = make(args.inputs, args.out, args.outIdx);
  driveRows(kernel, args.nJ, args.ranges, i0, i1);
}

/** A pool that runs the rows of one job on several threads (js: WorkerPool; wasm: also its shared-memory pool). */
export interface RowPool {
  run(job: PoolJob): void;
}

/** What a row-kernel backend (js, wasm) supplies to run its kernels on the calling thread or a pool. */
export interface PooledKernelParts {
  backend: string;
  spec: KernelSpec;
  /** The kernel factory on this thread, and its source for the workers. */
  make: Factory;
  source: string;
  /** Key of the factory in the workers' caches. */
  key: string;
  threads: () => number;
  poolFor: (threads: number) => RowPool | undefined;
  /** Runs below this much work (pairs × cost / 8) stay on the calling thread. */
  inlineWork: () => number;
}

/**
 * A kernel that validates its run arguments, then runs its rows on the calling thread (small
 * work) or as many more chunks than threads on the pool, so that uneven rows balance.
 */
export function pooledKernel(k: PooledKernelParts): CompiledKernel {
  const { spec, make, source } = k;
  const cost = pairOps(spec);
  return {
    backend: k.backend,
    run(args) {
      validateRunArgs(spec, args);
      const { nI, nJ } = args;
      if (nI === 0) return;
      const work = (rangedPairs(nI, nJ, args.ranges) * cost) / 8;
      // The thread count (an environment read) is asked only of runs large enough for a pool.
      const threads = nI > 1 && work >= k.inlineWork() ? k.threads() : 1;
      const p = threads > 1 ? k.poolFor(threads) : undefined;
      if (!p) {
        runRows(make, args, 0, nI);
        return;
      }
      p.run({
        key: k.key,
        source,
        make,
        inputs: args.inputs,
        out: args.out,
        outIdx: args.outIdx,
        nI,
        nJ,
        ranges: args.ranges,
        bounds: chunkBounds(nI, nJ, args.ranges, Math.min(nI, threads * 16)),
      });
    },
  };
}

/** One backend's worker pool, made on first need and remade when the thread count changes or it broke. */
export class PoolSlot {
  private pool: WorkerPool | undefined;
  /** Whether the calling thread takes rows too (a testing knob). */
  callerWorks = true;

  /** The pool for `threads` computing threads (the caller plus threads - 1 workers), if threads help. */
  get(threads: number): WorkerPool | undefined {
    const wt = workerThreads();
    if (!wt || threads <= 1) return undefined;
    if (this.pool && (this.pool.broken !== undefined || this.pool.size !== threads - 1)) this.shutdown();
    this.pool ??= new WorkerPool(threads - 1, wt);
    this.pool.callerWorks = this.callerWorks;
    return this.pool;
  }

  /** Stops the workers (they restart on the next threaded run). */
  shutdown(): void {
    this.pool?.shutdown();
    this.pool = undefined;
  }

  /** Statistics of the running pool (runs, chunks taken by workers), if one is running. */
  info(): { workers: number; runs: number; workerChunks: number } | undefined {
    const p = this.pool;
    return p && { workers: p.size, runs: p.runs, workerChunks: p.workerChunks };
  }
}
