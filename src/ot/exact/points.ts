import { check } from '../../errors.js';
import type { CostFunction } from '../cost.js';
import { makeCost } from '../cost.js';
import { type PointsInput, readCloud, readWeights, type WeightsInput } from '../input.js';
import { OnlinePair } from '../pairs.js';
import { checkPointExtent } from '../scale.js';
import { type ExactOTResult, networkSimplex } from './networkSimplex.js';

/** Options of `exactOT`. */
export interface ExactOTOptions {
  a?: WeightsInput;
  b?: WeightsInput;
  /** Cost |x − y|^p / p, p ∈ {1, 2} (default 2), unless `cost` is given. */
  p?: number;
  /** Custom cost: a KeOps formula in X and Y, or a LazyTensor function. */
  cost?: string | CostFunction;
  /** Engine backend used to build the cost matrix. */
  compute?: string;
  maxIter?: number;
}

const EXACT_OT_OPTIONS = ['a', 'b', 'p', 'cost', 'compute', 'maxIter'];

/**
 * Exact (unregularised) optimal transport between two point clouds in GeomLoss units
 * (C = |x − y|^p / p): the cost matrix is built by the engine (`dense()`), then solved by the
 * network simplex. For dense problems up to a few thousand points.
 */
export function exactOT(x: PointsInput, y: PointsInput, opts: ExactOTOptions = {}): ExactOTResult {
  check(typeof opts === 'object' && opts !== null, 'exactOT: options must be an object');
  for (const k of Object.keys(opts))
    check(
      EXACT_OT_OPTIONS.includes(k),
      () => `exactOT: unknown option '${k}' (expected one of ${EXACT_OT_OPTIONS.join(', ')})`,
    );
  const cx = readCloud(x, 'exactOT: x');
  const cy = readCloud(y, 'exactOT: y');
  check(!cx.batched && !cy.batched, 'exactOT: expected unbatched point clouds [N, D] and [M, D]');
  check(cx.d === cy.d, () => `exactOT: x and y must have the same dimension D, got ${cx.d} and ${cy.d}`);
  check(
    cx.dtype === cy.dtype,
    () => `exactOT: x and y must have the same dtype, got ${cx.dtype} and ${cy.dtype}`,
  );
  checkPointExtent(cx, cy);
  const a = readWeights(opts.a, cx, 'exactOT: a');
  const b = readWeights(opts.b, cy, 'exactOT: b');
  const cost = makeCost(opts.p ?? 2, opts.cost, cx.d);
  const pair = new OnlinePair(cx, cy, cost, false, { compute: opts.compute });
  const C = pair.C.dense({ backend: opts.compute }).data;
  return networkSimplex(a, b, C, { maxIter: opts.maxIter });
}
