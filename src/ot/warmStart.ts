/**
 * Sinkhorn continued from given potentials at a fixed ε (no ε-scaling descent from the
 * diameter): for a sequence of nearby problems (the same target, a slightly moved source, as in
 * registration's match–fit alternations) a few steps from the previous potentials reach the
 * accuracy of a cold solve. Internal: used by the register layer, not part of the public API.
 */
import { check } from '../errors.js';
import type { FloatArray } from '../ndarray.js';
import { makeCost } from './cost.js';
import { readCloud } from './input.js';
import { resolveOptions } from './options.js';
import { AUTO_TENSORIZED_LIMIT, pairFactory } from './samplesLoss.js';
import { checkPointExtent, reachRho } from './scale.js';
import { logWeights } from './schedule.js';
import { sinkhornLoop } from './sinkhorn.js';

export interface WarmSinkhornOptions {
  blur: number;
  reach?: number;
  /** Potentials to start from: f on x [n] and g on y [m] (any ε; the loop runs at blur²). */
  f: Float64Array;
  g: Float64Array;
  /** Sinkhorn steps at ε = blur² (≥ 1): one symmetric step, then alternating ones. */
  steps: number;
  /** Stop earlier once the L1 marginal error is ≤ tol (default: run every step). */
  tol?: number;
  compute?: string;
  /** 'tensorized' or 'online' (default: tensorized for tiny problems, online otherwise). */
  backend?: 'tensorized' | 'online';
}

export interface WarmSinkhornResult {
  /** OT_ε(α, β) potentials, unextrapolated: f on x, g on y. */
  f: Float64Array;
  g: Float64Array;
  eps: number;
  rho?: number;
  /** L1 marginal error of the potentials before the last step. */
  marginalError: number;
}

/** Non-debiased, p = 2 Sinkhorn potentials between x [n, d] and y [m, d] from a warm start. */
export function warmSinkhorn(
  x: FloatArray,
  y: FloatArray,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: WarmSinkhornOptions,
): WarmSinkhornResult {
  const cx = readCloud({ data: x, shape: [x.length / d, d] }, 'warmSinkhorn: x');
  const cy = readCloud({ data: y, shape: [y.length / d, d] }, 'warmSinkhorn: y');
  check(
    o.f.length === cx.n && o.g.length === cy.n,
    () =>
      `warmSinkhorn: expected potentials of lengths ${cx.n} and ${cy.n}, got ${o.f.length} and ${o.g.length}`,
  );
  check(
    Number.isInteger(o.steps) && o.steps >= 1,
    () => `warmSinkhorn: steps must be an integer ≥ 1, got ${o.steps}`,
  );
  checkPointExtent(cx, cy);
  const opts = resolveOptions({
    loss: 'sinkhorn',
    p: 2,
    blur: o.blur,
    reach: o.reach,
    debias: false,
    gradients: false,
    backend: o.backend,
    compute: o.compute,
  });
  const backend = o.backend ?? (cx.n * cy.n <= AUTO_TENSORIZED_LIMIT ? 'tensorized' : 'online');
  const cost = makeCost(2, undefined, d);
  const make = pairFactory(opts, backend, cost);
  const eps = o.blur * o.blur;
  const rho = reachRho(2, o.reach);
  const st = sinkhornLoop(
    { xy: make(cx, cy, false), yx: make(cy, cx, true) },
    {
      aLog: logWeights(a),
      bLog: logWeights(b),
      epsList: [eps],
      rho,
      debias: false,
      init: { fBA: Float64Array.from(o.f), gAB: Float64Array.from(o.g) },
      tol: o.tol,
      maxIter: o.steps - 1,
      noExtrapolation: true,
    },
  );
  return { f: st.fBA, g: st.gAB, eps, rho, marginalError: st.marginalError };
}
