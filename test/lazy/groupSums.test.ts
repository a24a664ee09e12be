import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../src/backends/cuda/index.js';
import { nativeStats, setNativeOptions } from '../../src/backends/native/index.js';
import { LazyTensorError } from '../../src/errors.js';
import { rangesFromMask, registerBackend } from '../../src/index.js';
import { type ReduceRequest, reduce, Vi, Vj } from '../../src/lazy/index.js';
import { reduceAsync } from '../../src/lazy/reduce.js';
import type { NDArray } from '../../src/ndarray.js';
import { emulationUnavailable } from '../backends/cuda/helpers/emu.js';
import { emulatedBackend } from '../backends/cuda/helpers/run.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng } from '../helpers/rng.js';

/**
 * The `groupSums` option of arg reductions: per selected column k, Σ w_i x_i and Σ w_i over the
 * rows that select k. Checked against references written here: a dense float64 sum in plain row
 * order (within rounding), and the documented summation order written out (blocks of
 * max(8192, 8192·2^s ≥ 4 nJ) rows; tables i mod 4; block (t0 + t1) + (t2 + t3); blocks in order),
 * which every backend and thread count must give bit for bit.
 */
// The cuda backend (its CPU emulation here) sums on the host after its kernel, as js and wasm do.
const skipCuda = emulationUnavailable();
if (skipCuda) console.warn(`[lazytensor] groupSums on the cuda emulation SKIPPED: ${skipCuda}`);
const emu = skipCuda ? undefined : emulatedBackend({ scheme: '1d' });
if (emu) registerBackend(emu.backend);
const BACKENDS = [...backendsUnderTest(), ...(emu ? ['cuda'] : [])];
afterAll(() => {
  setNativeOptions({ threads: undefined });
  registerBackend(cudaBackend);
});

/** Values spread over many binades, so that another summation order gives other bits. */
function spread(r: () => number, n: number, dtype: 'float32' | 'float64') {
  const v = Float64Array.from({ length: n }, () => (r() - 0.3) * 2 ** Math.floor(r() * 30 - 10));
  return dtype === 'float32' ? Float32Array.from(v) : v;
}

/** The nearest centroid of each row (dense, −1 for a row with NaN), as the engine's ArgMin. */
function nearest(x: ArrayLike<number>, c: ArrayLike<number>, n: number, K: number, d: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let e = 0; e < d; e++) s += (x[i * d + e]! - c[k * d + e]!) ** 2;
      if (s < best) {
        best = s;
        out[i] = k;
      }
    }
  }
  return out;
}

/** Plain row-order float64 sums (the independent reference). */
function plainSums(
  v: ArrayLike<number>,
  w: ArrayLike<number> | undefined,
  idx: Int32Array,
  K: number,
  d: number,
) {
  const out = new Float64Array(K * (d + 1));
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0) continue;
    const wi = w ? w[i]! : 1;
    for (let e = 0; e < d; e++) out[k * (d + 1) + e]! += wi * v[i * d + e]!;
    out[k * (d + 1) + d]! += wi;
  }
  return out;
}

/** The documented order, written out naively. */
function orderedSums(
  v: ArrayLike<number>,
  w: ArrayLike<number> | undefined,
  idx: Int32Array,
  K: number,
  d: number,
) {
  let B = 8192;
  while (B < 4 * K) B *= 2;
  const r = d + 1;
  const out = new Float64Array(K * r);
  for (let s = 0; s < idx.length; s += B) {
    const t = [0, 1, 2, 3].map(() => new Float64Array(K * r));
    for (let i = s; i < Math.min(idx.length, s + B); i++) {
      const k = idx[i]!;
      if (k < 0) continue;
      const tab = t[i % 4]!;
      const wi = w ? w[i]! : 1;
      for (let e = 0; e < d; e++) tab[k * r + e]! += w ? wi * v[i * d + e]! : v[i * d + e]!;
      tab[k * r + d]! += wi;
    }
    for (let q = 0; q < K * r; q++) out[q]! += t[0]![q]! + t[1]![q]! + (t[2]![q]! + t[3]![q]!);
  }
  return out;
}

interface Case {
  n: number;
  K: number;
  d: number;
  dtype: 'float32' | 'float64';
  weighted: boolean;
  nanRows?: boolean;
}

function makeCase(c: Case, seed: number) {
  const r = rng(seed);
  const x = spread(r, c.n * c.d, c.dtype);
  if (c.nanRows) for (let i = 5; i < c.n; i += 997) x[i * c.d] = Number.NaN;
  const c64 = Float64Array.from({ length: c.K * c.d }, () => (r() - 0.3) * 2 ** Math.floor(r() * 20 - 5));
  const cent = c.dtype === 'float32' ? Float32Array.from(c64) : c64;
  const w = c.weighted
    ? Float64Array.from({ length: c.n }, (_, i) => (i % 13 === 0 ? 0 : r() * 3))
    : undefined;
  return { x, cent, w };
}

/** Runs `f`; on the native backend, checks that native code served it (no fallback). */
function natively<T>(backend: string, f: () => T): T {
  const before = nativeStats.nativeRuns;
  const fallback = nativeStats.fallbackRuns;
  const r = f();
  if (backend === 'native') {
    expect(nativeStats.nativeRuns - before).toBe(1);
    expect(nativeStats.fallbackRuns).toBe(fallback);
  }
  return r;
}

function run(
  backend: string,
  c: Case,
  data: ReturnType<typeof makeCase>,
  kind: 'ArgMin' | 'Max_ArgMax' = 'ArgMin',
  checkNative = true,
) {
  const X = Vi({ data: data.x, shape: [c.n, c.d] });
  const F = X.sqdist(Vj({ data: data.cent, shape: [c.K, c.d] }));
  const values: NDArray = { data: data.x, shape: [c.n, c.d] };
  const weights: NDArray | undefined = data.w && { data: data.w, shape: [c.n] };
  const go = () =>
    reduce({
      formula: F.formula,
      kind,
      axis: 'j',
      data: F.vars,
      opts: { backend },
      groupSums: { values, weights },
    });
  return checkNative ? natively(backend, go) : go();
}

const CASES: Case[] = [
  { n: 20000, K: 7, d: 3, dtype: 'float64', weighted: false },
  { n: 20000, K: 7, d: 3, dtype: 'float32', weighted: false, nanRows: true },
  { n: 20000, K: 5, d: 1, dtype: 'float64', weighted: true },
  { n: 17001, K: 9, d: 2, dtype: 'float32', weighted: true, nanRows: true },
  { n: 17003, K: 4, d: 5, dtype: 'float64', weighted: true },
  { n: 9000, K: 1, d: 3, dtype: 'float64', weighted: false },
  { n: 9003, K: 6, d: 3, dtype: 'float64', weighted: false, nanRows: true },
];

describe('groupSums of arg reductions', () => {
  CASES.forEach((c, ci) => {
    it(`n=${c.n} K=${c.K} D=${c.d} ${c.dtype}${c.weighted ? ' weighted' : ''}${c.nanRows ? ' NaN rows' : ''}: the documented order, bit for bit, on ${BACKENDS.join(', ')}`, () => {
      const data = makeCase(c, 100 + ci);
      const dense = nearest(data.x, data.cent, c.n, c.K, c.d);
      if (c.nanRows) expect(dense.includes(-1)).toBe(true);
      // Sums of every backend, for its own indices (float32 distances may break near-ties
      // otherwise than the float64 ones here).
      const sums: number[][] = [];
      for (const backend of BACKENDS) {
        for (const threads of backend === 'native' ? [1, 2] : [undefined]) {
          if (threads) setNativeOptions({ threads });
          const res = run(backend, c, data);
          const idx = res.indices!.data;
          if (c.dtype === 'float64') expect(Array.from(idx), `${backend} indices`).toEqual(Array.from(dense));
          else {
            let same = 0;
            for (let i = 0; i < c.n; i++) same += idx[i] === dense[i] ? 1 : 0;
            expect(same).toBeGreaterThan(0.99 * c.n);
            for (let i = 0; i < c.n; i++) expect(idx[i]! < 0).toBe(dense[i]! < 0);
          }
          const want = orderedSums(data.x, data.w, idx, c.K, c.d);
          const plain = plainSums(data.x, data.w, idx, c.K, c.d);
          for (let q = 0; q < want.length; q++) {
            expect(Math.abs(want[q]! - plain[q]!)).toBeLessThanOrEqual(
              1e-12 * plainSums(data.x.map(Math.abs), data.w, idx, c.K, c.d)[q]!,
            );
          }
          expect(res.groups!.shape).toEqual([c.K, c.d + 1]);
          expect(Array.from(res.groups!.data), `${backend} threads ${threads}`).toEqual(Array.from(want));
          if (c.dtype === 'float64') sums.push(Array.from(res.groups!.data));
        }
      }
      for (const s of sums) expect(s).toEqual(sums[0]);
    }, 60_000);
  });

  it('K larger than a block (blocks of 16384 rows at K = 2100), Min_ArgMin, into a given array', () => {
    const c: Case = { n: 20000, K: 2100, d: 2, dtype: 'float64', weighted: true };
    const data = makeCase(c, 7);
    const idx = nearest(data.x, data.cent, c.n, c.K, c.d);
    const want = orderedSums(data.x, data.w, idx, c.K, c.d);
    // Blocks of 8192 would give other bits: the block size is part of the definition.
    const B = 8192;
    const r = c.d + 1;
    const other = new Float64Array(c.K * r);
    for (let s = 0; s < c.n; s += B) {
      const part = orderedSums(
        data.x,
        data.w,
        idx.map((k, i) => (i >= s && i < s + B ? k : -1)),
        c.K,
        c.d,
      );
      for (let q = 0; q < other.length; q++) other[q]! += part[q];
    }
    expect(Array.from(other)).not.toEqual(Array.from(want));
    for (const backend of BACKENDS) {
      const into = { groups: new Float64Array(c.K * r).fill(5) };
      const X = Vi({ data: data.x, shape: [c.n, c.d] });
      const F = X.sqdist(Vj({ data: data.cent, shape: [c.K, c.d] }));
      const res = natively(backend, () =>
        reduce({
          formula: F.formula,
          kind: 'Min_ArgMin',
          axis: 'j',
          data: F.vars,
          opts: { backend },
          into,
          groupSums: {
            values: { data: data.x, shape: [c.n, c.d] },
            weights: { data: data.w!, shape: [c.n] },
          },
        }),
      );
      expect(res.groups!.data).toBe(into.groups);
      expect(Array.from(res.indices!.data)).toEqual(Array.from(idx));
      expect(Array.from(into.groups), backend).toEqual(Array.from(want));
    }
  }, 120_000);

  it('with ranges: rows in no block (index −1) add nothing', () => {
    const n = 12000;
    const K = 6;
    const d = 3;
    const data = makeCase({ n, K, d, dtype: 'float64', weighted: false }, 11);
    // Row blocks of 1000; blocks 3 and 7 see no column at all.
    const rowsI = Int32Array.from({ length: 24 }, (_, q) => (q >> 1) * 1000 + (q & 1) * 1000);
    const rowsJ = new Int32Array([0, 3, 3, 6]);
    const keep = Array.from({ length: 24 }, (_, q) => (q >> 1 !== 3 && q >> 1 !== 7 ? 1 : 0));
    const ranges = rangesFromMask(rowsI, rowsJ, keep);
    const idx = nearest(data.x, data.cent, n, K, d);
    for (let i = 0; i < n; i++) {
      const b = Math.floor(i / 1000);
      if (b === 3 || b === 7) idx[i] = -1;
    }
    const want = orderedSums(data.x, undefined, idx, K, d);
    for (const backend of BACKENDS) {
      const F = Vi({ data: data.x, shape: [n, d] }).sqdist(Vj({ data: data.cent, shape: [K, d] }));
      const res = natively(backend, () =>
        reduce({
          formula: F.formula,
          kind: 'ArgMin',
          axis: 'j',
          data: F.vars,
          opts: { backend, ranges },
          groupSums: { values: { data: data.x, shape: [n, d] } },
        }),
      );
      expect(Array.from(res.indices!.data)).toEqual(Array.from(idx));
      expect(Array.from(res.groups!.data), backend).toEqual(Array.from(want));
    }
  }, 60_000);

  it('reduceAsync gives the same sums', async () => {
    const c: Case = { n: 17001, K: 9, d: 2, dtype: 'float64', weighted: true };
    const data = makeCase(c, 23);
    for (const backend of BACKENDS) {
      const sync = run(backend, c, data);
      const X = Vi({ data: data.x, shape: [c.n, c.d] });
      const F = X.sqdist(Vj({ data: data.cent, shape: [c.K, c.d] }));
      const res = await reduceAsync({
        formula: F.formula,
        kind: 'ArgMin',
        axis: 'j',
        data: F.vars,
        opts: { backend },
        groupSums: { values: { data: data.x, shape: [c.n, c.d] }, weights: { data: data.w!, shape: [c.n] } },
      });
      expect(Array.from(res.groups!.data), backend).toEqual(Array.from(sync.groups!.data));
      expect(Array.from(res.groups!.data)).toEqual(
        Array.from(orderedSums(data.x, data.w, res.indices!.data, c.K, c.d)),
      );
    }
  }, 60_000);

  it.runIf(BACKENDS.includes('native'))(
    'native: the calls served by the fallback while compiling sum on the host, then native code takes over',
    () => {
      const c: Case = { n: 9001, K: 5, d: 4, dtype: 'float64', weighted: true };
      const data = makeCase(c, 31);
      const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lazytensor-groupsums-'));
      setNativeOptions({ sync: false, cacheDir: dir });
      try {
        const fallback = nativeStats.fallbackRuns;
        const first = run('native', c, data, 'Max_ArgMax', false);
        expect(nativeStats.fallbackRuns).toBe(fallback + 1);
        const want = orderedSums(data.x, data.w, first.indices!.data, c.K, c.d);
        expect(Array.from(first.groups!.data)).toEqual(Array.from(want));
        // Polls at most 6,000 times, 20 ms apart, without reading the clock.
        let served = nativeStats.nativeRuns;
        let res = first;
        for (let tries = 0; nativeStats.nativeRuns === served && tries < 6000; tries++) {
          sleep(20);
          served = nativeStats.nativeRuns;
          res = run('native', c, data, 'Max_ArgMax', false);
        }
        expect(nativeStats.nativeRuns).toBe(served + 1);
        expect(Array.from(res.indices!.data)).toEqual(Array.from(first.indices!.data));
        expect(Array.from(res.groups!.data)).toEqual(Array.from(want));
      } finally {
        setNativeOptions({ sync: true, cacheDir: path.join(os.tmpdir(), 'lazytensor-test-native-cache') });
      }
    },
    180_000,
  );

  it('refuses bad input with a LazyTensorError', () => {
    const n = 50;
    const x = new Float64Array(n * 2).map((_, k) => k % 7);
    const y = new Float64Array([0, 0, 3, 3, 6, 1]);
    const F = Vi({ data: x, shape: [n, 2] }).sqdist(Vj({ data: y, shape: [3, 2] }));
    const base: ReduceRequest = { formula: F.formula, kind: 'ArgMin', axis: 'j', data: F.vars };
    const values = { data: x, shape: [n, 2] };
    const bad: [Partial<ReduceRequest>, RegExp][] = [
      [{ groupSums: { values: { data: x.subarray(2), shape: [n - 1, 2] } } }, /expected shape \[50, D\]/],
      [
        { groupSums: { values, weights: { data: new Float64Array(n - 1), shape: [n - 1] } } },
        /weights: expected shape \[50\]/,
      ],
      [{ kind: 'Sum', groupSums: { values } }, /groupSums needs an arg reduction/],
      [{ kind: 'Min', groupSums: { values } }, /groupSums needs an arg reduction/],
      [{ kind: 'ArgKMin', k: 2, groupSums: { values } }, /groupSums needs an arg reduction/],
      [
        { axis: 'i', groupSums: { values: { data: y, shape: [3, 2] } } },
        /groupSums needs a reduction over j/,
      ],
      [
        { groupSums: { values }, into: { groups: new Float64Array(8) } },
        /into\.groups must be a Float64Array of 9 values/,
      ],
      [
        { groupSums: { values: { data: new Int32Array(n * 2) as unknown as Float64Array, shape: [n, 2] } } },
        /float32 or float64/,
      ],
    ];
    for (const backend of BACKENDS) {
      for (const [patch, msg] of bad) {
        const req = { ...base, ...patch, opts: { backend } } as ReduceRequest;
        expect(() => reduce(req)).toThrow(LazyTensorError);
        expect(() => reduce(req)).toThrow(msg);
      }
      const ok = reduce({ ...base, opts: { backend }, groupSums: { values } });
      expect(ok.groups!.shape).toEqual([3, 3]);
    }
  });
});
