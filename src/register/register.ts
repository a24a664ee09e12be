/**
 * Point-cloud registration by robust optimal transport (Shen, Feydy et al., NeurIPS 2021):
 * alternate a RobOT matching (barycentric targets and matched masses from Sinkhorn potentials)
 * with a closed-form fit (rigid, similarity, affine) or a smoothed displacement (non-rigid),
 * coarse to fine in the blur, after a global search over a grid of initial rotations.
 */
import { check } from '../errors.js';
import type { DType, FloatArray, NDArray } from '../ndarray.js';
import { type PointsInput, readCloud, readWeights } from '../ot/input.js';
import { checkPointExtent } from '../ot/scale.js';
import { dampening } from '../ot/schedule.js';
import {
  affineFit,
  applyTransform,
  compose,
  procrustes,
  similarity,
  type Transform,
  transformMatrix,
} from './fit.js';
import { identity, rotationGrid } from './linalg.js';
import { type Match, type MatchOptions, matchedMass, robotMatch, targetReductions } from './match.js';
import { type RegisterOptions, type ResolvedRegisterOptions, resolveRegisterOptions } from './options.js';
import { sizeOf, subsample, typed, weightedCentroid } from './points.js';
import { kernelSmooth } from './smooth.js';

export interface RegistrationTransform {
  /** D×D rotation (det +1); for affine, the rotation of the polar part of the linear map. */
  rotation: NDArray<Float64Array>;
  /** Scale factor (1 for rigid; |det L|^(1/D) for affine). */
  scale: number;
  translation: NDArray<Float64Array>;
  /** (D+1)×D matrix M with y = [x, 1] · M. */
  matrix: NDArray<Float64Array>;
}

export interface RegistrationResult {
  /** The source moved onto the target, [N, D], in the source's dtype. */
  aligned: NDArray<FloatArray>;
  /** Rigid, similarity, affine: the fitted map y ≈ scale · R x + t (affine: y = [x, 1] · matrix). */
  transform?: RegistrationTransform;
  /** Non-rigid: the displacement of every source point, [N, D] (aligned = source + displacement). */
  displacement?: NDArray<FloatArray>;
  /** Matched mass Σ_j π_ij / a_i per source point: ≈1 matched, ≈0 outlier (balanced matching: ≈1 everywhere). */
  confidence: NDArray<Float64Array>;
  /** OT loss of the final matching. */
  loss: number;
  /** OT loss of every matching of the refinement, in order. */
  history: number[];
  /** Applies the registration to other points [K, D] (non-rigid: the displacement extended by kernel smoothing). */
  apply(points: PointsInput): NDArray<FloatArray>;
}

/** Coarsest blur of the refinement, and of the rotation search, as fractions of the size. */
const COARSE_BLUR = 0.2;
const SEARCH_BLURS = [0.15, 0.07, 0.035];
/** Default final blur and non-rigid smoothing width, as fractions of the size. */
const DEFAULT_BLUR = 0.02;
const DEFAULT_REACH = 0.05;
const DEFAULT_SMOOTHING = 0.2;
/**
 * Largest over-relaxation of the fit. The match–fit fixed point converges linearly, slowly when a
 * partial source slides along the surface (ICP-like); over-relaxing while successive steps shrink
 * by less than half each time (Aitken-style) cuts the iterations several-fold.
 */
const MAX_RELAXATION = 8;
/**
 * Sinkhorn steps of a match warm-started from the previous match's potentials: at the same blur
 * (the source moved a little), and at a new blur level (ε four times smaller).
 */
const WARM_STEPS = 3;
const LEVEL_STEPS = 6;
/** Candidates of the rotation search kept after its first (coarsest) level. */
const SEARCH_KEEP = 8;
/** Non-rigid: the displacement is interpolated from the control points with this fraction of the smoothing width. */
const INTERPOLATION_WIDTH = 0.25;

interface Clouds {
  x: FloatArray;
  y: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
}

/** Potentials of the last match on a pair of clouds (a warm start for the next one). */
interface Warm {
  f?: Float64Array;
  g?: Float64Array;
  blur?: number;
}

interface Context {
  d: number;
  size: number;
  dtype: DType;
  opts: ResolvedRegisterOptions;
  step: number;
  history: number[];
}

/** Blurs from `coarse` halving down to `fine` (both included). */
function blurLevels(coarse: number, fine: number): number[] {
  const out: number[] = [];
  for (let s = coarse; s > fine * 1.0001; s /= 2) out.push(s);
  out.push(fine);
  return out;
}

function matchOptions(ctx: Context, blur: number): MatchOptions {
  const { scaling, backend, compute } = ctx.opts;
  const reach =
    ctx.opts.reach === Number.POSITIVE_INFINITY ? undefined : (ctx.opts.reach ?? DEFAULT_REACH * ctx.size);
  return {
    blur,
    // Coarse levels see misaligned clouds: the reach never drops below the current blur.
    reach: reach === undefined ? undefined : Math.max(reach, blur),
    scaling,
    backend,
    compute,
  };
}

/** A match warm-started from `warm` when it holds potentials; updates `warm`. */
function match(ctx: Context, z: FloatArray, c: Clouds, blur: number, warm: Warm): Match {
  const start =
    warm.f && warm.g
      ? { f: warm.f, g: warm.g, steps: warm.blur === blur ? WARM_STEPS : LEVEL_STEPS }
      : undefined;
  const m = robotMatch(z, c.y, c.a, c.b, ctx.d, matchOptions(ctx, blur), start);
  warm.f = m.f;
  warm.g = m.g;
  warm.blur = blur;
  return m;
}

function record(ctx: Context, loss: number, keep: boolean): void {
  if (keep) ctx.history.push(loss);
  ctx.step++;
  ctx.opts.onProgress?.(ctx.step, loss);
}

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

function registerLinear(ctx: Context, full: Clouds): { T: Transform; fit: Clouds; warm: Warm } {
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

function registerNonrigid(ctx: Context, c: Clouds, width: number, warm: Warm): Float64Array {
  const { d, size, opts } = ctx;
  const finalBlur = opts.blur ?? DEFAULT_BLUR * size;
  const levels = blurLevels(Math.max(COARSE_BLUR * size * 0.5, finalBlur), finalBlur);
  const v = new Float64Array(c.n * d);
  let left = opts.iterations;
  for (let l = 0; l < levels.length && left > 0; l++) {
    const blur = levels[l]!;
    const last = l === levels.length - 1;
    for (let it = 0; it < (last ? 8 : 3) && left > 0; it++) {
      left--;
      const z = typed(
        c.x.map((xv, k) => xv + v[k]!),
        ctx.dtype,
      );
      const m = match(ctx, z, c, blur, warm);
      record(ctx, m.loss, true);
      const delta = m.target.map((t, k) => t - z[k]!);
      const w = m.confidence.map((cv, i) => cv * c.a[i]!);
      const step = kernelSmooth(c.x, c.x, delta, w, d, width, opts.compute);
      let moved = 0;
      for (let k = 0; k < v.length; k++) {
        v[k] = v[k]! + step[k]!;
        moved = Math.max(moved, Math.abs(step[k]!));
      }
      if (moved < (last ? 0.01 : 0.1) * blur) break;
    }
  }
  return v;
}

/** The clouds' seeded subsets of at most fitPoints points each (the clouds themselves when smaller). */
function fitClouds(ctx: Context, full: Clouds): Clouds {
  const { d, opts } = ctx;
  const fx = subsample(full.x, full.a, d, opts.fitPoints, opts.seed + 2);
  const fy = subsample(full.y, full.b, d, opts.fitPoints, opts.seed + 3);
  return { x: fx.data, y: fy.data, a: fx.w, b: fy.w, n: fx.n, m: fy.n };
}

/**
 * The final matching at the final blur, warm-started on the fitted clouds (`moved`: the fitted
 * source after registration); when the source was subsampled, the confidence of every point of
 * the moved full source (`aligned`) comes from one more reduction against the fitted target.
 */
function finalMatch(
  ctx: Context,
  fit: Clouds,
  full: Clouds,
  moved: FloatArray,
  aligned: FloatArray,
  warm: Warm,
): { loss: number; confidence: Float64Array } {
  const blur = ctx.opts.blur ?? DEFAULT_BLUR * ctx.size;
  const m = match(ctx, moved, fit, blur, warm);
  record(ctx, m.loss, true);
  if (fit.n === full.n) return { loss: m.loss, confidence: m.confidence };
  const o = matchOptions(ctx, blur);
  const eps = blur * blur;
  const { lse } = targetReductions(aligned, fit.y, fit.b, m.g, ctx.d, eps, ctx.opts.compute, false);
  return {
    loss: m.loss,
    confidence: matchedMass(lse, eps, o.reach === undefined ? undefined : o.reach * o.reach),
  };
}

/**
 * Registers the source cloud [N, D] onto the target cloud [M, D] (see RegisterOptions).
 * Bad input (dimension or dtype mismatch, empty clouds, non-finite values) is a LazyTensorError.
 */
export function register(
  source: PointsInput,
  target: PointsInput,
  options: RegisterOptions = {},
): RegistrationResult {
  const opts = resolveRegisterOptions(options);
  const sx = readCloud(source, 'register: source');
  const sy = readCloud(target, 'register: target');
  check(!sx.batched && !sy.batched, 'register: expected unbatched point clouds [N, D] and [M, D]');
  check(
    sx.d === sy.d,
    () => `register: source and target must have the same dimension D, got ${sx.d} and ${sy.d}`,
  );
  check(
    sx.dtype === sy.dtype,
    () => `register: source and target must have the same dtype, got ${sx.dtype} and ${sy.dtype}`,
  );
  checkPointExtent(sx, sy);
  const d = sx.d;
  const minPoints = opts.model === 'nonrigid' ? 1 : opts.model === 'affine' ? d + 1 : 2;
  check(
    sx.n >= minPoints && sy.n >= 1,
    () =>
      `register: the ${opts.model} model needs at least ${minPoints} source points and 1 target point, got ${sx.n} and ${sy.n}`,
  );
  const size = sizeOf(sy.data, sy.n, d);
  check(size > 0, 'register: the target points all coincide: there is nothing to register onto');
  const full: Clouds = {
    x: sx.data,
    y: sy.data,
    a: readWeights(options.sourceWeights, sx, 'register: sourceWeights'),
    b: readWeights(options.targetWeights, sy, 'register: targetWeights'),
    n: sx.n,
    m: sy.n,
  };
  const ctx: Context = { d, size, dtype: sx.dtype, opts, step: 0, history: [] };

  if (opts.model === 'nonrigid') {
    const width = opts.smoothing ?? DEFAULT_SMOOTHING * size;
    const ctrl = fitClouds(ctx, full);
    const warm: Warm = {};
    const vc = registerNonrigid(ctx, ctrl, width, warm);
    // The displacement of the control points; elsewhere, interpolated from them by a narrower kernel.
    const interpolate = (q: FloatArray) =>
      kernelSmooth(q, ctrl.x, vc, ctrl.a, d, INTERPOLATION_WIDTH * width, opts.compute);
    const v = ctrl.n === full.n ? vc : interpolate(full.x);
    const aligned = typed(
      full.x.map((xv, k) => xv + v[k]!),
      ctx.dtype,
    );
    const moved = typed(
      ctrl.x.map((xv, k) => xv + vc[k]!),
      ctx.dtype,
    );
    const m = finalMatch(ctx, ctrl, full, moved, aligned, warm);
    return {
      aligned: { data: aligned, shape: [full.n, d] },
      displacement: { data: typed(v, ctx.dtype), shape: [full.n, d] },
      confidence: { data: m.confidence, shape: [full.n] },
      loss: m.loss,
      history: ctx.history,
      apply(points) {
        const p = readCloud(points, 'register: apply');
        check(
          !p.batched && p.d === d,
          () => `register: apply expects points [K, ${d}], got [${p.shape.join(', ')}]`,
        );
        const q = typed(p.data, ctx.dtype);
        const disp = interpolate(q);
        return {
          data: typed(
            q.map((qv, k) => qv + disp[k]!),
            p.dtype,
          ),
          shape: [p.n, d],
        };
      },
    };
  }

  const { T, fit, warm } = registerLinear(ctx, full);
  const aligned = typed(applyTransform(T, full.x, full.n, d), ctx.dtype);
  const moved = fit.n === full.n ? aligned : typed(applyTransform(T, fit.x, fit.n, d), ctx.dtype);
  const m = finalMatch(ctx, fit, full, moved, aligned, warm);
  return {
    aligned: { data: aligned, shape: [full.n, d] },
    transform: {
      rotation: { data: T.rotation, shape: [d, d] },
      scale: T.scale,
      translation: { data: T.translation, shape: [d] },
      matrix: { data: transformMatrix(T, d), shape: [d + 1, d] },
    },
    confidence: { data: m.confidence, shape: [full.n] },
    loss: m.loss,
    history: ctx.history,
    apply(points) {
      const p = readCloud(points, 'register: apply');
      check(
        !p.batched && p.d === d,
        () => `register: apply expects points [K, ${d}], got [${p.shape.join(', ')}]`,
      );
      return { data: typed(applyTransform(T, p.data, p.n, d), p.dtype), shape: [p.n, d] };
    },
  };
}
