import { LazyTensorError } from '../../errors.js';
import { deadWorker, driveJob, driveJobAsync, type PoolRun, wakeWorkers } from './jobs.js';
import { CTRL } from './worker-source.js';

type WorkerThreads = typeof import('node:worker_threads');
type NodeWorker = import('node:worker_threads').Worker;
type MessagePort = import('node:worker_threads').MessagePort;

/**
 * What the worker pools share (js: `WorkerPool`, wasm on a shared memory: `ArenaPool`): the
 * control block, the broken state, synchronous and asynchronous runs through the one job
 * protocol of jobs.ts, and shutdown. A pool supplies how a job is opened (`open`: its data handed
 * to the workers, the job published on the control block) and how its workers stop.
 */
export abstract class JobPool<Job> {
  /** Set when a worker died or the pool was shut down: the pool must not be used again. */
  broken: string | undefined;
  /** Whether the calling thread takes chunks too (true; false leaves all rows to the workers: tests). */
  callerWorks = true;
  /** Jobs run so far. */
  runs = 0;
  protected epoch = 0;

  protected constructor(
    /** The backend's name in error messages. */
    private readonly backendName: string,
    protected readonly ctrl: Int32Array,
  ) {}

  /** Opens a job: hands its data to the workers and publishes it on the control block. */
  protected abstract open(job: Job): PoolRun;
  /** Terminates the worker threads. */
  protected abstract terminateWorkers(): void;

  protected markBroken(reason: string): void {
    this.broken ??= reason;
  }

  /** Throws the LazyTensorError of an unusable pool. */
  protected checkUsable(): void {
    if (this.broken)
      throw new LazyTensorError(`${this.backendName} backend: worker pool unusable (${this.broken})`);
  }

  /**
   * Throws (and breaks the pool) if it is unusable or one of its `size` workers selected by
   * `relevant` has exited: other workers may still write into that job's buffers, which are
   * therefore never reused.
   */
  protected checkWorkers(size: number, relevant: (w: number) => boolean): void {
    this.checkUsable();
    const w = deadWorker(this.ctrl, size, relevant);
    if (w < 0) return;
    const reason = `worker ${w} exited during a run`;
    this.shutdown();
    this.broken = reason;
    throw new LazyTensorError(`${this.backendName} backend: ${reason}`);
  }

  /** Stops the workers (the pool cannot be used afterwards). */
  shutdown(): void {
    this.markBroken('pool shut down');
    Atomics.store(this.ctrl, CTRL.SHUTDOWN, 1);
    wakeWorkers(this.ctrl);
    this.terminateWorkers();
  }

  /** Runs a job on the workers and the calling thread; throws LazyTensorError if a thread fails. */
  run(job: Job): void {
    driveJob(this.open(job), this.callerWorks);
  }

  /** Runs a job on the workers while the calling thread awaits (it takes no chunks); rejects as run throws. */
  async runAsync(job: Job): Promise<void> {
    await driveJobAsync(this.open(job));
  }

  /**
   * Starts worker `index` of a Node pool from `source` (eval'd) with a MessageChannel port in its
   * workerData; its failure or exit marks the pool broken; worker and port are unref'd, so an idle
   * pool never keeps the process alive.
   */
  protected nodeWorker(
    wt: WorkerThreads,
    source: string,
    workerData: Record<string, unknown>,
    index: number,
  ): { worker: NodeWorker; port: MessagePort } {
    const { port1, port2 } = new wt.MessageChannel();
    const worker = new wt.Worker(source, {
      eval: true,
      workerData: { ...workerData, port: port2 },
      transferList: [port2],
    });
    worker.on('error', (e) =>
      this.markBroken(`worker ${index} failed: ${(e as Error).message ?? String(e)}`),
    );
    worker.on('exit', (code) => this.markBroken(`worker ${index} exited with code ${code}`));
    worker.unref();
    port1.unref();
    return { worker, port: port1 };
  }
}
