import { describe, expect, it } from 'vitest';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/leaves.js';
import { type LazyTensor, LazyTensorError, Pm, Vi, Vj } from '../../src/index.js';
import { buildSpec, type SpecRequest } from '../../src/kernel/spec.js';
import { specFor } from '../../src/kernel/specCache.js';
import { reduce } from '../../src/lazy/reduce.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * A user loop builds fresh Vi/Vj every call; the kernel spec is then found by the structure of the
 * request (variables by slot, category and dimension), not by node identity. Two requests that
 * differ in any op, integer parameter, dimension, dtype, axis, reduction, K, weight, accumulator
 * or variable pattern must never share a spec. Each case below runs one request, then its
 * neighbour, on fresh variables, and checks the second against a dense float64 loop (a wrong hit
 * would run the first one's kernel).
 */

const N = 4;
const M = 5;

function data(seed: number, n: number, d: number) {
  return { data: uniform(rng(seed), n * d, -1, 1), shape: [n, d] };
}

/** Dense reference: out[i] = Σ_j f(x_i, y_j) for a scalar f. */
function denseSum(
  X: Float64Array,
  Y: Float64Array,
  d: number,
  f: (x: number[], y: number[]) => number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    let acc = 0;
    for (let j = 0; j < M; j++) {
      acc += f(Array.from(X.subarray(i * d, i * d + d)), Array.from(Y.subarray(j * d, j * d + d)));
    }
    out.push(acc);
  }
  return out;
}

const sqd = (x: number[], y: number[]) => x.reduce((a, v, k) => a + (v - y[k]!) ** 2, 0);

function expectClose(got: ArrayLike<number>, want: readonly number[], digits = 10): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, k) => expect(got[k]).toBeCloseTo(w, digits));
}

describe('structural spec cache: a repeated shape of call on fresh variables', () => {
  const X2 = data(1, N, 2);
  const Y2 = data(2, M, 2);
  const X3 = data(3, N, 3);
  const Y3 = data(4, M, 3);

  it('a different integer parameter (pow 2 vs pow 3) gets its own kernel', () => {
    for (const n of [2, 3, 2]) {
      const out = Vi(X2).sqdist(Vj(Y2)).pow(n).sum('j', { backend: 'js' });
      expectClose(
        out.data,
        denseSum(X2.data, Y2.data, 2, (x, y) => sqd(x, y) ** n),
      );
    }
  });

  it('a different element index (elem 0 vs elem 1) gets its own kernel', () => {
    for (const k of [0, 1, 0]) {
      const out = Vi(X2).sub(Vj(Y2)).elem(k).exp().sum('j', { backend: 'js' });
      expectClose(
        out.data,
        denseSum(X2.data, Y2.data, 2, (x, y) => Math.exp(x[k]! - y[k]!)),
      );
    }
  });

  it('a different dimension (2 vs 3) gets its own kernel', () => {
    for (const [X, Y, d] of [
      [X2, Y2, 2],
      [X3, Y3, 3],
      [X2, Y2, 2],
    ] as const) {
      const out = Vi(X).sqdist(Vj(Y)).mul(-0.5).exp().sum('j', { backend: 'js' });
      expectClose(
        out.data,
        denseSum(X.data, Y.data, d, (x, y) => Math.exp(-0.5 * sqd(x, y))),
      );
    }
  });

  it('a different dtype (float64 vs float32) gets its own kernel and output type', () => {
    const X32 = { data: Float32Array.from(X2.data), shape: X2.shape };
    const Y32 = { data: Float32Array.from(Y2.data), shape: Y2.shape };
    const want = denseSum(X2.data, Y2.data, 2, (x, y) => Math.exp(-sqd(x, y)));
    const a = Vi(X2).sqdist(Vj(Y2)).neg().exp().sum('j', { backend: 'js' });
    const b = Vi(X32).sqdist(Vj(Y32)).neg().exp().sum('j', { backend: 'js' });
    const c = Vi(X2).sqdist(Vj(Y2)).neg().exp().sum('j', { backend: 'js' });
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(b.data).toBeInstanceOf(Float32Array);
    expect(c.data).toBeInstanceOf(Float64Array);
    expectClose(a.data, want, 12);
    expectClose(b.data, want, 5);
    expectClose(c.data, want, 12);
  });

  it('a different axis, reduction kind or K gets its own kernel', () => {
    const f = (x: number[], y: number[]) => Math.sin(sqd(x, y));
    const F = () => Vi(X2).sqdist(Vj(Y2)).sin();
    const table: number[][] = [];
    for (let i = 0; i < N; i++) {
      table.push([]);
      for (let j = 0; j < M; j++) {
        table[i]!.push(
          f(Array.from(X2.data.subarray(2 * i, 2 * i + 2)), Array.from(Y2.data.subarray(2 * j, 2 * j + 2))),
        );
      }
    }
    const sumJ = table.map((r) => r.reduce((a, b) => a + b, 0));
    const sumI = Array.from({ length: M }, (_, j) => table.reduce((a, r) => a + r[j]!, 0));
    const maxJ = table.map((r) => Math.max(...r));
    const lseJ = table.map((r) => Math.log(r.reduce((a, b) => a + Math.exp(b), 0)));
    const kmin = (K: number) => table.flatMap((r) => [...r].sort((a, b) => a - b).slice(0, K));
    for (let round = 0; round < 2; round++) {
      expectClose(F().sum('j', { backend: 'js' }).data, sumJ);
      expectClose(F().sum('i', { backend: 'js' }).data, sumI);
      expectClose(F().max('j', { backend: 'js' }).data, maxJ);
      expectClose(F().logsumexp('j', { backend: 'js' }).data, lseJ);
      expectClose(F().kmin(2, 'j', { backend: 'js' }).data, kmin(2));
      expectClose(F().kmin(3, 'j', { backend: 'js' }).data, kmin(3));
    }
  });

  it('the same variable used twice is not confused with two variables of the same shape', () => {
    const Z2 = data(5, N, 2);
    // x·x + y vs x·z + y: the same tree; the second reads a third array.
    for (let round = 0; round < 2; round++) {
      const x = Vi(X2);
      const a = x.dot(x).add(Vj(Y2).elem(0)).sum('j', { backend: 'js' });
      const b = Vi(X2).dot(Vi(Z2)).add(Vj(Y2).elem(0)).sum('j', { backend: 'js' });
      const want = (Z: Float64Array) =>
        Array.from({ length: N }, (_, i) => {
          let acc = 0;
          for (let j = 0; j < M; j++) {
            acc += X2.data[2 * i]! * Z[2 * i]! + X2.data[2 * i + 1]! * Z[2 * i + 1]! + Y2.data[2 * j]!;
          }
          return acc;
        });
      expectClose(a.data, want(X2.data));
      expectClose(b.data, want(Z2.data));
    }
  });

  it('operands in another order (y - x vs x - y) are different formulas', () => {
    for (let round = 0; round < 2; round++) {
      const a = Vi(X2).sub(Vj(Y2)).elem(0).sum('j', { backend: 'js' });
      const b = Vj(Y2).sub(Vi(X2)).elem(0).sum('j', { backend: 'js' });
      expectClose(
        a.data,
        denseSum(X2.data, Y2.data, 2, (x, y) => x[0]! - y[0]!),
      );
      expectClose(
        b.data,
        denseSum(X2.data, Y2.data, 2, (x, y) => y[0]! - x[0]!),
      );
    }
  });

  it('the wiring of the same nodes is part of the key: (x + y)(x - y) vs (x + y)(y - x)', () => {
    for (let round = 0; round < 2; round++) {
      const x = Vi(X2).elem(0);
      const y = Vj(Y2).elem(1);
      const a = x.add(y).mul(x.sub(y)).sum('j', { backend: 'js' });
      const x2 = Vi(X2).elem(0);
      const y2 = Vj(Y2).elem(1);
      const b = x2.add(y2).mul(y2.sub(x2)).sum('j', { backend: 'js' });
      expectClose(
        a.data,
        denseSum(X2.data, Y2.data, 2, (p, q) => (p[0]! + q[1]!) * (p[0]! - q[1]!)),
      );
      expectClose(
        b.data,
        denseSum(X2.data, Y2.data, 2, (p, q) => (p[0]! + q[1]!) * (q[1]! - p[0]!)),
      );
    }
  });

  it('which node of the formula is the weight is part of the key', () => {
    for (let round = 0; round < 2; round++) {
      for (const which of ['x', 'y'] as const) {
        const x = Vi(X2);
        const y = Vj(Y2);
        const F = x.sqdist(y).neg();
        const out = F.sumSoftmaxWeight(which === 'x' ? x : y, 'j', { backend: 'js' });
        const want: number[] = [];
        for (let i = 0; i < N; i++) {
          const xi = Array.from(X2.data.subarray(2 * i, 2 * i + 2));
          const e = Array.from({ length: M }, (_, j) =>
            Math.exp(-sqd(xi, Array.from(Y2.data.subarray(2 * j, 2 * j + 2)))),
          );
          const z = e.reduce((a, b) => a + b, 0);
          for (let c = 0; c < 2; c++) {
            want.push(which === 'x' ? xi[c]! : e.reduce((a, v, j) => a + v * Y2.data[j * 2 + c]!, 0) / z);
          }
        }
        expectClose(out.data, want);
      }
    }
  });

  it('a weighted reduction and its weight are part of the key', () => {
    const W1 = data(6, M, 1);
    const W2 = data(7, M, 2);
    for (let round = 0; round < 2; round++) {
      for (const W of [W1, W2]) {
        const d = W.shape[1]!;
        const F = Vi(X2).sqdist(Vj(Y2)).neg();
        const out = F.sumSoftmaxWeight(Vj(W), 'j', { backend: 'js' });
        const want: number[] = [];
        for (let i = 0; i < N; i++) {
          const e = Array.from({ length: M }, (_, j) =>
            Math.exp(
              -sqd(
                Array.from(X2.data.subarray(2 * i, 2 * i + 2)),
                Array.from(Y2.data.subarray(2 * j, 2 * j + 2)),
              ),
            ),
          );
          const z = e.reduce((a, b) => a + b, 0);
          for (let c = 0; c < d; c++) want.push(e.reduce((a, v, j) => a + v * W.data[j * d + c]!, 0) / z);
        }
        expectClose(out.data, want);
      }
    }
  });

  it('runtime parameters change values, never the kernel: each call reads its own', () => {
    for (const s of [0.5, 2, -1]) {
      const out = Vi(X2).sqdist(Vj(Y2)).mul(Pm(s)).sum('j', { backend: 'js' });
      expectClose(
        out.data,
        denseSum(X2.data, Y2.data, 2, (x, y) => s * sqd(x, y)),
      );
    }
  });

  it('another backend compiles its own kernel for the same spec', () => {
    const want = denseSum(X2.data, Y2.data, 2, (x, y) => Math.exp(-sqd(x, y)));
    for (const backend of ['js', 'wasm', 'js']) {
      const F = Vi(X2).sqdist(Vj(Y2)).neg().exp();
      const [x, y] = [...F.vars.keys()];
      const res = reduce({
        formula: F.formula,
        kind: 'Sum',
        axis: 'j',
        data: new Map([
          [x!, X2],
          [y!, Y2],
        ]),
        opts: { backend },
      });
      expect(res.backend).toBe(backend);
      expectClose(res.values!.data, want);
    }
  });
});

describe('specFor agrees with an uncached buildSpec on every request', () => {
  /** A mix of requests of neighbouring structures, each on fresh variables. */
  function requests(): SpecRequest[] {
    const x2 = () => Vi({ data: new Float64Array(2 * N), shape: [N, 2] });
    const y2 = () => Vj({ data: new Float64Array(2 * M), shape: [M, 2] });
    const y3 = () => Vj({ data: new Float64Array(3 * M), shape: [M, 3] });
    const x3 = () => Vi({ data: new Float64Array(3 * N), shape: [N, 3] });
    const gauss = (x: LazyTensor, y: LazyTensor) => x.sqdist(y).mul(-0.5).exp();
    const out: SpecRequest[] = [];
    const base = { kind: 'Sum', axis: 'j', dtype: 'float64' } as const;
    out.push({ ...base, formula: gauss(x2(), y2()).formula });
    out.push({ ...base, formula: gauss(x3(), y3()).formula });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, dtype: 'float32' });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, axis: 'i' });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, accumulator: 'kahan' });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, accumulator: 'float64' });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, kind: 'Max' });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, kind: 'KMin', k: 2 });
    out.push({ ...base, formula: gauss(x2(), y2()).formula, kind: 'KMin', k: 3 });
    out.push({ ...base, formula: x2().sqdist(y2()).pow(2).formula });
    out.push({ ...base, formula: x2().sqdist(y2()).pow(3).formula });
    out.push({ ...base, formula: y2().sqdist(x2()).pow(3).formula });
    out.push({ ...base, formula: x2().elem(1).add(y2().elem(0)).formula });
    out.push({ ...base, formula: x2().elem(0).add(y2().elem(0)).formula });
    out.push({ ...base, formula: x2().elem(0).add(y2().elem(1)).formula });
    const x = x2();
    // x and its transpose: two slots (i and j) of one index, bound to the same array.
    out.push({ ...base, formula: x.sqdist(x.t()).formula });
    const w = y2();
    out.push({
      ...base,
      kind: 'SumSoftMaxWeight',
      formula: gauss(x2(), y2()).formula,
      weight: w.formula,
    });
    out.push({ ...base, kind: 'SumSoftMaxWeight', formula: gauss(x2(), y2()).formula, weight: y3().formula });
    const y = y2();
    out.push({ ...base, kind: 'SumSoftMaxWeight', formula: gauss(x2(), y).formula, weight: y.formula });
    const [xa, ya] = [x2(), y2()];
    out.push({ ...base, kind: 'SumSoftMaxWeight', formula: gauss(xa, ya).formula, weight: xa.formula });
    return out;
  }

  it('same spec key and slot variables as a fresh build, in any order, twice over', () => {
    const all = [...requests(), ...requests().reverse(), ...requests()];
    for (const req of all) {
      const cached = specFor(req);
      const fresh = buildSpec(req);
      expect(cached.spec.key).toBe(fresh.spec.key);
      expect(cached.spec.transposed).toBe(fresh.spec.transposed);
      expect(cached.slotVars).toEqual(fresh.slotVars);
      cached.slotVars.forEach((v, k) => expect(v).toBe(fresh.slotVars[k]));
    }
    // All the structures are distinct kernels.
    expect(new Set(requests().map((r) => specFor(r).spec.key)).size).toBe(requests().length);
  });

  it('a rejected request is never cached: it throws on every call', () => {
    // Variable 7 of category i with dimensions 2 and 3.
    const bad = op('Concat', [Var(7, 2, 'i'), Var(7, 3, 'i')]);
    const good = op('Concat', [Var(7, 2, 'i'), Var(8, 3, 'i')]);
    const req = { kind: 'Sum', axis: 'j', dtype: 'float64' } as const;
    for (let round = 0; round < 2; round++) {
      expect(() => specFor({ ...req, formula: bad })).toThrow(/used with dimensions 2 and 3/);
      expect(specFor({ ...req, formula: good }).spec.slots).toHaveLength(2);
    }
    expect(() => specFor({ ...req, formula: bad, kind: 'KMin', k: 0 })).toThrow(LazyTensorError);
    expect(() => specFor({ ...req, formula: good, kind: 'KMin', k: 0 })).toThrow(/integer K >= 1/);
    expect(() => specFor({ ...req, formula: good, kind: 'KMin', k: 0 })).toThrow(/integer K >= 1/);
  });
});
