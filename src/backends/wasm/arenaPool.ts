import { check } from '../../errors.js';
import { driveRows } from '../js/driver.js';
import { JobPool } from '../js/jobPool.js';
import { openJob, type PoolRun, wakeWorkers, workerError } from '../js/jobs.js';
import type { Factory, PoolJob } from '../js/pool.js';
import { CTRL, ctrlLength } from '../js/worker-source.js';
import type { KernelRanges } from '../types.js';
import { arenaWorkerSource, JOB, JOB_WORDS } from './arena-worker.js';
import type { WasmMemory } from './memory.js';

/** A wasm kernel factory on a shared memory (host.ts): stage a run's inputs once, attach every thread. */
export interface ArenaFactory extends Factory {
  stage(
    inputs: PoolJob['inputs'],
    nI: number,
    extras: readonly Int32Array[],
  ): { extras: number[]; read(out?: PoolJob['out'], outIdx?: Int32Array): void };
  attach(): ReturnType<Factory>;
}

/** How a pool member is reached: kernel sources by message, stopped at shutdown. */
interface Member {
  post(message: { type: 'kernel'; id: number; source: string }): void;
  /** The worker's error report, read synchronously where the runtime can (Node). */
  take(): unknown;
  terminate(): void;
}

type WorkerThreads = typeof import('node:worker_threads');

interface WebWorker {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(type: 'error', f: (e: { message?: string }) => void): void;
}
type WebWorkerCtor = new (url: string) => WebWorker;

/** Where a pool's threads come from: Node's worker_threads, or Web Workers (a browser's worker thread). */
export type Spawner = { kind: 'node'; wt: WorkerThreads } | { kind: 'web'; Worker: WebWorkerCtor };

/**
 * `size` worker threads that, with the calling thread, run the rows of one wasm kernel at a time
 * on ONE shared WebAssembly.Memory: the calling thread writes a run's inputs (and its chunk
 * bounds and ranges) into the memory once, publishes the job in the control block and takes chunks
 * too; each worker runs its chunks on its own instance of the kernel on the same memory; the
 * calling thread copies the outputs out at the end. Jobs need no message (browsers cannot read
 * one synchronously); a kernel's source is posted once per worker, and a worker that has not got
 * it (or has not started yet) skips that job, so a run never waits for a late worker.
 */
export class ArenaPool extends JobPool<PoolJob> {
  private readonly jb: number;
  private readonly members: Member[] = [];
  private readonly ids = new Map<string, number>();

  constructor(
    readonly size: number,
    readonly memory: WasmMemory,
    spawner: Spawner,
  ) {
    const jb = ctrlLength(size);
    super('wasm', new Int32Array(new SharedArrayBuffer(4 * (jb + JOB_WORDS))));
    this.jb = jb;
    try {
      for (let index = 0; index < size; index++) this.members.push(this.spawn(spawner, index));
    } catch (e) {
      for (const m of this.members) m.terminate();
      throw e;
    }
  }

  private spawn(s: Spawner, index: number): Member {
    const init = { ctrlBuffer: this.ctrl.buffer, memory: this.memory, index, workers: this.size };
    if (s.kind === 'node') {
      const { worker, port } = this.nodeWorker(s.wt, arenaWorkerSource('node'), init, index);
      return {
        post: (m) => port.postMessage(m),
        take: () => s.wt.receiveMessageOnPort(port)?.message,
        terminate: () => void worker.terminate(),
      };
    }
    const worker = new s.Worker(webWorkerUrl());
    worker.addEventListener('error', (e) =>
      this.markBroken(`worker ${index} failed: ${e.message ?? 'error'}`),
    );
    worker.postMessage({ type: 'init', ...init });
    return { post: (m) => worker.postMessage(m), take: () => undefined, terminate: () => worker.terminate() };
  }

  protected terminateWorkers(): void {
    for (const m of this.members) m.terminate();
  }

  /** Workers that have started (they join jobs from then on). */
  get ready(): number {
    return Atomics.load(this.ctrl, this.jb + JOB.READY);
  }

  /** Chunks the workers have run since the pool started. */
  get workerChunks(): number {
    return Atomics.load(this.ctrl, CTRL.WORKER_CHUNKS);
  }

  /** Writes a job's inputs into the shared memory and opens it on the control block. */
  protected open(job: PoolJob): PoolRun {
    this.checkUsable();
    const make = job.make as ArenaFactory;
    check(typeof make.stage === 'function', () => 'internal: the wasm pool runs shared-memory kernels only');
    let id = this.ids.get(job.key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(job.key, id);
      for (const m of this.members) m.post({ type: 'kernel', id, source: job.source });
    }
    const r = job.ranges;
    const extras = r ? [job.bounds, r.rowRanges, r.slices, r.colRanges] : [job.bounds];
    const staged = make.stage(job.inputs, job.nI, extras);
    const ctrl = this.ctrl;
    const jb = this.jb;
    const at = staged.extras;
    Atomics.store(ctrl, jb + JOB.KERNEL, id);
    Atomics.store(ctrl, jb + JOB.NJ, job.nJ);
    Atomics.store(ctrl, jb + JOB.BOUNDS, at[0]!);
    Atomics.store(ctrl, jb + JOB.RR, r ? at[1]! : -1);
    Atomics.store(ctrl, jb + JOB.SL, r ? at[2]! : -1);
    Atomics.store(ctrl, jb + JOB.CR, r ? at[3]! : -1);
    Atomics.store(ctrl, jb + JOB.NB, r ? r.slices.length : 0);
    Atomics.store(ctrl, jb + JOB.NR, r ? r.colRanges.length / 2 : 0);
    const epoch = ++this.epoch;
    const nChunks = job.bounds.length - 1;
    openJob(ctrl, epoch, nChunks);
    wakeWorkers(ctrl);
    this.runs++;
    let kernel: ReturnType<Factory> | undefined;
    let ranges: KernelRanges | undefined;
    return {
      ctrl,
      epoch,
      nChunks,
      workers: this.size,
      checkDead: (relevant) => this.checkWorkers(this.size, relevant),
      chunk: (c) => {
        if (!kernel) {
          kernel = make.attach();
          // Ranges as views of the shared memory: attached spans address them by their byte offset.
          const buf = this.memory.buffer as SharedArrayBuffer;
          ranges = r && {
            rowRanges: new Int32Array(buf, at[1]!, r.rowRanges.length),
            slices: new Int32Array(buf, at[2]!, r.slices.length),
            colRanges: new Int32Array(buf, at[3]!, r.colRanges.length),
          };
        }
        driveRows(kernel, job.nJ, ranges, job.bounds[c]!, job.bounds[c + 1]!);
      },
      finish: (mainError) => {
        if (mainError !== undefined) throw mainError;
        const err = Atomics.load(ctrl, CTRL.ERR);
        if (err >= 2) throw workerError('wasm', err - 2, this.members[err - 2]!.take());
        staged.read(job.out, job.outIdx);
      },
    };
  }
}

let blobUrl: string | undefined;

/** The Web Workers' script, as a Blob URL (made once). */
function webWorkerUrl(): string {
  blobUrl ??= URL.createObjectURL(new Blob([arenaWorkerSource('web')], { type: 'text/javascript' }));
  return blobUrl;
}

/**
 * The wasm backend's shared-memory pool, made on first need and remade when the thread count
 * changes or it broke; a pool whose workers all failed before any started (a browser that refuses
 * Web Workers, say) is not remade: the backend then computes on one thread and says why.
 */
export class ArenaSlot {
  private pool: ArenaPool | undefined;
  /** Why workers cannot start here, once they failed to. */
  failed: string | undefined;
  /** Whether the calling thread takes rows too (a testing knob). */
  callerWorks = true;

  /** The pool for `threads` computing threads (the caller plus threads - 1 workers), if workers start. */
  get(threads: number, memory: WasmMemory, spawner: Spawner): ArenaPool | undefined {
    const p = this.pool;
    if (p?.broken !== undefined && p.ready === 0) this.failed ??= p.broken;
    if (this.failed !== undefined) {
      this.shutdown();
      return undefined;
    }
    if (p && (p.broken !== undefined || p.size !== threads - 1)) this.shutdown();
    try {
      this.pool ??= new ArenaPool(threads - 1, memory, spawner);
    } catch (e) {
      this.failed = `workers cannot start: ${e instanceof Error ? e.message : String(e)}`;
      return undefined;
    }
    this.pool.callerWorks = this.callerWorks;
    return this.pool;
  }

  /** Stops the workers (they restart on the next threaded run). */
  shutdown(): void {
    this.pool?.shutdown();
    this.pool = undefined;
  }

  /** The running pool, if any. */
  get current(): ArenaPool | undefined {
    return this.pool;
  }
}
