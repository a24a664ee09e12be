/**
 * The RobOT projection: unbalanced (reach) or balanced, non-debiased Sinkhorn potentials from
 * `samplesLoss`, then, for every source point, its soft barycentric target
 * Σ_j π_ij y_j / Σ_j π_ij and its matched mass Σ_j π_ij / a_i, both log-domain reductions of
 * log π_ij = log a_i + log b_j + (f_i + g_j − |x_i − y_j|²/2)/ε.
 */
import { Pm, Vi, Vj } from '../lazy/index.js';
import type { DType, FloatArray } from '../ndarray.js';
import type { OTBackend } from '../ot/options.js';
import { samplesLoss } from '../ot/samplesLoss.js';

export interface MatchOptions {
  blur: number;
  reach?: number;
  scaling: number;
  backend?: OTBackend;
  compute?: string;
}

export interface Match {
  /** Barycentric targets [n·d] (float64). */
  target: Float64Array;
  /** Matched mass Σ_j π_ij / a_i per source point. */
  confidence: Float64Array;
  /** OT_ε(α, β) (GeomLoss' debias: false value). */
  loss: number;
}

function typed(v: ArrayLike<number>, dtype: DType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
}

/** OT loss and potentials only (the global search's score). */
export function otLoss(
  x: FloatArray,
  y: FloatArray,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: MatchOptions,
): number {
  return solve(x, y, a, b, d, o).value as number;
}

function solve(x: FloatArray, y: FloatArray, a: Float64Array, b: Float64Array, d: number, o: MatchOptions) {
  return samplesLoss(
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
}

/** Matches the source x [n, d] to the target y [m, d] (same dtype) at blur σ (ε = σ²). */
export function robotMatch(
  x: FloatArray,
  y: FloatArray,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: MatchOptions,
): Match {
  const n = x.length / d;
  const m = y.length / d;
  const r = solve(x, y, a, b, d, o);
  const eps = o.blur * o.blur;
  const dtype: DType = x instanceof Float32Array ? 'float32' : 'float64';
  const f = r.potentials.f.data;
  const g = r.potentials.g.data;
  const h = new Float64Array(m);
  for (let j = 0; j < m; j++) h[j] = Math.log(b[j]!) + g[j]! / eps;
  const X = Vi({ data: x, shape: [n, d] });
  const Y = Vj({ data: y, shape: [m, d] });
  const logits = Vj({ data: typed(h, dtype), shape: [m, 1] }).sub(X.sqdist(Y).mul(Pm(0.5 / eps)));
  const ro = { backend: o.compute };
  const lse = logits.logsumexp('j', ro).data;
  const bary = logits.sumSoftmaxWeight(Y, 'j', ro).data;
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) confidence[i] = Math.exp(f[i]! / eps + lse[i]!);
  return { target: Float64Array.from(bary), confidence, loss: r.value as number };
}
