/**
 * Every reduction kind, driven by its traits (src/reduction): the user output shape, and the
 * gradient rule checked against central finite differences of the reduction itself (js backend,
 * float64). A new kind registered in src/reduction/index.ts is checked here without edits,
 * except for its row in SHAPES.
 */
import { describe, expect, it } from 'vitest';
import { type LazyTensor, Vi, Vj } from '../../src/index.js';
import {
  REDUCTION_KINDS,
  type ReductionKind,
  type ReductionOutputsOf,
  reductionDef,
} from '../../src/reduction/index.js';
import { dot, expectClose, finiteDiff } from '../helpers/check.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 5;
const M = 6;
const K = 2;
const r = rng(31);
const X = uniform(r, N * 2, -1, 1);
const Y = uniform(r, M * 2, -1, 1);
const W = uniform(r, M * 3, 0.5, 2);
const opts = { backend: 'js' };

/** User shape of the values (or indices) over j, for a vector F of dimension 2 when allowed. */
const SHAPES: Record<ReductionKind, number[]> = {
  Sum: [N, 2],
  LogSumExp: [N, 1],
  LogSumExpWeight: [N, 3],
  SumSoftMaxWeight: [N, 3],
  Min: [N, 2],
  Max: [N, 2],
  ArgMin: [N, 2],
  ArgMax: [N, 2],
  Min_ArgMin: [N, 2],
  Max_ArgMax: [N, 2],
  KMin: [N, K, 2],
  ArgKMin: [N, K],
  KMin_ArgKMin: [N, K, 2],
};

/** The outputs of each kind, typed by the type-level map (so the compiler checks it against that map). */
const OUTPUTS: ReductionOutputsOf = {
  Sum: 'values',
  LogSumExp: 'values',
  LogSumExpWeight: 'values',
  SumSoftMaxWeight: 'values',
  Min: 'values',
  Max: 'values',
  ArgMin: 'indices',
  ArgMax: 'indices',
  Min_ArgMin: 'both',
  Max_ArgMax: 'both',
  KMin: 'values',
  ArgKMin: 'indices',
  KMin_ArgKMin: 'both',
};

function reduction(kind: ReductionKind, Xv: Float64Array, Yv: Float64Array, Wv: Float64Array) {
  const def = reductionDef(kind);
  const x = Vi({ data: Xv, shape: [N, 2] });
  const y = Vj({ data: Yv, shape: [M, 2] });
  const w = Vj({ data: Wv, shape: [M, 3] });
  const F: LazyTensor = def.scalarF ? x.sqdist(y).neg() : x.sub(y).square().add(x.mul(y).sin());
  const red = F.reduction(kind, 'j', {
    ...opts,
    ...(def.weighted ? { weight: w } : {}),
    ...(def.usesK ? { k: K } : {}),
  });
  return { red, x, y, w };
}

describe('reduction kinds', () => {
  it('the outputs trait agrees with the type-level map used by result types', () => {
    expect(Object.keys(OUTPUTS).sort()).toEqual([...REDUCTION_KINDS].sort());
    for (const kind of REDUCTION_KINDS) expect(reductionDef(kind).outputs, kind).toBe(OUTPUTS[kind]);
  });

  for (const kind of REDUCTION_KINDS) {
    const def = reductionDef(kind);
    it(`${kind}: output shape and gradient`, () => {
      const { red, x, y, w } = reduction(kind, X, Y, W);
      expect(red.shape).toEqual(SHAPES[kind]);
      const size = red.shape.reduce((a, b) => a * b, 1);
      const e = uniform(rng(8), size, -1, 1);
      const E = { data: e, shape: red.shape };
      if (def.outputs === 'indices') {
        // Index outputs are piecewise constant: zero gradient.
        expect(Array.from(red.grad(x, E).eval().data)).toEqual(new Array(N * 2).fill(0));
        return;
      }
      const at = (Xv: Float64Array, Yv: Float64Array, Wv: Float64Array) =>
        dot(reduction(kind, Xv, Yv, Wv).red.eval().data, e);
      expectClose(
        red.grad(x, E).eval().data,
        finiteDiff((v) => at(v, Y, W), X),
        1e-7,
        1e-8,
        'dX',
      );
      expectClose(
        red.grad(y, E).eval().data,
        finiteDiff((v) => at(X, v, W), Y),
        1e-7,
        1e-8,
        'dY',
      );
      if (def.weighted) {
        expectClose(
          red.grad(w, E).eval().data,
          finiteDiff((v) => at(X, Y, v), W),
          1e-7,
          1e-8,
          'dW',
        );
      }
    });
  }
});
