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
import { type MatchOptions, robotMatch } from './match.js';
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

interface Clouds {
  x: FloatArray;
  y: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
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
      const m = robotMatch(z, c.y, c.a, c.b, ctx.d, matchOptions(ctx, blur));
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

function registerLinear(ctx: Context, full: Clouds): { T: Transform } {
  const { d, size, opts } = ctx;
  const cx = weightedCentroid(full.x, full.a, d);
  const cy = weightedCentroid(full.y, full.b, d);
  const finalBlur = opts.blur ?? DEFAULT_BLUR * size;
  const budget = { left: opts.iterations };
  let T = startTransform(identity(d), cx, cy, d);
  let coarse = COARSE_BLUR * size;
  if (opts.searchInit && (d === 2 || d === 3)) {
    const sx = subsample(full.x, full.a, d, opts.searchPoints, opts.seed);
    const sy = subsample(full.y, full.b, d, opts.searchPoints, opts.seed + 1);
    const sub: Clouds = { x: sx.data, y: sy.data, a: sx.w, b: sy.w, n: sx.n, m: sy.n };
    const levels = SEARCH_BLURS.map((s) => s * size);
    let best = Number.POSITIVE_INFINITY;
    for (const R of rotationGrid(d)) {
      const r = refineLinear(
        ctx,
        sub,
        startTransform(R, cx, cy, d),
        levels,
        3,
        { left: 3 * levels.length },
        false,
      );
      if (r.loss < best) {
        best = r.loss;
        T = r.T;
      }
    }
    coarse = SEARCH_BLURS[SEARCH_BLURS.length - 1]! * size;
  }
  const fx = subsample(full.x, full.a, d, opts.fitPoints, opts.seed + 2);
  const fy = subsample(full.y, full.b, d, opts.fitPoints, opts.seed + 3);
  const fit: Clouds = { x: fx.data, y: fy.data, a: fx.w, b: fy.w, n: fx.n, m: fy.n };
  const levels = blurLevels(Math.max(coarse, finalBlur), finalBlur);
  return { T: refineLinear(ctx, fit, T, levels, 4, budget, true).T };
}

function registerNonrigid(ctx: Context, c: Clouds, width: number): Float64Array {
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
      const m = robotMatch(z, c.y, c.a, c.b, d, matchOptions(ctx, blur));
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
  const finalBlur = opts.blur ?? DEFAULT_BLUR * size;

  const finish = (aligned: FloatArray) => {
    const m = robotMatch(aligned, full.y, full.a, full.b, d, matchOptions(ctx, finalBlur));
    record(ctx, m.loss, true);
    return m;
  };

  if (opts.model === 'nonrigid') {
    const width = opts.smoothing ?? DEFAULT_SMOOTHING * size;
    const v = registerNonrigid(ctx, full, width);
    const aligned = typed(
      full.x.map((xv, k) => xv + v[k]!),
      ctx.dtype,
    );
    const m = finish(aligned);
    const centres = full.x;
    const weights = full.a;
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
        const disp = kernelSmooth(q, centres, v, weights, d, width, opts.compute);
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

  const { T } = registerLinear(ctx, full);
  const aligned = typed(applyTransform(T, full.x, full.n, d), ctx.dtype);
  const m = finish(aligned);
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
