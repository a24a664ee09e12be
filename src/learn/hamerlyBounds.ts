/**
 * The per-point bounds of a Hamerly run (hamerlyRun.ts): their slack, their update by the centroid
 * moves and the test that lists the points to assign again, and the decision for those points
 * from their nearest other centroid. Free functions over typed arrays, each a function of its
 * own so that V8 keeps its optimised code from one call to the next.
 */
import type { DType, FloatArray } from '../ndarray.js';

/**
 * Relative slack of the bounds: upper bounds are raised and lower bounds lowered by this factor.
 * A squared distance from a reduction has a relative error of about (D + 2)·ε of the dtype; the
 * float64 bookkeeping of the bounds adds about ε64 per iteration.
 */
export function slackOf(dtype: DType, d: number): number {
  return (dtype === 'float32' ? 2 ** -23 : 2 ** -52) * 8 * (d + 8) + 1e-13;
}

/** ‖x_i − c_a‖² in float64, for rows of length d (a product, not \*\* 2: V8 calls pow for that). */
export function rowSqDist(x: FloatArray, i: number, c: Float64Array, a: number, d: number): number {
  let q = 0;
  for (let b = 0; b < d; b++) {
    const t = x[i * d + b]! - c[a * d + b]!;
    q += t * t;
  }
  return q;
}

/** out[i] = √v[i] · scale. */
export function scaledRoots(v: FloatArray, out: Float64Array, scale: number): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(v[i]!) * scale;
}

/**
 * Bounds on the centroid moves from `prev` to `c` [K·D]: delta[k] on centroid k's own (times `up`),
 * lower[k] on the largest move of the centroids other than k.
 */
export function centroidMoves(
  c: Float64Array,
  prev: Float64Array,
  d: number,
  up: number,
  delta: Float64Array,
  lower: Float64Array,
): void {
  let m1 = 0;
  let m2 = 0;
  let top = -1;
  for (let k = 0; k < delta.length; k++) {
    const dk = Math.sqrt(rowSqDist(c, k, prev, k, d)) * up;
    delta[k] = dk;
    if (dk > m1) {
      m2 = m1;
      m1 = dk;
      top = k;
    } else if (dk > m2) m2 = dk;
  }
  // The largest shift of the other centroids: m1, or m2 for the one that moved most.
  lower.fill(m1);
  if (top >= 0) lower[top] = m2;
}

/**
 * Moves the bounds by the centroid shifts (du[a] onto u, dl[a], the largest shift of the other
 * centroids, off l) and lists in idx the points whose bounds fail, u ≥ max(l, s_a), even with
 * u tightened to the exact distance (√ in float64 of the dtype's values, times `up`); ≥, as a point
 * at distance 0 from two centroids (bounds 0 and 0) is a tie to decide. Returns how many.
 * Branch-free where the outcome is data-dependent (`+(test)` appends without a jump, so that
 * unpredictable tests cost no mispredictions).
 */
export function boundsTest(
  labels: Int32Array,
  u: Float64Array,
  l: Float64Array,
  du: Float64Array,
  dl: Float64Array,
  s: Float64Array,
  data: FloatArray,
  cr: Float64Array,
  d: number,
  up: number,
  idx: Int32Array,
): number {
  const n = labels.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i]!;
    const ui = u[i]! + du[a]!;
    const li = l[i]! - dl[a]!;
    u[i] = ui;
    l[i] = li;
    idx[m] = i;
    m += +(ui >= li) & +(ui >= s[a]!);
  }
  let k = 0;
  for (let q = 0; q < m; q++) {
    const i = idx[q]!;
    const a = labels[i]!;
    const ui = Math.sqrt(rowSqDist(data, i, cr, a, d)) * up;
    u[i] = ui;
    idx[k] = i;
    k += +(ui >= l[i]!) & +(ui >= s[a]!);
  }
  return k;
}

/** decideRows' moved[q] for a point that keeps its centroid. */
export const STAY = -1;
/** decideRows' moved[q] for a near tie, left to plain Min_ArgMin. */
export const TIE = -2;

/**
 * Decides the points idx[0..m) from `others` (vals, inds: each one's nearest other centroid j and
 * its squared distance) and u (their exact distance to their centroid a, times `up`): j when
 * closer by more than the slack (label j, moved[q] = a; u = l = that distance), a when farther by
 * more than the slack (l = its distance; moved[q] = STAY); otherwise a near tie (moved[q] = TIE,
 * left to plain Min_ArgMin; l = the smaller distance). Returns the number of ties.
 */
export function decideRows(
  idx: Int32Array,
  m: number,
  labels: Int32Array,
  u: Float64Array,
  l: Float64Array,
  vals: FloatArray,
  inds: Int32Array,
  up: number,
  down: number,
  moved: Int32Array,
): number {
  let ties = 0;
  for (let q = 0; q < m; q++) {
    const i = idx[q]!;
    const a = labels[i]!;
    const da = u[i]! / up;
    const v = vals[q]!;
    // An overflowed distance says nothing: no lower bound then.
    const dj = v < Number.POSITIVE_INFINITY ? Math.sqrt(v) : 0;
    const j = inds[q]!;
    moved[q] = STAY;
    if (j !== a && dj * up < da * down) {
      labels[i] = j;
      moved[q] = a;
      // The second closest is a or farther than j: only dj is known to bound it.
      u[i] = dj * up;
      l[i] = dj * down;
    } else if (j === a || da * up < dj * down) {
      l[i] = dj * down;
    } else {
      l[i] = (da < dj ? da : dj) * down;
      moved[q] = TIE;
      ties++;
    }
  }
  return ties;
}
