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
  let joined = 0;
  for (;;) {
    const st = Atomics.load(ctrl, CTRL.STATE);
    if (Atomics.compareExchange(ctrl, CTRL.STATE, st, st | STATE_CLOSED) === st) {
      joined = st & STATE_COUNT;
      break;
    }
  }
  const tag = jobTag(epoch) + 1;
  for (;;) {
    const done = Atomics.load(ctrl, CTRL.DONE);
    if (done >= joined) return;
    checkDead((w) => Atomics.load(ctrl, joinedSlot(workers, w)) === tag);
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
