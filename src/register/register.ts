/**
 * Point-cloud registration by robust optimal transport (Shen, Feydy et al., NeurIPS 2021):
 * alternate a RobOT matching (barycentric targets and matched masses from Sinkhorn potentials)
 * with a closed-form fit (rigid, similarity, affine) or a smoothed displacement (non-rigid),
 * coarse to fine in the blur, after a global search over a grid of initial rotations.
 */
import { check } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { type PointsInput, readCloud, readWeights } from '../ot/input.js';
import { checkPointExtent } from '../ot/scale.js';
import { applyTransform, transformMatrix } from './fit.js';
import { registerLinear } from './linear.js';
import { type RegisterOptions, resolveRegisterOptions } from './options.js';
import { sizeOf, typed } from './points.js';
import {
  blurLevels,
  type Clouds,
  COARSE_BLUR,
  type Context,
  DEFAULT_BLUR,
  finalMatch,
  fitClouds,
  match,
  matchOptions,
  record,
  type Warm,
} from './session.js';
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

/** Default non-rigid smoothing width, as a fraction of the size. */
const DEFAULT_SMOOTHING = 0.2;
/** Non-rigid: the displacement is interpolated from the control points with this fraction of the smoothing width. */
const INTERPOLATION_WIDTH = 0.25;

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
      check(
        w.some((wi) => wi > 0),
        () =>
          `register: no source point is matched to the target at blur ${blur.toPrecision(3)} (every confidence is 0: ` +
          `the clouds are further apart than the reach ${matchOptions(ctx, blur).reach?.toPrecision(3)}); the non-rigid model needs ` +
          `roughly aligned clouds: pre-align them (e.g. apply the transform of a rigid registration first) or set a ` +
          `larger reach (Infinity: balanced matching)`,
      );
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

/** The points given to a result's `apply`: an unbatched cloud [K, d]. */
function applyInput(points: PointsInput, d: number) {
  const p = readCloud(points, 'register: apply');
  check(
    !p.batched && p.d === d,
    () => `register: apply expects points [K, ${d}], got [${p.shape.join(', ')}]`,
  );
  return p;
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
        const p = applyInput(points, d);
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
      const p = applyInput(points, d);
      return { data: typed(applyTransform(T, p.data, p.n, d), p.dtype), shape: [p.n, d] };
    },
  };
}
