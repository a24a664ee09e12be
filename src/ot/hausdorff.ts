import { LazyTensorError } from '../errors.js';
import type { DType } from '../ndarray.js';
import { softmins } from './pairBatch.js';
import type { PairOps } from './pairs.js';
import { type SinkhornProblem, scalingParameters } from './problem.js';
import {
  addScaledRows,
  batchValue,
  type Convergence,
  perCoordinate,
  perPoint,
  type SamplesLossResult,
  type SamplesLossValue,
} from './result.js';
import { richardson } from './richardson.js';
import { dampening, formatNumber, logWeights, maxDiameter } from './schedule.js';
import { dualTerm } from './valueTerm.js';

/** Φ(f) = f (balanced) or (ρ+ε)(1 − e^{−f/ρ}) (unbalanced): the shared value term; and Φ'. */
function phiFns(eps: number, rho: number | undefined) {
  const phi = (f: number) => dualTerm(f, undefined, rho, (rho ?? 0) + eps);
  if (rho === undefined) return { phi, dphi: (_f: number) => 1 };
  return { phi, dphi: (f: number) => ((rho + eps) / rho) * Math.exp(-f / rho) };
}

/** The symmetric potential of one measure, its extrapolation to the other cloud and the inputs of the gradients. */
export interface SymmetricSolution {
  /** Final symmetric potential on its own cloud (after the last extrapolation). */
  self: Float64Array;
  /** The potential before the last step (it defines hSelf). */
  prev: Float64Array;
  /** log w + prev/ε. */
  hSelf: Float64Array;
  /** Extrapolation to the other cloud. */
  other: Float64Array;
}

/** One measure's symmetric problem: its self pair, the extrapolation pair, its log-weights. */
interface SymmetricSide {
  self: PairOps;
  ext: PairOps;
  logw: Float64Array;
}

/**
 * GeomLoss' symmetric loop for OT_ε(α, α): a ← ½(a + λ·softmin_ε(C, log α + a/ε)) along the
 * ε-schedule, then one last step and the extrapolation to the other cloud. Both measures' loops
 * run in lockstep, so each step's softmins form one batch (one engine call for online pairs).
 */
function symmetricPotentials(
  sides: readonly SymmetricSide[],
  epsList: readonly number[],
  rho: number | undefined,
): SymmetricSolution[] {
  const shifted = (eps: number, pots: readonly Float64Array[]) =>
    sides.map((sd, k) => Float64Array.from(sd.logw, (v, t) => v + pots[k]![t]! / eps));
  let eps = epsList[0]!;
  let lam = dampening(eps, rho);
  let pots = softmins(
    eps,
    sides.map((sd) => ({ pair: sd.self, h: sd.logw })),
  ).map((v) => scaleInPlace(v, lam));
  for (const e of epsList) {
    eps = e;
    lam = dampening(eps, rho);
    const hs = shifted(eps, pots);
    const ts = softmins(
      eps,
      sides.map((sd, k) => ({ pair: sd.self, h: hs[k]! })),
    );
    pots = pots.map((a, k) => a.map((v, t) => 0.5 * (v + lam * ts[k]![t]!)));
  }
  const hSelf = shifted(eps, pots);
  const last = softmins(eps, [
    ...sides.map((sd, k) => ({ pair: sd.self, h: hSelf[k]! })),
    ...sides.map((sd, k) => ({ pair: sd.ext, h: hSelf[k]! })),
  ]).map((v) => scaleInPlace(v, lam));
  return sides.map((_, k) => ({
    self: last[k]!,
    prev: pots[k]!,
    hSelf: hSelf[k]!,
    other: last[sides.length + k]!,
  }));
}

/** Gradients of E = ⟨β, Φ(a_y)⟩ − ⟨α, Φ(a_x)⟩ for one symmetric problem (α on u, β on v). */
interface SideGradients {
  du: Float64Array;
  dv: Float64Array;
  dAlpha: Float64Array;
  dBeta: Float64Array;
}

/**
 * Exact first-order derivatives of E(u, α, v, β) = Σ_k β_k Φ(a(v_k)) − Σ_i α_i Φ(a(u_i)), where
 * a is α's symmetric potential (a = λ T_α(a)) extrapolated to v. The extrapolation is not at an
 * optimum, so the envelope theorem does not apply: the dependence through the fixed point is
 * handled by the adjoint equation (I + λPᵀ) μ = ∂E/∂a, P_ij = softmax_j(log α_j + (a_j − C_ij)/ε),
 * whose spectrum lies in [1, 1+λ] (P is similar to a PSD matrix): Richardson iteration with
 * step 2/(2+λ) converges at rate λ/(2+λ) ≤ 1/3.
 * Pairs: self (rows u, cols u), ext (rows v, cols u), extT (rows u, cols v).
 */
function sideGradients(
  self: PairOps,
  ext: PairOps,
  extT: PairOps,
  sol: SymmetricSolution,
  alpha: Float64Array,
  beta: Float64Array,
  eps: number,
  rho: number | undefined,
  dtype: DType,
): SideGradients {
  const lam = dampening(eps, rho);
  const { phi, dphi } = phiFns(eps, rho);
  const d = self.d;
  const aScaled = sol.prev.map((v) => v / eps); // a_j/ε on the rows of extT and self
  const selfNorm = sol.self.map((v) => v / (lam * eps)); // −log Z_i of the self rows
  const otherNorm = sol.other.map((v) => v / (lam * eps)); // −log Z_k of the ext rows
  const w = beta.map((bk, k) => bk * dphi(sol.other[k]!));
  // T_j = Σ_k Q_kj/α_j w_k, Q_kj = softmax_j over the ext rows.
  const T = extT.weightedSum(eps, aScaled, otherNorm, w);
  // A point of zero weight has no row in the adjoint system (α_j = 0), whatever its kernel sums:
  // those overflow when the point lies far from the measure's mass (0·∞ would be NaN).
  const r = alpha.map((aj, j) => (aj === 0 ? 0 : -aj * dphi(sol.self[j]!) - lam * aj * T[j]!));
  // Pᵀμ: (Pᵀμ)_j = α_j Σ_i exp(a_j/ε + a_i/(λε) − C_ij/ε) μ_i (C symmetric).
  const Pt = (mu: Float64Array) =>
    self.weightedSum(eps, aScaled, selfNorm, mu).map((v, j) => (alpha[j] === 0 ? 0 : alpha[j]! * v));
  const mu = richardson(r, (v) => Pt(v), lam, dtype, 'hausdorff: the adjoint solve of the gradient');
  const PtOverAlpha = self.weightedSum(eps, aScaled, selfNorm, mu);

  const dAlpha = alpha.map((_, j) => -phi(sol.self[j]!) - lam * eps * (T[j]! + PtOverAlpha[j]!));
  const dBeta = beta.map((_, k) => phi(sol.other[k]!));
  const dv = new Float64Array(beta.length * d);
  addScaledRows(
    dv,
    w.map((v) => lam * v),
    ext.softGrad(eps, sol.hSelf),
    d,
    1,
  );
  const du = extT.weightedGrad(eps, sol.hSelf, otherNorm, w).map((v) => lam * v);
  addScaledRows(
    du,
    mu.map((v) => lam * v),
    self.softGrad(eps, sol.hSelf),
    d,
    1,
  );
  const implicit = self.weightedGrad(eps, sol.hSelf, selfNorm, mu);
  for (let k = 0; k < du.length; k++) du[k] = du[k]! + lam * implicit[k]!;
  return { du, dv, dAlpha, dBeta };
}

function scaleInPlace(v: Float64Array, s: number): Float64Array {
  for (let k = 0; k < v.length; k++) v[k] = v[k]! * s;
  return v;
}

/**
 * The Hausdorff divergence of Feydy et al. (2019), H_ε(α,β) = ½⟨α − β, ∇F_ε(β) − ∇F_ε(α)⟩ with
 * F_ε(α) = −½OT_ε(α,α):
 *   H = ½ [⟨α, Φ(b_x) − Φ(a_x)⟩ + ⟨β, Φ(a_y) − Φ(b_y)⟩],
 * a (resp. b) the symmetric potential of α (resp. β), computed with GeomLoss' ε-scaling and
 * extrapolated to the other cloud; Φ(f) = f, or (ρ+ε)(1 − e^{−f/ρ}) for unbalanced OT. Exact
 * gradients (adjoint of the symmetric fixed points). The cost is assumed symmetric.
 */
export function hausdorffSamples(pr: SinkhornProblem): SamplesLossResult | SamplesLossValue {
  const { x, y, a, b } = pr;
  const { epsList, rho } = scalingParameters(pr, pr.cost.p);
  const eps = epsList[epsList.length - 1]!;
  const pairs: HausdorffPairs = {
    xx: pr.makePair(x, x, false),
    yy: pr.makePair(y, y, false),
    xy: pr.makePair(x, y, false),
    yx: pr.makePair(y, x, true),
  };
  const aLog = logWeights(a);
  const bLog = logWeights(b);
  const [A, Bs] = symmetricPotentials(
    [
      { self: pairs.xx, ext: pairs.yx, logw: aLog }, // a_x, a_y
      { self: pairs.yy, ext: pairs.xy, logw: bLog }, // b_y, b_x
    ],
    epsList,
    rho,
  ) as [SymmetricSolution, SymmetricSolution];
  return hausdorffResult(pr, pairs, A, Bs, eps, rho, epsList.length);
}

/** Unit roundoff of the dtypes the engine computes in. */
const ROUNDOFF: Record<DType, number> = { float32: 2 ** -24, float64: 2 ** -53 };

/**
 * Largest rounding error (in units of the exponent) accepted in the exponents of the gradient's
 * unnormalised kernels exp(f_i/ε + g_j/ε − C_ij/ε). Each term is as large as extent^p/(p·ε) and
 * is rounded in the data's dtype (unit roundoff u). Measured relative gradient errors against
 * u·extent^p/(p·ε): float64, 3 points: 1.6e-3 at 0.011, 1.6e-2 at 0.12, 14% at 0.49, 36% at 1.1
 * (then finite garbage, then NaN); float32, 30 points: 4e-4 at 0.06, 8.5e-3 at 0.67, 4% at 6.
 */
export const HAUSDORFF_EXPONENT_ROUNDING = 0.1;

/**
 * Checks that the Hausdorff gradient can be computed in the data's dtype: its adjoint solve and
 * extrapolation gradients evaluate exp(f/ε + g/ε − C/ε) with terms up to extent^p/(p·ε), whose
 * rounding (unit roundoff × that size) must stay ≤ HAUSDORFF_EXPONENT_ROUNDING. The value and
 * potentials are computed by normalised log-sum-exps and are not affected.
 */
function checkGradientRounding(pr: SinkhornProblem, eps: number): void {
  const { x, y, opts } = pr;
  const p = pr.cost.p;
  const extent = maxDiameter(x, y);
  const size = extent ** p / (p * eps);
  const u = ROUNDOFF[x.dtype];
  if (!(u * size > HAUSDORFF_EXPONENT_ROUNDING)) return;
  const blurMin = ((u * extent ** p) / (p * HAUSDORFF_EXPONENT_ROUNDING)) ** (1 / p);
  throw new LazyTensorError(
    `samplesLoss: loss 'hausdorff' cannot compute gradients at blur = ${formatNumber(opts.blur)} for ${x.dtype} points ` +
      `spanning ${formatNumber(extent)}: the gradient evaluates exp(f/ε + g/ε − C/ε) with terms up to ` +
      `extent^p/(p·ε) = ${formatNumber(size)} (p = ${p}), whose ${x.dtype} rounding (${formatNumber(u * size)}) exceeds ` +
      `${HAUSDORFF_EXPONENT_ROUNDING}; use blur ≥ ${formatNumber(blurMin * 1.001)}${x.dtype === 'float32' ? ', float64 data' : ''}` +
      ` or gradients: false (the value is not affected)`,
  );
}

/**
 * The derivative with respect to a zero weight is exact but can overflow: adding mass at a point
 * far from its measure's mass moves the extrapolated potential by about exp(C/ε). Such a
 * derivative is a LazyTensorError, not a NaN or an infinity.
 */
function checkWeightGradient(grad: Float64Array, w: Float64Array, name: 'a' | 'b'): void {
  const k = grad.findIndex((v) => !Number.isFinite(v));
  if (k < 0) return;
  throw new LazyTensorError(
    `samplesLoss: loss 'hausdorff': the derivative with respect to the weight ${name}[${k}] = ${w[k]} overflows ` +
      'float64 (a point of zero weight far from the mass of its measure, compared with the blur, changes the ' +
      'extrapolated potential by about exp(C/ε)); give it a small positive weight, drop it, use a larger blur or ' +
      'gradients: false',
  );
}

/** The pairs of a Hausdorff divergence: the symmetric problems and the two extrapolations. */
export interface HausdorffPairs {
  xx: PairOps;
  yy: PairOps;
  /** Rows x, columns y (extrapolates β's potential to x) and its transpose. */
  xy: PairOps;
  yx: PairOps;
}

/**
 * Value, potentials and gradients of the Hausdorff divergence from the symmetric solutions A (of α,
 * on x, extrapolated to y) and Bs (of β); `pairs` are those the solutions were computed on (a
 * multiscale solve passes truncated symmetric pairs).
 */
export function hausdorffResult(
  pr: SinkhornProblem,
  pairs: HausdorffPairs,
  A: SymmetricSolution,
  Bs: SymmetricSolution,
  eps: number,
  rho: number | undefined,
  iterations: number,
  convergence?: Convergence,
): SamplesLossResult | SamplesLossValue {
  const { x, y, a, b, opts } = pr;
  const { xx, yy, xy, yx } = pairs;
  const { phi } = phiFns(eps, rho);
  const { B, n } = x;
  const m = y.n;
  const values = new Float64Array(B);
  for (let t = 0; t < B; t++) {
    let s = 0;
    for (let i = t * n; i < (t + 1) * n; i++) s += a[i]! * (phi(Bs.other[i]!) - phi(A.self[i]!));
    for (let k = t * m; k < (t + 1) * m; k++) s += b[k]! * (phi(A.other[k]!) - phi(Bs.self[k]!));
    values[t] = 0.5 * s;
  }
  const f = Bs.other.map((v, i) => v - A.self[i]!);
  const g = A.other.map((v, k) => v - Bs.self[k]!);
  const base: SamplesLossValue = {
    value: batchValue(values, x.batched),
    potentials: { f: perPoint(f, x, x.dtype), g: perPoint(g, y, y.dtype) },
    backend: pr.backend,
    iterations,
  };
  if (convergence) base.convergence = convergence;
  if (!opts.gradients) return base;
  checkGradientRounding(pr, eps);
  // E_α: α on x, β on y; E_β: β on y, α on x. H = ½(E_α + E_β).
  const gA = sideGradients(xx, yx, xy, A, a, b, eps, rho, x.dtype);
  const gB = sideGradients(yy, xy, yx, Bs, b, a, eps, rho, x.dtype);
  const gradX = scaleInPlace(
    gA.du.map((v, k) => v + gB.dv[k]!),
    0.5,
  );
  const gradY = scaleInPlace(
    gA.dv.map((v, k) => v + gB.du[k]!),
    0.5,
  );
  const gradA = scaleInPlace(
    gA.dAlpha.map((v, k) => v + gB.dBeta[k]!),
    0.5,
  );
  const gradB = scaleInPlace(
    gA.dBeta.map((v, k) => v + gB.dAlpha[k]!),
    0.5,
  );
  checkWeightGradient(gradA, a, 'a');
  checkWeightGradient(gradB, b, 'b');
  return {
    ...base,
    gradX: perCoordinate(gradX, x),
    gradY: perCoordinate(gradY, y),
    gradA: perPoint(gradA, x, x.dtype),
    gradB: perPoint(gradB, y, y.dtype),
  };
}
