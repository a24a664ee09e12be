import { check } from '../errors.js';
import { MASS_TOLERANCE } from './exact/validate.js';
import { type PairJob, softGrads } from './pairBatch.js';
import { type SinkhornProblem, scalingParameters } from './problem.js';
import {
  addScaledRows,
  batchValue,
  type Convergence,
  dotPerBatch,
  perCoordinate,
  perPoint,
  type SamplesLossResult,
  type SamplesLossValue,
} from './result.js';
import { logWeights } from './schedule.js';
import { type SinkhornPairs, type SinkhornState, sinkhornLoop } from './sinkhorn.js';
import { pointTerms } from './valueTerm.js';

/** Checks that every batch has equal masses (balanced OT). */
export function checkEqualMasses(a: Float64Array, b: Float64Array, B: number, n: number, m: number): void {
  for (let bt = 0; bt < B; bt++) {
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < n; i++) ma += a[bt * n + i]!;
    for (let j = 0; j < m; j++) mb += b[bt * m + j]!;
    check(
      Math.abs(ma - mb) <= MASS_TOLERANCE * Math.max(ma, mb),
      () =>
        `balanced OT needs equal total masses, got ${ma} and ${mb}${B > 1 ? ` in batch ${bt}` : ''} (set a reach for unbalanced OT)`,
    );
  }
}

/** A finished Sinkhorn loop with everything derived quantities need. */
export interface SinkhornRun {
  st: SinkhornState;
  pairs: SinkhornPairs;
  aLog: Float64Array;
  bLog: Float64Array;
  rho?: number;
  /** What a multi-level solver reports (default: one level, every pair). */
  convergence?: Convergence;
}

/** Validates masses, builds the pair operators and runs GeomLoss' loop. */
export function runSinkhorn(pr: SinkhornProblem, debias: boolean): SinkhornRun {
  const { x, y, a, b, opts } = pr;
  if (opts.reach === undefined) checkEqualMasses(a, b, x.B, x.n, y.n);
  const { epsList, rho } = scalingParameters(pr, pr.cost.p);
  const pairs: SinkhornPairs = { xy: pr.makePair(x, y, false), yx: pr.makePair(y, x, true) };
  if (debias) {
    pairs.xx = pr.makePair(x, x, false);
    pairs.yy = pr.makePair(y, y, false);
  }
  const aLog = logWeights(a);
  const bLog = logWeights(b);
  const st = sinkhornLoop(pairs, { aLog, bLog, epsList, rho, debias, tol: opts.tol, maxIter: opts.maxIter });
  return { st, pairs, aLog, bLog, rho };
}

/**
 * GeomLoss' Sinkhorn loss between sampled measures (debiased divergence or biased OT_ε, balanced
 * or unbalanced) with its gradients with respect to positions and weights.
 */
export function sinkhornSamples(
  pr: SinkhornProblem,
  run: (pr: SinkhornProblem, debias: boolean) => SinkhornRun = runSinkhorn,
): SamplesLossResult | SamplesLossValue {
  const { x, y, a, b, opts } = pr;
  const { B, n } = x;
  const m = y.n;
  const { st, pairs, rho, convergence } = run(pr, opts.debias);
  const eps = st.eps;

  // Per-point terms: value = Σ a φ_x + Σ b φ_y; weight gradients; potentials.
  const values = new Float64Array(B);
  const phiX = new Float64Array(B * n);
  const phiY = new Float64Array(B * m);
  const dA = new Float64Array(B * n);
  const dB = new Float64Array(B * m);
  const fPot = new Float64Array(B * n);
  const gPot = new Float64Array(B * m);
  pointTerms(st.fBA, st.fAA, eps, rho, phiX, dA, fPot);
  pointTerms(st.gAB, st.gBB, eps, rho, phiY, dB, gPot);
  dotPerBatch(a, phiX, B, n, values);
  dotPerBatch(b, phiY, B, m, values);

  const base: SamplesLossValue = {
    value: batchValue(values, x.batched),
    potentials: { f: perPoint(fPot, x, x.dtype), g: perPoint(gPot, y, y.dtype) },
    backend: pr.backend,
    iterations: st.iterations,
    convergence: convergence ?? {
      marginalError: st.marginalError,
      extraIterations: st.extraIterations,
      levels: [{ points: [x.n, y.n], iterations: st.iterations, pairsVisited: 1 }],
    },
  };
  if (!opts.gradients) return base;
  // The four soft gradients in one batch (one engine call for online pairs).
  const jobs: PairJob[] = [
    { pair: pairs.xy, h: st.hXY },
    { pair: pairs.yx, h: st.hYX },
  ];
  if (pairs.xx && pairs.yy && st.hXX && st.hYY) {
    jobs.push({ pair: pairs.xx, h: st.hXX }, { pair: pairs.yy, h: st.hYY });
  }
  const [sgXY, sgYX, sgXX, sgYY] = softGrads(eps, jobs);
  const gradX = positionGradient(x.d, a, st.fBA, sgXY!, st.fAA, sgXX, rho);
  const gradY = positionGradient(y.d, b, st.gAB, sgYX!, st.gBB, sgYY, rho);
  return {
    ...base,
    gradX: perCoordinate(gradX, x),
    gradY: perCoordinate(gradY, y),
    gradA: perPoint(dA, x, x.dtype),
    gradB: perPoint(dB, y, y.dtype),
  };
}

/**
 * Envelope-theorem gradient with respect to the row points u of a cross problem:
 *   Σ_j π_ij ∇C(u_i, v_j) − [debiased] Σ_j π^sym_ij ∇C(u_i, u_j),
 * with π_ij / w_i = softmax_j(h_j − C_ij/ε) from the final extrapolation (the soft gradients
 * `gCross`, `gSym`) and the row mass w_i = a_i (balanced) or a_i e^{−f_i/ρ} (unbalanced: the
 * true gradient, (ρ+ε)/(ρ+ε/2) times what GeomLoss' autograd returns).
 */
function positionGradient(
  d: number,
  w: Float64Array,
  fCross: Float64Array,
  gCross: Float64Array,
  fSym: Float64Array | undefined,
  gSym: Float64Array | undefined,
  rho: number | undefined,
): Float64Array {
  const out = new Float64Array(w.length * d);
  const mass = (f: Float64Array) => {
    if (rho === undefined) return w;
    const r = new Float64Array(w.length);
    for (let k = 0; k < w.length; k++) r[k] = w[k]! * Math.exp(-f[k]! / rho);
    return r;
  };
  addScaledRows(out, mass(fCross), gCross, d, 1);
  if (fSym && gSym) addScaledRows(out, mass(fSym), gSym, d, -1);
  return out;
}
