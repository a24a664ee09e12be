import { check } from '../../errors.js';
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
  /** Same, with the calling thread awaiting (not blocking) while the workers run the rows. */
  runAsync(job: PoolJob): Promise<void>;
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
  /** The pool for a run on `threads` threads, if any; `async`: for runAsync (the caller awaits, it cannot block). */
  poolFor: (threads: number, async: boolean) => RowPool | undefined;
  /** Runs below this much work (pairs × cost / 8) stay on the calling thread. */
  inlineWork: () => number;
  /**
   * What async runs of this backend hold while in flight (its pool; wasm's shared memory), so
   * that they run one at a time: kernels with the same lane queue their async runs.
   */
  lane: string;
  /**
   * Whether a run on the calling thread writes what an async run in flight holds (wasm's one
   * shared memory): a synchronous run is then refused until the async one settles. Otherwise it
   * runs on the calling thread alone while the pool is busy.
   */
  callerShares: boolean;
}

/** Per lane: async runs queued or in flight, and the settling of the last one queued. */
const lanes = new Map<string, { pending: number; tail: Promise<void> }>();

/** Whether async runs of `lane` are queued or in flight. */
function laneBusy(lane: string): boolean {
  return (lanes.get(lane)?.pending ?? 0) > 0;
}

/** Runs `f` after the async runs queued before it on `lane` settled (one at a time per lane). */
function inTurn(lane: string, f: () => Promise<void>): Promise<void> {
  let l = lanes.get(lane);
  if (!l) {
    l = { pending: 0, tail: Promise.resolve() };
    lanes.set(lane, l);
  }
  const q = l;
  q.pending++;
  const turn = q.tail.then(f);
  q.tail = turn.then(
    () => {
      q.pending--;
    },
    () => {
      q.pending--;
    },
  );
  return turn;
}

/**
 * A kernel that validates its run arguments, then runs its rows on the calling thread (small
 * work) or as many more chunks than threads on the pool, so that uneven rows balance.
 */
export function pooledKernel(k: PooledKernelParts): CompiledKernel {
  const { spec, make, source } = k;
  const cost = pairOps(spec);
  /** The pool and job of a run large enough for threads, if a pool is available. */
  const plan = (args: RunArgs, async: boolean): { pool: RowPool; job: PoolJob } | undefined => {
    const { nI, nJ } = args;
    const work = (rangedPairs(nI, nJ, args.ranges) * cost) / 8;
    // The thread count (an environment read) is asked only of runs large enough for a pool.
    const threads = nI > 1 && work >= k.inlineWork() ? k.threads() : 1;
    const pool = threads > 1 ? k.poolFor(threads, async) : undefined;
    if (!pool) return undefined;
    const job: PoolJob = {
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
    };
    return { pool, job };
  };
  return {
    backend: k.backend,
    run(args) {
      validateRunArgs(spec, args);
      if (args.nI === 0) return;
      if (laneBusy(k.lane)) {
        check(
          !k.callerShares,
          () =>
            `${k.backend} backend: an async reduction (evalAsync, reduceAsync) is still running on its shared memory; await it before a synchronous reduction on this backend`,
        );
        runRows(make, args, 0, args.nI);
        return;
      }
      const p = plan(args, false);
      if (p) p.pool.run(p.job);
      else runRows(make, args, 0, args.nI);
    },
    runAsync(args) {
      try {
        validateRunArgs(spec, args);
      } catch (e) {
        return Promise.reject(e);
      }
      if (args.nI === 0) return Promise.resolve();
      return inTurn(k.lane, async () => {
        const p = plan(args, true);
        if (p) await p.pool.runAsync(p.job);
        else runRows(make, args, 0, args.nI);
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
