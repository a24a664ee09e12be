/**
 * Rigid, similarity and affine registration: the global rotation search on small subsets, then
 * match–fit alternations over decreasing blurs on the fit subsets.
 */
import type { FloatArray } from '../ndarray.js';
import { dampening } from '../ot/schedule.js';
import { affineFit, applyTransform, compose, procrustes, similarity, type Transform } from './fit.js';
import { identity, rotationGrid } from './linalg.js';
import { targetReductions } from './match.js';
import { subsample, typed, weightedCentroid } from './points.js';
import {
  blurLevels,
  type Clouds,
  COARSE_BLUR,
  type Context,
  DEFAULT_BLUR,
  fitClouds,
  match,
  matchOptions,
  record,
  type Warm,
} from './session.js';

/** Blurs of the rotation search, as fractions of the size. */
const SEARCH_BLURS = [0.15, 0.07, 0.035];
/**
 * Largest over-relaxation of the fit. The match–fit fixed point converges linearly, slowly when a
 * partial source slides along the surface (ICP-like); over-relaxing while successive steps shrink
 * by less than half each time (Aitken-style) cuts the iterations several-fold.
 */
const MAX_RELAXATION = 8;
/** Candidates of the rotation search kept after its first (coarsest) level. */
const SEARCH_KEEP = 8;

/** Largest displacement of a point of the cloud between two transforms. */
function transformChange(A: Transform, B: Transform, x: ArrayLike<number>, n: number, d: number): number {
  const stride = Math.max(1, Math.floor(n / 256));
  let worst = 0;
  for (let i = 0; i < n; i += stride) {
    let s = 0;
    for (let r = 0; r < d; r++) {
      let v = A.translation[r]! - B.translation[r]!;
      for (let c = 0; c < d; c++) v += (A.linear[r * d + c]! - B.linear[r * d + c]!) * x[i * d + c]!;
      s += v * v;
    }
    worst = Math.max(worst, Math.sqrt(s));
  }
  return worst;
}

function fitModel(ctx: Context, x: FloatArray, target: Float64Array, w: Float64Array, n: number): Transform {
  const { d } = ctx;
  if (ctx.opts.model === 'affine') return affineFit(x, target, w, n, d);
  return procrustes(x, target, w, n, d, ctx.opts.model === 'similarity');
}

/** Alternates matching and fitting over the blur levels; returns the transform and the last loss. */
function refineLinear(
  ctx: Context,
  c: Clouds,
  T0: Transform,
  levels: number[],
  perLevel: number,
  budget: { left: number },
  keep: boolean,
  warm: Warm,
): { T: Transform; loss: number } {
  let T = T0;
  let loss = Number.POSITIVE_INFINITY;
  for (let l = 0; l < levels.length; l++) {
    const blur = levels[l]!;
    const last = l === levels.length - 1;
    const tol = (last ? 0.01 : 0.1) * blur;
    let acc = 1;
    let prevChange = 0;
    for (let it = 0; it < (last ? 9 * perLevel : perLevel) && budget.left > 0; it++) {
      budget.left--;
      const z = typed(applyTransform(T, c.x, c.n, ctx.d), ctx.dtype);
      const m = match(ctx, z, c, blur, warm);
      loss = m.loss;
      record(ctx, loss, keep);
      const w = m.confidence.map((v, i) => v * c.a[i]!);
      // Over-relaxation: fit towards z + α (target − z); α grows while the steps shrink slowly.
      const alpha = acc;
      const goal = m.target.map((t, k) => z[k]! + alpha * (t - z[k]!));
      const next = fitModel(ctx, c.x, goal, w, c.n);
      const change = transformChange(T, next, c.x, c.n, ctx.d);
      const ratio = prevChange > 0 ? change / alpha / prevChange : 0;
      acc = ratio > 0.5 && ratio < 1.2 ? Math.min(MAX_RELAXATION, acc * 1.5) : 1;
      prevChange = change / alpha;
      T = next;
      if (change < tol) break;
    }
  }
  return { T, loss };
}

/** The rotation R about the source centroid, followed by the move of that centroid onto the target's. */
function startTransform(R: Float64Array, cx: Float64Array, cy: Float64Array, d: number): Transform {
  const toOrigin = similarity(
    identity(d),
    1,
    cx.map((v) => -v),
    d,
  );
  const rot = similarity(R, 1, cy, d);
  return compose(rot, toOrigin, d);
}

/**
 * Potentials of a match between the clouds `from` (source moved by T) extended to the clouds `to`
 * by one softmin each: f on to's moved source against from's target, g on to's target against
 * from's moved source (a warm start at the same blur; the next match runs LEVEL_STEPS steps).
 */
function extendPotentials(ctx: Context, from: Clouds, to: Clouds, T: Transform, warm: Warm): Warm {
  if (!warm.f || !warm.g || warm.blur === undefined) return {};
  if (from.x === to.x && from.y === to.y) return { f: warm.f, g: warm.g };
  const { d } = ctx;
  const eps = warm.blur * warm.blur;
  const reach = matchOptions(ctx, warm.blur).reach;
  const lam = dampening(eps, reach === undefined ? undefined : reach * reach);
  const zFrom = typed(applyTransform(T, from.x, from.n, d), ctx.dtype);
  const zTo = typed(applyTransform(T, to.x, to.n, d), ctx.dtype);
  const c = ctx.opts.compute;
  const f = targetReductions(zTo, from.y, from.b, warm.g, d, eps, c, false).lse.map((v) => -lam * eps * v);
  const g = targetReductions(to.y, zFrom, from.a, warm.f, d, eps, c, false).lse.map((v) => -lam * eps * v);
  return { f, g };
}

/**
 * The global rotation search on seeded subsets of searchPoints points: every rotation of the grid
 * at the coarsest search blur, then the SEARCH_KEEP lowest losses down to the finest; returns the
 * best transform with its subsets and potentials.
 */
function searchRotation(
  ctx: Context,
  full: Clouds,
  cx: Float64Array,
  cy: Float64Array,
): { T: Transform; sub: Clouds; warm: Warm } {
  const { d, size, opts } = ctx;
  const sx = subsample(full.x, full.a, d, opts.searchPoints, opts.seed);
  const sy = subsample(full.y, full.b, d, opts.searchPoints, opts.seed + 1);
  const sub: Clouds = { x: sx.data, y: sy.data, a: sx.w, b: sy.w, n: sx.n, m: sy.n };
  const levels = SEARCH_BLURS.map((s) => s * size);
  const screened = rotationGrid(d).map((R) => {
    const warm: Warm = {};
    const start = startTransform(R, cx, cy, d);
    const r = refineLinear(ctx, sub, start, levels.slice(0, 1), 3, { left: 3 }, false, warm);
    return { ...r, warm };
  });
  screened.sort((p, q) => p.loss - q.loss);
  let best = { T: screened[0]!.T, loss: Number.POSITIVE_INFINITY, warm: screened[0]!.warm };
  for (const cand of screened.slice(0, SEARCH_KEEP)) {
    const left = 3 * (levels.length - 1);
    const r = refineLinear(ctx, sub, cand.T, levels.slice(1), 3, { left }, false, cand.warm);
    if (r.loss < best.loss) best = { T: r.T, loss: r.loss, warm: cand.warm };
  }
  return { T: best.T, sub, warm: best.warm };
}

export function registerLinear(ctx: Context, full: Clouds): { T: Transform; fit: Clouds; warm: Warm } {
  const { d, size, opts } = ctx;
  const cx = weightedCentroid(full.x, full.a, d);
  const cy = weightedCentroid(full.y, full.b, d);
  const finalBlur = opts.blur ?? DEFAULT_BLUR * size;
  const fit = fitClouds(ctx, full);
  let T = startTransform(identity(d), cx, cy, d);
  let coarse = COARSE_BLUR * size;
  let warm: Warm = {};
  if (opts.searchInit && (d === 2 || d === 3)) {
    const s = searchRotation(ctx, full, cx, cy);
    T = s.T;
    coarse = SEARCH_BLURS[SEARCH_BLURS.length - 1]! * size;
    // The refinement starts from the search's potentials, extended to the fitted clouds.
    warm = extendPotentials(ctx, s.sub, fit, T, s.warm);
  }
  const levels = blurLevels(Math.max(coarse, finalBlur), finalBlur);
  const budget = { left: opts.iterations };
  return { T: refineLinear(ctx, fit, T, levels, 4, budget, true, warm).T, fit, warm };
}
