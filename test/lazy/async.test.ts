import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsPoolInfo, setJsCallerWorks, setJsInlineThreshold } from '../../src/backends/js/backend.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import {
  setWasmInlineThreshold,
  setWasmThreads,
  shutdownWasmWorkers,
  wasmPoolInfo,
} from '../../src/backends/wasm/index.js';
import {
  LazyTensorError,
  type NDArray,
  type Ranges,
  setJsThreads,
  shutdownJsWorkers,
  Vi,
  Vj,
} from '../../src/index.js';
import { mulberry32 } from '../../src/random.js';
import { useSharedCache } from '../backends/native/helpers.js';

/**
 * The async entries (LazyExpr.evalAsync, LazyTensor.reduceAsync) on 2 threads: the pool's
 * worker computes while the caller awaits. Results against the synchronous ones and dense
 * float64 references; the event loop runs meanwhile; concurrent calls queue; errors reject.
 */
beforeAll(() => {
  setJsThreads(2);
  setWasmThreads(2);
  setJsInlineThreshold(0);
  setWasmInlineThreshold(0);
});
afterAll(() => {
  setJsThreads(undefined);
  setWasmThreads(undefined);
  setJsInlineThreshold(1e6);
  setWasmInlineThreshold(1e6);
  setJsCallerWorks(true);
  shutdownJsWorkers();
  shutdownWasmWorkers();
});

const D = 3;
const G = 0.7;

function points(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * D }, () => 2 * r() - 1);
}

function sqdist(X: Float64Array, i: number, Y: Float64Array, j: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) s += (X[i * D + k]! - Y[j * D + k]!) ** 2;
  return s;
}

const N = 150;
const M = 170;
const X = points(N, 1);
const Y = points(M, 2);
const Bw = Float64Array.from(points(M, 3).subarray(0, M), (v) => v + 1.5);

// Rows 0..39 see columns [3, 50) and [77, 130); rows 60..N-1 see [100, 160); rows 40..59 none.
const ranges: Ranges = {
  ranges_i: Int32Array.from([0, 40, 60, N]),
  slices_i: Int32Array.from([2, 3]),
  redranges_j: Int32Array.from([3, 50, 77, 130, 100, 160]),
  ranges_j: Int32Array.from([0, M]),
  slices_j: Int32Array.from([1]),
  redranges_i: Int32Array.from([0, N]),
};
const colsOf = (i: number, ranged: boolean): number[] => {
  const all = Array.from({ length: M }, (_, j) => j);
  if (!ranged) return all;
  if (i < 40) return all.filter((j) => (j >= 3 && j < 50) || (j >= 77 && j < 130));
  if (i < 60) return [];
  return all.filter((j) => j >= 100 && j < 160);
};

interface Case {
  name: string;
  /** The reduction, run by a method (sync) or by reduceAsync. */
  sync(backend: string, r?: Ranges): NDArray;
  async(backend: string, r?: Ranges): Promise<NDArray>;
  /** Float64 reference of row i over its columns. */
  ref(i: number, cols: number[]): number[];
  exact?: boolean;
}

const x = Vi({ data: X, shape: [N, D] });
const y = Vj({ data: Y, shape: [M, D] });
const b = Vj({ data: Bw, shape: [M, 1] });
const dist = x.sqdist(y);
const gauss = dist.mul(-G).exp().mul(b);
const negDist = dist.mul(-G);

const CASES: Case[] = [
  {
    name: 'Gaussian sum',
    sync: (backend, r) => gauss.sum('j', { backend, ranges: r }),
    async: (backend, r) => gauss.reduceAsync('sum', 'j', { backend, ranges: r }),
    ref: (i, cols) => [cols.reduce((s, j) => s + Math.exp(-G * sqdist(X, i, Y, j)) * Bw[j]!, 0)],
  },
  {
    name: 'log-sum-exp',
    sync: (backend, r) => negDist.logsumexp('j', { backend, ranges: r }),
    async: (backend, r) => negDist.reduction('LogSumExp', 'j', { backend, ranges: r }).evalAsync(),
    ref: (i, cols) => {
      if (cols.length === 0) return [Number.NEGATIVE_INFINITY];
      const f = cols.map((j) => -G * sqdist(X, i, Y, j));
      const m = Math.max(...f);
      return [m + Math.log(f.reduce((s, v) => s + Math.exp(v - m), 0))];
    },
  },
  {
    name: 'arg-K-min (K = 4)',
    sync: (backend, r) => dist.argKmin(4, 'j', { backend, ranges: r }),
    async: (backend, r) => dist.reduceAsync('argKmin', 'j', { backend, ranges: r, k: 4 }),
    ref: (i, cols) => {
      const order = [...cols].sort((p, q) => sqdist(X, i, Y, p) - sqdist(X, i, Y, q) || p - q);
      return Array.from({ length: 4 }, (_, t) => order[t] ?? -1);
    },
    exact: true,
  },
];

/** Chunks run by the workers of a backend's pool so far. */
const workerChunks = (backend: string): number =>
  (backend === 'js' ? jsPoolInfo() : wasmPoolInfo())?.workerChunks ?? 0;

function expectRef(c: Case, got: NDArray, ranged: boolean): void {
  const w = got.data.length / N;
  for (let i = 0; i < N; i++) {
    const want = c.ref(i, colsOf(i, ranged));
    expect(want.length).toBe(w);
    for (let t = 0; t < w; t++) {
      const v = got.data[i * w + t]!;
      if (c.exact || !Number.isFinite(want[t]!)) expect(v).toBe(want[t]);
      else expect(Math.abs(v - want[t]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[t]!)));
    }
  }
}

describe.each(['js', 'wasm'])('async reductions on %s, 2 threads', (backend) => {
  for (const c of CASES) {
    for (const ranged of [false, true]) {
      it(`${c.name}${ranged ? ' with ranges' : ''}: equals the sync result and the float64 reference, run by the worker`, async () => {
        const r = ranged ? ranges : undefined;
        const sync = c.sync(backend, r);
        const before = workerChunks(backend);
        const got = await c.async(backend, r);
        expect(workerChunks(backend)).toBeGreaterThan(before);
        expect(got.shape).toEqual(sync.shape);
        expect(Array.from(got.data)).toEqual(Array.from(sync.data));
        expectRef(c, got, ranged);
      });
    }
  }

  it('a gradient evaluates asynchronously too', async () => {
    const e = { data: Float64Array.from({ length: N }, (_, i) => 1 + (i % 3)), shape: [N, 1] };
    const g = gauss.reduction('sum', 'j', { backend }).grad(x, e);
    const sync = g.eval();
    const got = await g.evalAsync();
    expect(got.shape).toEqual([N, D]);
    expect(Array.from(got.data)).toEqual(Array.from(sync.data));
  });

  it('the event loop keeps running while a long reduction is in flight', async () => {
    const n = 3000;
    const big = Vi({ data: points(n, 7), shape: [n, D] })
      .sqdist(Vj({ data: points(n, 8), shape: [n, D] }))
      .mul(-G)
      .exp();
    const sync = big.sum('j', { backend });
    let ticks = 0;
    let settled = false;
    const tick = (): void => {
      ticks++;
      if (!settled) setImmediate(tick);
    };
    setImmediate(tick);
    const before = workerChunks(backend);
    const pending = big.reduceAsync('sum', 'j', { backend });
    const ticksAtCall = ticks;
    const got = await pending;
    settled = true;
    const ticksAtEnd = ticks;
    expect(ticksAtCall).toBe(0);
    expect(ticksAtEnd).toBeGreaterThanOrEqual(2);
    // The worker ran every chunk (2 threads: 32 chunks of rows); the caller only awaited.
    expect(workerChunks(backend) - before).toBe(32);
    expect(Array.from(got.data)).toEqual(Array.from(sync.data));
  });

  it('concurrent async calls run one at a time, each with its own result', async () => {
    const sync = CASES.map((c) => c.sync(backend));
    const got = await Promise.all([
      ...CASES.map((c) => c.async(backend)),
      ...CASES.map((c) => c.async(backend)),
    ]);
    got.forEach((g, k) => {
      expect(Array.from(g.data)).toEqual(Array.from(sync[k % CASES.length]!.data));
    });
  });

  it('a sync call while an async one is in flight runs alone or is refused, never corrupts it', async () => {
    const sync = gauss.sum('j', { backend });
    const lse = negDist.logsumexp('j', { backend });
    const pending = gauss.reduceAsync('sum', 'j', { backend });
    if (backend === 'wasm') {
      // One shared memory holds the run in flight: a synchronous run would overwrite it.
      expect(() => negDist.logsumexp('j', { backend })).toThrow(LazyTensorError);
    } else {
      expect(Array.from(negDist.logsumexp('j', { backend }).data)).toEqual(Array.from(lse.data));
    }
    expect(Array.from((await pending).data)).toEqual(Array.from(sync.data));
    // Once settled, synchronous runs use the pool again.
    expect(Array.from(gauss.sum('j', { backend }).data)).toEqual(Array.from(sync.data));
  });

  it('errors reject with a LazyTensorError', async () => {
    await expect(dist.reduceAsync('argKmin', 'j', { backend, k: M + 1 })).rejects.toThrow(LazyTensorError);
    await expect(dist.reduceAsync('noSuchReduction', 'j', { backend })).rejects.toThrow(LazyTensorError);
    await expect(dist.reduceAsync('sum', 'k' as 'j', { backend })).rejects.toThrow(LazyTensorError);
    // Mismatched row counts are found when the reduction runs.
    const bad = dist.mul(Vi({ data: new Float64Array(N + 1), shape: [N + 1, 1] }));
    await expect(bad.reduceAsync('sum', 'j', { backend })).rejects.toThrow(LazyTensorError);
    // The pool still serves after the rejections.
    const sync = gauss.sum('j', { backend });
    expect(Array.from((await gauss.reduceAsync('sum', 'j', { backend })).data)).toEqual(
      Array.from(sync.data),
    );
  });
});

describe.skipIf(!nativeBackend.status().available)('async reductions on native', () => {
  it('run by its runAsync, equal to the sync results and the float64 references', async () => {
    useSharedCache();
    for (const c of CASES) {
      for (const r of [undefined, ranges]) {
        const sync = c.sync('native', r);
        const got = await c.async('native', r);
        expect(Array.from(got.data)).toEqual(Array.from(sync.data));
        expectRef(c, got, r !== undefined);
      }
    }
  }, 120_000);
});

describe('async reductions without threads', () => {
  it('one thread: resolves with the synchronous result', async () => {
    setJsThreads(1);
    try {
      const before = workerChunks('js');
      const sync = gauss.sum('j', { backend: 'js' });
      const got = await gauss.reduceAsync('sum', 'j', { backend: 'js' });
      expect(Array.from(got.data)).toEqual(Array.from(sync.data));
      expect(workerChunks('js')).toBe(before);
    } finally {
      setJsThreads(2);
    }
  });
});
