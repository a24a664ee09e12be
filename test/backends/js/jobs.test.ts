import { describe, expect, it } from 'vitest';
import { driveJobAsync, openJob, type PoolRun } from '../../../src/backends/js/jobs.js';
import { CTRL, ctrlLength } from '../../../src/backends/js/worker-source.js';
import { LazyTensorError } from '../../../src/errors.js';

/**
 * The calling thread's async side of a pool job (driveJobAsync) on a control block with no worker
 * thread behind it: workers that never join, a worker that fails, a pool that breaks.
 */
function fakeRun(
  nChunks: number,
  over: Partial<PoolRun> = {},
): PoolRun & { ran: number[]; finished: unknown[] } {
  const workers = 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * ctrlLength(workers)));
  openJob(ctrl, 1, nChunks);
  const ran: number[] = [];
  const finished: unknown[] = [];
  return {
    ctrl,
    epoch: 1,
    nChunks,
    workers,
    ran,
    finished,
    checkDead: () => {},
    chunk: (c) => void ran.push(c),
    finish: (e) => {
      finished.push(e);
      if (e !== undefined) throw e;
    },
    ...over,
  };
}

describe('driveJobAsync', () => {
  it('runs the chunks on the calling thread when no worker joins, then finishes', async () => {
    const r = fakeRun(5);
    let ticks = 0;
    const pending = driveJobAsync(r, 10);
    // The caller awaits first: nothing ran synchronously.
    expect(r.ran).toEqual([]);
    setImmediate(() => ticks++);
    await pending;
    expect(r.ran).toEqual([0, 1, 2, 3, 4]);
    expect(r.finished).toEqual([undefined]);
    expect(ticks).toBe(1);
    // The job is closed, and the workers were woken again meanwhile (EPOCH moved).
    expect(Atomics.load(r.ctrl, CTRL.EPOCH)).toBeGreaterThan(0);
  });

  it('waits for a worker that joined, and delivers once it is done', async () => {
    const r = fakeRun(4);
    // A "worker": joins, takes every chunk, counts itself done (as worker-source.ts does).
    const s = Atomics.load(r.ctrl, CTRL.STATE);
    expect(Atomics.compareExchange(r.ctrl, CTRL.STATE, s, s + 1)).toBe(s);
    const pending = driveJobAsync(r, 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.finished).toEqual([]);
    while (Atomics.add(r.ctrl, CTRL.NEXT, 1) < 4) {}
    Atomics.add(r.ctrl, CTRL.DONE, 1);
    Atomics.notify(r.ctrl, CTRL.DONE);
    await pending;
    expect(r.ran).toEqual([]);
    expect(r.finished).toEqual([undefined]);
  });

  it('rejects with the error of a failed chunk on the calling thread, or of a broken pool', async () => {
    const boom = new LazyTensorError('chunk failed');
    const r = fakeRun(3, {
      chunk: () => {
        throw boom;
      },
    });
    await expect(driveJobAsync(r, 1)).rejects.toBe(boom);
    const broken = fakeRun(3, {
      checkDead: () => {
        throw new LazyTensorError('js backend: worker pool unusable (pool shut down)');
      },
    });
    await expect(driveJobAsync(broken)).rejects.toThrow(/pool shut down/);
  });
});
