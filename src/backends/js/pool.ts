import type { FloatArray } from '../../ndarray.js';
import type { KernelRanges } from '../types.js';
import { SharedBufferPool } from './buffers.js';
import { driveRows, type RowKernel } from './driver.js';
import { JobPool } from './jobPool.js';
import { openJob, type PoolRun, wakeWorkers, workerError } from './jobs.js';
import { nodeModule } from './node.js';
import { CTRL, ctrlLength, workerSource } from './worker-source.js';

type WorkerThreads = typeof import('node:worker_threads');
type Worker = import('node:worker_threads').Worker;
type MessagePort = import('node:worker_threads').MessagePort;

/** A kernel factory as compiled on one thread: make(inputs, out, outIdx) -> { span }. */
export type Factory = (
  inputs: readonly FloatArray[],
  out: FloatArray | undefined,
  outIdx: Int32Array | undefined,
) => RowKernel;

/** One threaded run: a kernel (its key, factory source and main-thread factory) and its data. */
export interface PoolJob {
  key: string;
  /** Factory body, a function of `$lib` (see codegen.ts); generated from the IR only. */
  source: string;
  make: Factory;
  inputs: readonly FloatArray[];
  out?: FloatArray;
  outIdx?: Int32Array;
  nI: number;
  nJ: number;
  ranges?: KernelRanges;
  /** Chunk boundaries over rows: chunk c is rows [bounds[c], bounds[c+1]). */
  bounds: Int32Array;
}

/** A typed array as it travels to a worker: a view of a SharedArrayBuffer. */
interface SharedDesc {
  type: 'f32' | 'f64' | 'i32';
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

type Typed = FloatArray | Int32Array;

interface Member {
  worker: Worker;
  port: MessagePort;
  keys: Set<string>;
}

/** The worker_threads module, or undefined where workers cannot run (then everything is inline). */
export function workerThreads(): WorkerThreads | undefined {
  const wt = nodeModule<WorkerThreads>('node:worker_threads');
  return wt && typeof SharedArrayBuffer === 'function' ? wt : undefined;
}

/**
 * A pool of `size` worker threads that, together with the calling thread, run the rows of one
 * kernel at a time. Jobs are handed over through a SharedArrayBuffer control block and a
 * MessagePort read synchronously (`receiveMessageOnPort`), and the caller blocks in Atomics.wait,
 * so `run` is synchronous. Rows are taken in chunks from a shared counter (dynamic balancing).
 * Workers join a job only while it is open; once every chunk is taken the caller closes it and
 * waits for the joined workers alone, so a worker that wakes late (busy machine, start-up) never
 * delays a run. Workers are unref'd: an idle pool never keeps the process alive.
 */
export class WorkerPool extends JobPool<PoolJob> {
  private readonly members: Member[] = [];
  private readonly buffers = new SharedBufferPool();

  constructor(
    readonly size: number,
    private readonly wt: WorkerThreads,
  ) {
    super('js', new Int32Array(new SharedArrayBuffer(4 * ctrlLength(size))));
    const src = workerSource();
    for (let index = 0; index < size; index++) {
      const { worker, port } = this.nodeWorker(
        wt,
        src,
        { ctrlBuffer: this.ctrl.buffer, index, workers: size },
        index,
      );
      this.members.push({ worker, port, keys: new Set() });
    }
  }

  protected terminateWorkers(): void {
    for (const m of this.members) void m.worker.terminate();
  }

  /** Shares a job's arrays with the workers and opens it on the control block. */
  protected open(job: PoolJob): PoolRun {
    this.checkUsable();
    const held: SharedArrayBuffer[] = [];
    const share = (a: Typed, copyIn: boolean): { desc: SharedDesc; view: Typed } => {
      const type = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
      if (a.buffer instanceof SharedArrayBuffer) {
        return { desc: { type, buffer: a.buffer, offset: a.byteOffset, length: a.length }, view: a };
      }
      const buffer = this.buffers.acquire(Math.max(1, a.byteLength));
      held.push(buffer);
      const Ctor = a.constructor as new (b: SharedArrayBuffer, o: number, n: number) => Typed;
      const view = new Ctor(buffer, 0, a.length);
      if (copyIn) view.set(a as never);
      return { desc: { type, buffer, offset: 0, length: a.length }, view };
    };
    const inputs = job.inputs.map((a) => share(a, true).desc);
    const out = job.out ? share(job.out, false) : undefined;
    const outIdx = job.outIdx ? share(job.outIdx, false) : undefined;
    const r = job.ranges;
    const epoch = ++this.epoch;
    const message = {
      epoch,
      key: job.key,
      compile: [] as { key: string; source: string }[],
      inputs,
      out: out?.desc ?? null,
      outIdx: outIdx?.desc ?? null,
      nJ: job.nJ,
      bounds: share(job.bounds, true).desc,
      rowRanges: r ? share(r.rowRanges, true).desc : null,
      slices: r ? share(r.slices, true).desc : null,
      colRanges: r ? share(r.colRanges, true).desc : null,
    };
    const ctrl = this.ctrl;
    const nChunks = job.bounds.length - 1;
    openJob(ctrl, epoch, nChunks);
    for (const m of this.members) {
      message.compile = m.keys.has(job.key) ? [] : [{ key: job.key, source: job.source }];
      m.port.postMessage(message);
      m.keys.add(job.key);
    }
    wakeWorkers(ctrl);
    this.runs++;
    let kernel: RowKernel | undefined;
    return {
      ctrl,
      epoch,
      nChunks,
      workers: this.size,
      checkDead: (relevant) => this.checkWorkers(this.size, relevant),
      chunk: (c) => {
        kernel ??= job.make(
          job.inputs,
          out?.view as FloatArray | undefined,
          outIdx?.view as Int32Array | undefined,
        );
        driveRows(kernel, job.nJ, job.ranges, job.bounds[c]!, job.bounds[c + 1]!);
      },
      finish: (mainError) => {
        if (mainError !== undefined) {
          this.releaseAll(held);
          throw mainError;
        }
        const err = Atomics.load(ctrl, CTRL.ERR);
        if (err >= 2) {
          const w = err - 2;
          const msg = this.wt.receiveMessageOnPort(this.members[w]!.port)?.message;
          this.releaseAll(held);
          throw workerError('js', w, msg);
        }
        if (job.out && out && out.view !== job.out) job.out.set(out.view as never);
        if (job.outIdx && outIdx && outIdx.view !== job.outIdx) job.outIdx.set(outIdx.view as Int32Array);
        this.releaseAll(held);
      },
    };
  }

  /** Chunks the workers have run since the pool started. */
  get workerChunks(): number {
    return Atomics.load(this.ctrl, CTRL.WORKER_CHUNKS);
  }

  private releaseAll(held: SharedArrayBuffer[]): void {
    for (const b of held) this.buffers.release(b);
  }
}
