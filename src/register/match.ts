/**
 * The RobOT projection: unbalanced (reach) or balanced, non-debiased Sinkhorn potentials (a cold
 * `samplesLoss` solve, or a few steps from the previous match's potentials), then, for every
 * source point, its soft barycentric target Σ_j π_ij y_j / Σ_j π_ij and its matched mass
 * Σ_j π_ij / a_i, both log-domain reductions of
 * log π_ij = log a_i + log b_j + (f_i + g_j − |x_i − y_j|²/2)/ε, with f the softmin of g
 * (the last half step of Sinkhorn, computed by the same reduction as the matched mass).
 */
import { Pm, Vi, Vj } from '../lazy/index.js';
import type { DType, FloatArray } from '../ndarray.js';
import type { OTBackend } from '../ot/options.js';
import { samplesLoss } from '../ot/samplesLoss.js';
import { dampening } from '../ot/schedule.js';
import { biasedValue } from '../ot/valueTerm.js';
import { warmSinkhorn } from '../ot/warmStart.js';

export interface MatchOptions {
  blur: number;
  reach?: number;
  scaling: number;
  backend?: OTBackend;
  compute?: string;
}

/** Potentials of a previous match (same target, same source points, possibly moved) to start from. */
export interface WarmStart {
  f: Float64Array;
  g: Float64Array;
  /** Sinkhorn steps at the new blur. */
  steps: number;
}

export interface Match {
  /** Barycentric targets [n·d] (float64). */
  target: Float64Array;
  /** Matched mass Σ_j π_ij / a_i per source point. */
  confidence: Float64Array;
  /** OT_ε(α, β) (GeomLoss' debias: false value) of the potentials (f, g). */
  loss: number;
  /** Dual potentials f on the source, g on the target (a warm start for the next match). */
  f: Float64Array;
  g: Float64Array;
}

function typed(v: ArrayLike<number>, dtype: DType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
}

function coldPotentials(
  x: FloatArray,
  y: FloatArray,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: MatchOptions,
) {
  const r = samplesLoss(
    { data: x, shape: [x.length / d, d] },
    { data: y, shape: [y.length / d, d] },
    {
      loss: 'sinkhorn',
      p: 2,
      blur: o.blur,
      reach: o.reach,
      scaling: o.scaling,
      debias: false,
      gradients: false,
      a,
      b,
      backend: o.backend,
      compute: o.compute,
    },
  );
  return Float64Array.from(r.potentials.g.data);
}

/**
 * Row log-sum-exps lse_i = log Σ_j exp(log b_j + g_j/ε − |q_i − y_j|²/(2ε)) of queries q [k, d]
 * against the target (the softmin of g: f_i = −λ ε lse_i), and the barycentric targets when asked.
 */
export function targetReductions(
  q: FloatArray,
  y: FloatArray,
  b: Float64Array,
  g: Float64Array,
  d: number,
  eps: number,
  compute: string | undefined,
  withTargets: boolean,
): { lse: Float64Array; target?: Float64Array } {
  const m = y.length / d;
  const dtype: DType = q instanceof Float32Array ? 'float32' : 'float64';
  const h = new Float64Array(m);
  for (let j = 0; j < m; j++) h[j] = Math.log(b[j]!) + g[j]! / eps;
  const X = Vi({ data: q, shape: [q.length / d, d] });
  const Y = Vj({ data: y, shape: [m, d] });
  const logits = Vj({ data: typed(h, dtype), shape: [m, 1] }).sub(X.sqdist(Y).mul(Pm(0.5 / eps)));
  const ro = { backend: compute };
  const lse = Float64Array.from(logits.logsumexp('j', ro).data);
  if (!withTargets) return { lse };
  return { lse, target: Float64Array.from(logits.sumSoftmaxWeight(Y, 'j', ro).data) };
}

/** Matched mass exp(f_i/ε + lse_i) with f = −λ ε lse: exp((1 − λ) lse_i), λ = 1/(1 + ε/ρ). */
export function matchedMass(lse: Float64Array, eps: number, rho: number | undefined): Float64Array {
  const k = 1 - dampening(eps, rho);
  return lse.map((v) => Math.exp(k * v));
}

/**
 * Matches the source x [n, d] to the target y [m, d] (same dtype) at blur σ (ε = σ²), from the
 * potentials of a previous match when `warm` is given.
 */
export function robotMatch(
  x: FloatArray,
  y: FloatArray,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: MatchOptions,
  warm?: WarmStart,
): Match {
  const eps = o.blur * o.blur;
  const rho = o.reach === undefined ? undefined : o.reach * o.reach;
  const g = warm
    ? warmSinkhorn(x, y, a, b, d, {
        blur: o.blur,
        reach: o.reach,
        f: warm.f,
        g: warm.g,
        steps: warm.steps,
        compute: o.compute,
      }).g
    : coldPotentials(x, y, a, b, d, o);
  const { lse, target } = targetReductions(x, y, b, g, d, eps, o.compute, true);
  const lam = dampening(eps, rho);
  const f = lse.map((v) => -lam * eps * v);
  const confidence = matchedMass(lse, eps, rho);
  const loss = biasedValue(a, f, b, g, eps, rho);
  return { target: target!, confidence, loss, f, g };
}
