import { LazyTensorError } from '../../errors.js';
import { CTRL, jobTag, joinedSlot, STATE_CLOSED, STATE_COUNT, STOP_OFFSET } from './worker-source.js';

/**
 * The calling thread's side of a pool job on a control block (worker-source.ts): open it to the
 * workers, take chunks, close it and wait for the workers that joined. One implementation for
 * the pools of the js backend (jobs by message) and of the wasm backend (jobs on a shared memory).
 */

/** Opens job `epoch` of `nChunks` chunks to the workers (after its description is published). */
export function openJob(ctrl: Int32Array, epoch: number, nChunks: number): void {
  Atomics.store(ctrl, CTRL.NEXT, 0);
  Atomics.store(ctrl, CTRL.NCHUNKS, nChunks);
  Atomics.store(ctrl, CTRL.DONE, 0);
  Atomics.store(ctrl, CTRL.ERR, 0);
  Atomics.store(ctrl, CTRL.STATE, jobTag(epoch) << 12);
}

/** Wakes the workers sleeping on EPOCH (a new job is open, or the pool shuts down). */
export function wakeWorkers(ctrl: Int32Array): void {
  Atomics.add(ctrl, CTRL.EPOCH, 1);
  Atomics.notify(ctrl, CTRL.EPOCH);
}

/** Runs `chunk(c)` for chunks the calling thread takes; on its error stops the job and rethrows. */
export function takeChunks(ctrl: Int32Array, nChunks: number, chunk: (c: number) => void): void {
  try {
    for (;;) {
      const c = Atomics.add(ctrl, CTRL.NEXT, 1);
      if (c >= nChunks) break;
      chunk(c);
    }
  } catch (e) {
    stopJob(ctrl);
    throw e;
  }
}

/** Stops the current job after the calling thread failed: no more chunks are taken. */
export function stopJob(ctrl: Int32Array): void {
  Atomics.store(ctrl, CTRL.NEXT, STOP_OFFSET);
  Atomics.compareExchange(ctrl, CTRL.ERR, 0, 1);
}

/** Closes the open job to late workers; returns how many workers joined it. */
function closeJob(ctrl: Int32Array): number {
  for (;;) {
    const st = Atomics.load(ctrl, CTRL.STATE);
    if (Atomics.compareExchange(ctrl, CTRL.STATE, st, st | STATE_CLOSED) === st) return st & STATE_COUNT;
  }
}

/**
 * One look at a closed job: undefined once the `joined` workers are done, else the DONE count to
 * wait on (after `checkDead`, which throws when a worker that joined has exited).
 */
function pendingDone(
  ctrl: Int32Array,
  epoch: number,
  workers: number,
  joined: number,
  checkDead: (joined: (w: number) => boolean) => void,
): number | undefined {
  const done = Atomics.load(ctrl, CTRL.DONE);
  if (done >= joined) return undefined;
  const tag = jobTag(epoch) + 1;
  checkDead((w) => Atomics.load(ctrl, joinedSlot(workers, w)) === tag);
  return done;
}

/**
 * Closes job `epoch` to late workers and blocks until the workers that joined are done, calling
 * `checkDead(joined)` between waits (it throws when a worker that joined has exited).
 */
export function closeAndWait(
  ctrl: Int32Array,
  epoch: number,
  workers: number,
  checkDead: (joined: (w: number) => boolean) => void,
): void {
  const joined = closeJob(ctrl);
  for (;;) {
    const done = pendingDone(ctrl, epoch, workers, joined, checkDead);
    if (done === undefined) return;
    Atomics.wait(ctrl, CTRL.DONE, done, 200);
  }
}

/** The worker whose thread has exited among those `relevant` selects, if any. */
export function deadWorker(ctrl: Int32Array, workers: number, relevant: (w: number) => boolean): number {
  for (let w = 0; w < workers; w++) if (Atomics.load(ctrl, CTRL.DEAD + w) !== 0 && relevant(w)) return w;
  return -1;
}

/** The error of a run whose worker `w` failed (ERR = 2 + w), with its message when one came back. */
export function workerError(backend: string, w: number, message: unknown): LazyTensorError {
  return new LazyTensorError(`${backend} backend: worker ${w} failed: ${String(message ?? 'unknown error')}`);
}

/** Blocks until the workers have taken every chunk (the calling thread takes none: tests). */
export function waitAllTaken(
  ctrl: Int32Array,
  nChunks: number,
  checkDead: (relevant: (w: number) => boolean) => void,
): void {
  while (Atomics.load(ctrl, CTRL.NEXT) < nChunks) {
    checkDead(() => true);
    Atomics.wait(ctrl, CTRL.DONE, Atomics.load(ctrl, CTRL.DONE), 1);
  }
}

/** A job opened on a pool's control block, as the calling thread's side drives it to its end. */
export interface PoolRun {
  readonly ctrl: Int32Array;
  readonly epoch: number;
  readonly nChunks: number;
  /** The pool's number of workers. */
  readonly workers: number;
  /** Throws when a worker that `relevant` selects has exited, or the pool broke. */
  checkDead(relevant: (w: number) => boolean): void;
  /** Runs chunk `c` on the calling thread. */
  chunk(c: number): void;
  /** After the workers that joined are done: releases the run, throws `mainError` or a worker's error, else delivers the outputs. */
  finish(mainError: unknown): void;
}

/** Drives an open job to its end, blocking: the calling thread takes chunks (unless `callerWorks` is false), then waits. */
export function driveJob(r: PoolRun, callerWorks: boolean): void {
  let mainError: unknown;
  try {
    if (callerWorks) takeChunks(r.ctrl, r.nChunks, (c) => r.chunk(c));
    else waitAllTaken(r.ctrl, r.nChunks, (w) => r.checkDead(w));
  } catch (e) {
    mainError = e;
    stopJob(r.ctrl);
  }
  closeAndWait(r.ctrl, r.epoch, r.workers, (w) => r.checkDead(w));
  r.finish(mainError);
}

/** Polls without a joined worker after which the calling thread takes the chunks itself (workers that never start). */
export const TAKE_OVER_POLLS = 400;

/**
 * Drives an open job to its end without blocking the calling thread (a browser page's main
 * thread may not Atomics.wait): the workers take every chunk while the caller awaits, woken by
 * Atomics.waitAsync where the runtime has it, else by a short timer. Workers that missed the job
 * (a kernel or job message that came after their wake-up) are woken again; if none has joined
 * after `takeOverPolls` looks (about 6 s), the calling thread runs the chunks left itself. Same
 * protocol as driveJob: the job is closed once every chunk is taken, then the workers that joined
 * are awaited.
 */
export async function driveJobAsync(r: PoolRun, takeOverPolls = TAKE_OVER_POLLS): Promise<void> {
  const { ctrl, nChunks } = r;
  let mainError: unknown;
  try {
    for (let polls = 0, idle = 0; Atomics.load(ctrl, CTRL.NEXT) < nChunks; polls++) {
      r.checkDead(() => true);
      if ((Atomics.load(ctrl, CTRL.STATE) & STATE_COUNT) === 0) {
        idle++;
        if (idle >= takeOverPolls) {
          takeChunks(ctrl, nChunks, (c) => r.chunk(c));
          break;
        }
        if (idle % 8 === 0) wakeWorkers(ctrl);
      }
      await sleepOn(ctrl, CTRL.DONE, Atomics.load(ctrl, CTRL.DONE), Math.min(16, 1 << (polls >> 3)));
    }
  } catch (e) {
    mainError = e;
    stopJob(ctrl);
  }
  const joined = closeJob(ctrl);
  for (;;) {
    const done = pendingDone(ctrl, r.epoch, r.workers, joined, (w) => r.checkDead(w));
    if (done === undefined) break;
    await sleepOn(ctrl, CTRL.DONE, done, 16);
  }
  r.finish(mainError);
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: boolean; value: unknown };

/**
 * Resolves when `ctrl[index]` may have changed from `value` (Atomics.waitAsync) or after about
 * `ms` milliseconds, whichever comes first. The timer also keeps Node's event loop alive, which a
 * pending waitAsync alone does not.
 */
function sleepOn(ctrl: Int32Array, index: number, value: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    if (typeof waitAsync !== 'function') return;
    const w = waitAsync(ctrl, index, value, ms);
    const wake = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (!w.async) wake();
    else (w.value as Promise<unknown>).then(wake);
  });
}
