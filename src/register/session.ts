/**
 * What every registration model shares: the clouds, the running context (progress, history), the
 * matching options at a blur, warm-started matches, the fit subsets and the final matching.
 */
import type { DType, FloatArray } from '../ndarray.js';
import { type Match, type MatchOptions, matchedMass, robotMatch, targetReductions } from './match.js';
import type { ResolvedRegisterOptions } from './options.js';
import { subsample } from './points.js';

/** Coarsest blur of the refinement, as a fraction of the size. */
export const COARSE_BLUR = 0.2;
/** Default final blur and reach, as fractions of the size. */
export const DEFAULT_BLUR = 0.02;
export const DEFAULT_REACH = 0.05;
/**
 * Sinkhorn steps of a match warm-started from the previous match's potentials: at the same blur
 * (the source moved a little), and at a new blur level (ε four times smaller).
 */
export const WARM_STEPS = 3;
export const LEVEL_STEPS = 6;

export interface Clouds {
  x: FloatArray;
  y: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
}

/** Potentials of the last match on a pair of clouds (a warm start for the next one). */
export interface Warm {
  f?: Float64Array;
  g?: Float64Array;
  blur?: number;
}

export interface Context {
  d: number;
  size: number;
  dtype: DType;
  opts: ResolvedRegisterOptions;
  step: number;
  history: number[];
}

/** Blurs from `coarse` halving down to `fine` (both included). */
export function blurLevels(coarse: number, fine: number): number[] {
  const out: number[] = [];
  for (let s = coarse; s > fine * 1.0001; s /= 2) out.push(s);
  out.push(fine);
  return out;
}

export function matchOptions(ctx: Context, blur: number): MatchOptions {
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
export function match(ctx: Context, z: FloatArray, c: Clouds, blur: number, warm: Warm): Match {
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

export function record(ctx: Context, loss: number, keep: boolean): void {
  if (keep) ctx.history.push(loss);
  ctx.step++;
  ctx.opts.onProgress?.(ctx.step, loss);
}

/** The clouds' seeded subsets of at most fitPoints points each (the clouds themselves when smaller). */
export function fitClouds(ctx: Context, full: Clouds): Clouds {
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
export function finalMatch(
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
