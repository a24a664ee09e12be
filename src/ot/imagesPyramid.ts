import { softmins } from './pairBatch.js';
import { dampening } from './schedule.js';
import { type Grid, GridPair } from './separableSoftmin.js';

/** One level of an image pyramid: its grid, the masses of both images and their logs. */
export interface PyramidLevel {
  grid: Grid;
  a: Float64Array;
  b: Float64Array;
  /** Largest cell spacing over the axes: ε ≥ spacing² runs on this level. */
  spacing: number;
}

/** Halves every axis of a grid of masses by sum pooling (every axis must have an even size). */
function pool(grid: Grid, v: Float64Array): { grid: Grid; v: Float64Array } {
  const dims = grid.dims.map((n) => n / 2);
  const coords = grid.coords.map((c) => {
    const out = new Float64Array(c.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = 0.5 * (c[2 * k]! + c[2 * k + 1]!);
    return out;
  });
  const out = new Float64Array(v.length >> dims.length);
  const fine = grid.dims;
  const cells = fine.reduce((s, n) => s * n, 1);
  const coarse = cells >> dims.length;
  for (let b = 0; b < grid.B; b++) {
    for (let k = 0; k < cells; k++) {
      // Coarse index of fine cell k (row-major over the axes).
      let rest = k;
      let idx = 0;
      let stride = 1;
      for (let a = fine.length - 1; a >= 0; a--) {
        const i = rest % fine[a]!;
        rest = (rest - i) / fine[a]!;
        idx += (i >> 1) * stride;
        stride *= dims[a]!;
      }
      out[b * coarse + idx] += v[b * cells + k]!;
    }
  }
  return { grid: { B: grid.B, dims, coords }, v: out };
}

function spacingOf(g: Grid): number {
  return Math.max(...g.coords.map((c) => (c.length > 1 ? c[1]! - c[0]! : 1)));
}

/**
 * The pyramid of halved images (finest first), halving while every axis has an even size of at
 * least 8 cells; `multiscale: false` keeps the full resolution only.
 */
export function buildPyramid(
  grid: Grid,
  a: Float64Array,
  b: Float64Array,
  multiscale: boolean,
): PyramidLevel[] {
  const out: PyramidLevel[] = [{ grid, a, b, spacing: spacingOf(grid) }];
  if (!multiscale) return out;
  for (;;) {
    const top = out[out.length - 1]!;
    if (top.grid.dims.some((n) => n % 2 !== 0 || n < 8)) break;
    const pa = pool(top.grid, top.a);
    const pb = pool(top.grid, top.b);
    out.push({ grid: pa.grid, a: pa.v, b: pb.v, spacing: spacingOf(pa.grid) });
  }
  return out;
}

/** Potentials at the end of the image loop, on the finest grid. */
export interface ImagesState {
  fBA: Float64Array;
  gAB: Float64Array;
  fAA?: Float64Array;
  gBB?: Float64Array;
  eps: number;
  iterations: number;
}

function logOf(w: Float64Array): Float64Array {
  const out = new Float64Array(w.length);
  for (let k = 0; k < w.length; k++) out[k] = w[k]! > 0 ? Math.log(w[k]!) : -100000;
  return out;
}

function shifted(logw: Float64Array, f: Float64Array, eps: number): Float64Array {
  const h = new Float64Array(f.length);
  for (let k = 0; k < f.length; k++) h[k] = logw[k]! + f[k]! / eps;
  return h;
}

/**
 * GeomLoss' symmetric Sinkhorn loop (the same updates as sinkhornLoop: initial softmins at ε_0,
 * averaged damped updates per ε, final extrapolation) run on a pyramid of images: each ε step
 * runs on the coarsest level whose cell spacing is ≤ √ε (the blur of that step), potentials are
 * extrapolated onto the finer grid by one cross-grid softmin when the loop moves down a level, and the final extrapolation
 * always runs at full resolution. Every softmin is the exact separable one of GridPair.
 */
export function imagesSinkhornLoop(
  levels: PyramidLevel[],
  epsList: readonly number[],
  rho: number | undefined,
  debias: boolean,
  backend?: string,
): ImagesState {
  const levelOf = (eps: number) => {
    let l = 0;
    while (l + 1 < levels.length && levels[l + 1]!.spacing ** 2 <= eps) l++;
    return l;
  };
  let cur = levelOf(epsList[0]!);
  let pair = new GridPair(levels[cur]!.grid, undefined, backend);
  let aLog = logOf(levels[cur]!.a);
  let bLog = logOf(levels[cur]!.b);
  // Images live on the same grid: the four problems share one pair (C(x, y) is symmetric).
  const step = (eps: number, hs: Float64Array[]) => {
    const lam = dampening(eps, rho);
    return softmins(
      eps,
      hs.map((h) => ({ pair, h })),
    ).map((v) => {
      if (lam !== 1) for (let k = 0; k < v.length; k++) v[k] = v[k]! * lam;
      return v;
    });
  };
  let eps = epsList[0]!;
  let pots = step(eps, debias ? [aLog, bLog, aLog, bLog] : [aLog, bLog]);
  // pots = [gAB (from a), fBA (from b), fAA, gBB]
  // Coarse → fine: every potential is extrapolated by one softmin from the coarse grid to the
  // fine one (the C-transform at the current ε, as GeomLoss' multiscale jumps), e.g.
  // f_ba(x_fine) = −ε log Σ_{y coarse} b(y) exp((g_ab(y) − C(x, y))/ε).
  const moveTo = (l: number) => {
    const cross = new GridPair(levels[l]!.grid, levels[cur]!.grid, backend);
    const [gAB, fBA, fAA, gBB] = pots as [Float64Array, Float64Array, Float64Array?, Float64Array?];
    const hs = [shifted(aLog, fBA, eps), shifted(bLog, gAB, eps)];
    if (debias) hs.push(shifted(aLog, fAA!, eps), shifted(bLog, gBB!, eps));
    const lam = dampening(eps, rho);
    pots = softmins(
      eps,
      hs.map((h) => ({ pair: cross, h })),
    ).map((v) => {
      if (lam !== 1) for (let k = 0; k < v.length; k++) v[k] = v[k]! * lam;
      return v;
    });
    cur = l;
    pair = new GridPair(levels[cur]!.grid, undefined, backend);
    aLog = logOf(levels[cur]!.a);
    bLog = logOf(levels[cur]!.b);
  };
  for (const e of epsList) {
    eps = e;
    const l = levelOf(eps);
    while (l < cur) moveTo(cur - 1);
    const [gAB, fBA, fAA, gBB] = pots as [Float64Array, Float64Array, Float64Array?, Float64Array?];
    const hs = [shifted(aLog, fBA, eps), shifted(bLog, gAB, eps)];
    if (debias) hs.push(shifted(aLog, fAA!, eps), shifted(bLog, gBB!, eps));
    const next = step(eps, hs);
    pots = pots.map((v, k) => {
      const t = next[k]!;
      for (let q = 0; q < v.length; q++) v[q] = 0.5 * (v[q]! + t[q]!);
      return v;
    });
  }
  while (cur > 0) moveTo(cur - 1);
  const [gAB, fBA, fAA, gBB] = pots as [Float64Array, Float64Array, Float64Array?, Float64Array?];
  const hs = [shifted(aLog, fBA, eps), shifted(bLog, gAB, eps)];
  if (debias) hs.push(shifted(aLog, fAA!, eps), shifted(bLog, gBB!, eps));
  const last = step(eps, hs);
  return { gAB: last[0]!, fBA: last[1]!, fAA: last[2], gBB: last[3], eps, iterations: epsList.length };
}
