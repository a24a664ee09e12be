/**
 * Conformance cases 16 (TensorDot with permutation: values and gradients) and 17 (Kron and the
 * equivalent TensorDot), against dense float64 references written here with explicit index loops.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/index.js';
import { op } from '../../src/formula/opRegistry.js';
import { encodeKron, encodeTensorDot, Var } from '../../src/formula/ops/index.js';
import {
  columns,
  cotangent,
  fdGrad,
  kernelGrad,
  relErr,
  rng,
  type Sizes,
  sumJ,
  uniform,
  type VarData,
} from './helpers.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Multi-index of a flat row-major offset. */
function unflat(o: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let q = shape.length - 1; q >= 0; q--) {
    idx[q] = o % shape[q]!;
    o = Math.floor(o / shape[q]!);
  }
  return idx;
}
function flat(idx: readonly number[], shape: readonly number[]): number {
  return idx.reduce((acc, v, q) => acc * shape[q]! + v, 0);
}

/**
 * Dense TensorDot at one pair as numpy would do it: res = tensordot(A, B, (contA, contB)) then
 * `transpose(argsort(perm))` (axis k of res goes to position perm[k]). Also accumulates the
 * gradients of e . out with respect to A and B.
 */
function denseTensorDot(
  A: Float64Array,
  B: Float64Array,
  dimsA: number[],
  dimsB: number[],
  contA: number[],
  contB: number[],
  perm: number[],
  e?: Float64Array,
  gA?: Float64Array,
  gB?: Float64Array,
  out?: Float64Array,
): void {
  const freeA = dimsA.map((_, k) => k).filter((k) => !contA.includes(k));
  const freeB = dimsB.map((_, k) => k).filter((k) => !contB.includes(k));
  const resShape = [...freeA.map((k) => dimsA[k]!), ...freeB.map((k) => dimsB[k]!)];
  const outShape = new Array<number>(resShape.length);
  perm.forEach((p, k) => {
    outShape[p] = resShape[k]!;
  });
  for (let p = 0; p < A.length; p++) {
    const ia = unflat(p, dimsA);
    for (let q = 0; q < B.length; q++) {
      const ib = unflat(q, dimsB);
      if (!contA.every((ax, c) => ia[ax] === ib[contB[c]!])) continue;
      const res = [...freeA.map((k) => ia[k]!), ...freeB.map((k) => ib[k]!)];
      const oi = new Array<number>(res.length);
      perm.forEach((pp, k) => {
        oi[pp] = res[k]!;
      });
      const o = flat(oi, outShape);
      if (out) out[o]! += A[p]! * B[q]!;
      if (e) {
        gA![p]! += e[o]! * B[q]!;
        gB![q]! += e[o]! * A[p]!;
      }
    }
  }
}

describe('case 16: TensorDot with permutation (M=10, N=6, float64)', () => {
  const sz: Sizes = { nI: 10, nJ: 6 };
  const dimsA = [2, 3, 2, 2, 4];
  const dimsB = [2, 4, 2, 3, 2, 3];
  const contA = [4, 0, 2];
  const contB = [1, 4, 2];
  const perm = [4, 3, 2, 0, 1];
  const x = Var(0, prod(dimsA), 'i');
  const y = Var(1, prod(dimsB), 'j');
  const F = op('TensorDot', [x, y], encodeTensorDot({ dimsA, dimsB, contA, contB, permute: perm }));
  const r = rng(16);
  const data: VarData = { i0: uniform(r, sz.nI * x.dim, -1, 1), j1: uniform(r, sz.nJ * y.dim, -1, 1) };
  const e = cotangent(F);
  data['i90'] = uniform(r, sz.nI * F.dim, -1, 1);

  const value = new Float64Array(sz.nI * F.dim);
  const gx = new Float64Array(sz.nI * x.dim);
  const gy = new Float64Array(sz.nJ * y.dim);
  for (let i = 0; i < sz.nI; i++) {
    for (let j = 0; j < sz.nJ; j++) {
      denseTensorDot(
        data.i0!.subarray(i * x.dim, (i + 1) * x.dim),
        data.j1!.subarray(j * y.dim, (j + 1) * y.dim),
        dimsA,
        dimsB,
        contA,
        contB,
        perm,
        data.i90!.subarray(i * F.dim, (i + 1) * F.dim),
        gx.subarray(i * x.dim, (i + 1) * x.dim),
        gy.subarray(j * y.dim, (j + 1) * y.dim),
        value.subarray(i * F.dim, (i + 1) * F.dim),
      );
    }
  }

  it('has the permuted output dimension and matches the dense value', () => {
    expect(F.dim).toBe(3 * 2 * 2 * 3 * 3);
    expect(relErr(sumJ(F, data, sz.nI, sz.nJ), value)).toBeLessThan(1e-13);
  });
  it('gradients with respect to x and y match the dense VJP and finite differences', () => {
    const g0 = kernelGrad(F, x, e, data, sz);
    expect(relErr(g0, gx)).toBeLessThan(1e-13);
    const g1 = kernelGrad(F, y, e, data, sz);
    expect(relErr(g1, gy)).toBeLessThan(1e-13);
    const ks = [0, 17, 50, 95];
    expect(
      relErr(columns(g0, x.dim, ks), columns(fdGrad(F, x, e, data, sz, 1e-6, ks), x.dim, ks)),
    ).toBeLessThan(1e-8);
  });
  it('second-order: gradient of the x-gradient with respect to y (bilinear, so exact)', () => {
    const e2 = Var(91, x.dim, 'i');
    data['i91'] = uniform(rng(17), sz.nI * x.dim, -1, 1);
    const G = grad(F, x, e);
    const ks = [0, 33, 100, 143];
    const g2 = columns(kernelGrad(G, y, e2, data, sz), y.dim, ks);
    expect(relErr(g2, columns(fdGrad(G, y, e2, data, sz, 1e-6, ks), y.dim, ks))).toBeLessThan(1e-8);
  });
});

describe('case 17: Kron and the equivalent TensorDot (M=11, N=150, float64)', () => {
  for (const [dimsA, dimsB, perm] of [
    [
      [2, 3],
      [2, 2],
      [0, 2, 1, 3],
    ],
    [
      [2, 3, 2],
      [2, 2, 3],
      [0, 2, 4, 1, 3, 5],
    ],
  ] as const) {
    it(`Kron [${dimsA}] x [${dimsB}]`, () => {
      const sz: Sizes = { nI: 11, nJ: 150 };
      const x = Var(0, prod(dimsA), 'i');
      const y = Var(1, prod(dimsB), 'j');
      const K = op('Kron', [x, y], encodeKron(dimsA, dimsB));
      const T = op(
        'TensorDot',
        [x, y],
        encodeTensorDot({ dimsA: [...dimsA], dimsB: [...dimsB], contA: [], contB: [], permute: [...perm] }),
      );
      expect(K.dim).toBe(x.dim * y.dim);
      const r = rng(17);
      const data: VarData = { i0: uniform(r, sz.nI * x.dim, 0, 1), j1: uniform(r, sz.nJ * y.dim, 0, 1) };
      // numpy.kron of two tensors with the same number of axes: out[i*dB + j] per axis.
      const outShape = dimsA.map((d, k) => d * dimsB[k]!);
      const ref = new Float64Array(sz.nI * K.dim);
      for (let i = 0; i < sz.nI; i++) {
        for (let j = 0; j < sz.nJ; j++) {
          for (let p = 0; p < x.dim; p++) {
            const ia = unflat(p, dimsA);
            for (let q = 0; q < y.dim; q++) {
              const ib = unflat(q, dimsB);
              const o = flat(
                ia.map((v, k) => v * dimsB[k]! + ib[k]!),
                outShape,
              );
              ref[i * K.dim + o]! += data.i0![i * x.dim + p]! * data.j1![j * y.dim + q]!;
            }
          }
        }
      }
      expect(relErr(sumJ(K, data, sz.nI, sz.nJ), ref)).toBeLessThan(1e-13);
      expect(relErr(sumJ(T, data, sz.nI, sz.nJ), ref)).toBeLessThan(1e-13);
      const e = cotangent(K);
      data['i90'] = uniform(r, sz.nI * K.dim, -1, 1);
      for (const v of [x, y]) {
        const g = kernelGrad(K, v, e, data, sz);
        expect(relErr(g, kernelGrad(T, v, e, data, sz))).toBeLessThan(1e-13);
        expect(relErr(g, fdGrad(K, v, e, data, sz))).toBeLessThan(1e-8);
      }
    });
  }
});
