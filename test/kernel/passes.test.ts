/**
 * The shared IR passes (src/kernel/passes): the gather push-down, the ops' summand trait used for
 * D-chunking, and the output split of large reduction states.
 */
import { describe, expect, it } from 'vitest';
import { type Node, topoOrder } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/index.js';
import { gather, planPasses, summandOf } from '../../src/kernel/passes/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { mulberry32 } from '../../src/random.js';
import { REDUCTION_KINDS, type ReductionKind, reductionDef } from '../../src/reduction/index.js';
import { sumJ, uniform } from '../formula/helpers.js';
import { expectClose } from '../helpers/check.js';

const D = 4;
const nI = 3;
const nJ = 5;
const x = Var(0, D, 'i');
const y = Var(1, D, 'j');
const r = mulberry32(7);
const X = uniform(r, nI * D, -1, 1);
const Y = uniform(r, nJ * D, -1, 1);
const data = { i0: X, j1: Y };

describe('gather', () => {
  it('computes only the selected components of an elementwise expression, with their values', () => {
    const F = op('Concat', [op('Mult', [op('Exp', [x]), y]), op('SqDist', [x, y])]);
    const idx = [1, 3, 4];
    const g = gather(F, idx);
    expect(g.dim).toBe(3);
    // Pushed down to the variables: Exp and Mult see only the two selected components of x and y.
    const wide = topoOrder(g).filter((n: Node) => n.op === 'Exp' || n.op === 'Mult');
    expect(wide.map((n: Node) => n.dim)).toEqual([2, 2]);
    const got = sumJ(g, data, nI, nJ);
    const want = new Float64Array(nI * 3);
    for (let i = 0; i < nI; i++) {
      for (let j = 0; j < nJ; j++) {
        const xi = (k: number) => X[i * D + k]!;
        const yj = (k: number) => Y[j * D + k]!;
        want[i * 3] += Math.exp(xi(1)) * yj(1);
        want[i * 3 + 1] += Math.exp(xi(3)) * yj(3);
        let s = 0;
        for (let k = 0; k < D; k++) s += (xi(k) - yj(k)) ** 2;
        want[i * 3 + 2] += s;
      }
    }
    expectClose(got, want, 1e-12);
  });
});

describe('summand trait', () => {
  const p = Var(2, 1, 'p');
  const s = Var(3, D, 'p');
  const M = Var(4, D * D, 'p');
  const P = uniform(r, 1, 0.5, 2);
  const S = uniform(r, D, 0.5, 2);
  const all = { ...data, p2: P, p3: S, p4: uniform(r, D * D, 0, 1) };

  it('each scalar op with a summand equals the sum of its summand', () => {
    const nodes = [
      op('Sum', [op('Exp', [x])]),
      op('SqNorm2', [x]),
      op('SqDist', [x, y]),
      op('Scalprod', [x, y]),
      op('WeightedSqNorm', [p, x]),
      op('WeightedSqNorm', [s, x]),
      op('WeightedSqDist', [p, x, y]),
      op('WeightedSqDist', [s, x, y]),
    ];
    for (const n of nodes) {
      const v = summandOf(n);
      expect(v, n.op).toBeDefined();
      expect(v!.dim).toBe(D);
      expectClose(sumJ(op('Sum', [v!]), all, nI, nJ), sumJ(n, all, nI, nJ), 1e-12);
    }
  });

  it('has no summand for ops that are not componentwise sums', () => {
    expect(summandOf(op('WeightedSqNorm', [M, x]))).toBeUndefined();
    expect(summandOf(op('Exp', [x]))).toBeUndefined();
    expect(summandOf(op('Norm2', [x]))).toBeUndefined();
    expect(summandOf(x)).toBeUndefined();
  });
});

describe('output split', () => {
  const wideF = (n: number) => op('Mult', [op('SqDist', [x, y]), Var(5, n, 'j')]);
  const scalar = op('SqDist', [x, y]);

  function request(kind: ReductionKind, dtype: 'float32' | 'float64') {
    const def = reductionDef(kind);
    const F = def.scalarF ? scalar : wideF(150);
    return buildSpec({
      formula: F,
      kind,
      axis: 'j',
      dtype,
      ...(def.weighted ? { weight: wideF(200) } : {}),
      ...(def.usesK ? { k: 3 } : {}),
    }).spec;
  }

  it('covers every output exactly once, with passes that fit the budget', () => {
    for (const kind of REDUCTION_KINDS) {
      for (const dtype of ['float32', 'float64'] as const) {
        const spec = request(kind, dtype);
        const plan = planPasses(spec);
        if (!plan) continue;
        const maxState = dtype === 'float64' ? 32 : 64;
        const def = reductionDef(kind);
        const seen: number[] = [];
        const n = Math.max(spec.outDim, spec.outIdxDim);
        for (let c0 = 0; c0 < plan.width; c0 += plan.chunk) {
          const w = Math.min(plan.chunk, plan.width - c0);
          const shape = plan.shape(w);
          const st = def.stateSize(shape);
          if (plan.chunk > 1) expect(st.f + st.i, kind).toBeLessThanOrEqual(maxState);
          const outs = def.outDims(shape);
          for (let k = 0; k < Math.max(outs.values, outs.indices); k++) {
            seen.push(Number(plan.outIndex(k, w, String(c0))));
            expect(plan.compOf(k, w)).toBeLessThan(w);
          }
        }
        expect(
          seen.sort((a, b) => a - b),
          `${kind} ${dtype}`,
        ).toEqual(Array.from({ length: n }, (_, k) => k));
      }
    }
  });

  it('splits the kinds with independent components and not the scalar ones', () => {
    const split = REDUCTION_KINDS.filter((k) => planPasses(request(k, 'float32')) !== undefined);
    expect(split).toEqual([
      'Sum',
      'LogSumExpWeight',
      'SumSoftMaxWeight',
      'Min',
      'Max',
      'ArgMin',
      'ArgMax',
      'Min_ArgMin',
      'Max_ArgMax',
      'KMin',
      'KMin_ArgKMin',
    ]);
  });
});
