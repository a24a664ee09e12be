import { check } from '../errors.js';
import type { NDArray } from '../ndarray.js';
import { pixelCoordinates, readImages } from './images.js';
import { buildPyramid, type PyramidLevel } from './imagesPyramid.js';
import { checkPower, epsilonSchedule } from './schedule.js';
import { type Grid, GridPair } from './separableSoftmin.js';

/** Options of `imagesBarycenter` (GeomLoss units: pixel k of an n-pixel axis at k/n, ε = blur²). */
export interface ImagesBarycenterOptions {
  /** Barycentric weights, one per image (default uniform); normalised to sum 1. */
  weights?: number[];
  /** Blur σ (default: two pixels of the largest axis). */
  blur?: number;
  /**
   * ε-scaling ratio in (0, 1); without it, every iteration runs at blur² on the full images. With
   * it, ε goes from the diameter² (1) down to blur² by this factor, one iteration per ε, each on
   * the coarsest level of the image pyramid whose pixel spacing is ≤ √ε; then `iterations` more
   * at blur² on the full images.
   */
  scaling?: number;
  /** Most iterations at the final ε, after the schedule (default 100). */
  iterations?: number;
  /**
   * Stop the final-ε iterations early once the L1 change of the (normalised) barycenter between
   * two iterations is ≤ tol (default: run all `iterations`).
   */
  tol?: number;
  /** Grid dimension for rank-3 arrays: 2 is not allowed here (one image per array), 3 reads [H, W, Dz]. */
  dims?: 3;
  /** Engine backend of the reductions. */
  compute?: string;
}

const KNOWN = new Set(['weights', 'blur', 'scaling', 'iterations', 'tol', 'dims', 'compute']);

/** The barycenter image, with the iterations run (schedule included) and whether tol was met. */
export type ImagesBarycenterResult = NDArray<Float64Array> & {
  /** Iterations run: one per ε of the schedule, plus those at the final ε. */
  iterations: number;
  /** With tol: whether the last L1 change was ≤ tol; without tol: true. */
  converged: boolean;
};

/**
 * Debiased Sinkhorn barycenter of K densities on the same grid (Janati, Cuturi, Gramfort 2020,
 * the scheme of GeomLoss' ImagesBarycenter), in the log domain with the exact separable
 * convolution of GridPair (one batched 1-D log-sum-exp per axis, all K images as one batch):
 *   log u_k = log β_k − LSE(log v_k),  log Ku_k = LSE(log u_k)
 *   log q = log d + Σ_k w_k log Ku_k,  log v_k = log q − log Ku_k,  log d = ½(log d + log q − LSE(log d))
 * where LSE(h)(x) = log Σ_y exp(h(y) − |x − y|²/(2ε)). ε-scaling as GeomLoss: one iteration per
 * ε of the schedule (diameter² → blur², only when `scaling` is given), on the pyramid of halved images (the coarsest level
 * whose spacing² ≤ ε); the scalings log v_k and log d are carried to the finer grid by
 * nearest-neighbour upsampling (log d, a log-mass per cell, also loses log 2 per axis). Then up
 * to `iterations` more at blur² on the full grid. Returns q with the images' total mass.
 */
export function imagesBarycenter(
  images: NDArray[],
  options: ImagesBarycenterOptions = {},
): ImagesBarycenterResult {
  return runImagesBarycenter(images, options, options?.scaling !== undefined);
}

/**
 * The barycenter loop; `epsScaling: false` runs every iteration at blur² on the full images (the
 * scheme without ε-scaling, kept as the reference of the tests).
 */
export function runImagesBarycenter(
  images: NDArray[],
  options: ImagesBarycenterOptions,
  epsScaling: boolean,
): ImagesBarycenterResult {
  check(
    Array.isArray(images) && images.length > 0,
    () => 'imagesBarycenter: expected a non-empty array of images',
  );
  check(typeof options === 'object' && options !== null, () => 'imagesBarycenter: options must be an object');
  for (const k of Object.keys(options)) {
    check(KNOWN.has(k), () => `imagesBarycenter: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  const read = images.map((im, k) => readImages(im, options.dims, `imagesBarycenter: images[${k}]`));
  const shape = read[0]!.shape;
  for (const [k, r] of read.entries()) {
    check(
      !r.batched,
      () =>
        `imagesBarycenter: images[${k}] must be one image [H, W] or [H, W, Dz], got [${r.shape.join(', ')}]`,
    );
    check(
      r.shape.length === shape.length && r.shape.every((n, q) => n === shape[q]),
      () =>
        `imagesBarycenter: every image must have the shape [${shape.join(', ')}] of image 0, got [${r.shape.join(', ')}] for image ${k}`,
    );
  }
  const K = read.length;
  const w = options.weights ?? new Array<number>(K).fill(1);
  check(
    Array.isArray(w) && w.length === K,
    () =>
      `imagesBarycenter: expected ${K} weights (one per image), got ${Array.isArray(w) ? w.length : typeof w}`,
  );
  check(
    w.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0),
    () => 'imagesBarycenter: weights must be finite and ≥ 0',
  );
  const wSum = w.reduce((s, v) => s + v, 0);
  check(wSum > 0, () => 'imagesBarycenter: the weights must have a positive sum');
  const axes = read[0]!.axes;
  const blur = options.blur ?? 2 / Math.max(...axes);
  check(
    typeof blur === 'number' && Number.isFinite(blur) && blur > 0,
    () => `imagesBarycenter: blur must be a finite number > 0, got ${String(blur)}`,
  );
  checkPower('blur', blur, 2);
  const iterations = options.iterations ?? 100;
  check(
    Number.isInteger(iterations) && iterations > 0,
    () => `imagesBarycenter: iterations must be a positive integer, got ${String(iterations)}`,
  );
  const tol = options.tol;
  check(
    tol === undefined || (typeof tol === 'number' && Number.isFinite(tol) && tol >= 0),
    () => `imagesBarycenter: tol must be a finite number ≥ 0, got ${String(tol)}`,
  );
  const scaling = options.scaling ?? 0.5;
  check(
    typeof scaling === 'number' && scaling > 0 && scaling < 1,
    () => `imagesBarycenter: scaling must be a number in (0, 1), got ${String(scaling)}`,
  );
  const N = axes.reduce((s, n) => s * n, 1);
  const mass = read.map((r) => r.data.reduce((s, v) => s + v, 0));
  for (const [k, m] of mass.entries()) check(m > 0, () => `imagesBarycenter: image ${k} has no mass`);
  const stacked = new Float64Array(K * N);
  read.forEach((r, k) => {
    for (let i = 0; i < N; i++) stacked[k * N + i] = r.data[i]! / mass[k]!;
  });
  const grid: Grid = { B: K, dims: axes, coords: axes.map(pixelCoordinates) };
  const levels = buildPyramid(grid, stacked, stacked, epsScaling);
  const epsList = epsScaling ? epsilonSchedule(2, 1, blur, scaling) : [];
  const loop = new BarycenterLoop(
    levels,
    w.map((v) => v / wSum),
    options.compute,
  );
  for (const eps of epsList) loop.step(eps);
  loop.toLevel(0);
  const eps = blur * blur;
  let converged = tol === undefined;
  let prev = loop.barycenter();
  for (let it = 0; it < iterations; it++) {
    loop.step(eps);
    if (tol === undefined) continue;
    const q = loop.barycenter();
    let change = 0;
    for (let i = 0; i < N; i++) change += Math.abs(q[i]! - prev[i]!);
    prev = q;
    if (change <= tol) {
      converged = true;
      break;
    }
  }
  const q = loop.barycenter();
  const total = mass.reduce((t, v, k) => t + (w[k]! / wSum) * v, 0);
  return { data: q.map((v) => v * total), shape: [...shape], iterations: loop.iterations, converged };
}

function logOf(v: Float64Array): Float64Array {
  return v.map((x) => (x > 0 ? Math.log(x) : -100000));
}

/**
 * Nearest-neighbour upsampling of B batches of values on a coarse grid onto the grid twice as
 * fine along every axis (row-major), plus `shift` on every value.
 */
function upsample(coarse: Grid, fine: Grid, v: Float64Array, shift: number): Float64Array {
  const nf = fine.dims.reduce((s, n) => s * n, 1);
  const nc = coarse.dims.reduce((s, n) => s * n, 1);
  const B = v.length / nc;
  const out = new Float64Array(B * nf);
  for (let k = 0; k < nf; k++) {
    let rest = k;
    let idx = 0;
    let stride = 1;
    for (let a = fine.dims.length - 1; a >= 0; a--) {
      const i = rest % fine.dims[a]!;
      rest = (rest - i) / fine.dims[a]!;
      idx += (i >> 1) * stride;
      stride *= coarse.dims[a]!;
    }
    for (let b = 0; b < B; b++) out[b * nf + k] = v[b * nc + idx]! + shift;
  }
  return out;
}

/** The state of the debiased Bregman projections on the current pyramid level. */
class BarycenterLoop {
  private cur: number;
  private batch!: GridPair;
  private single!: GridPair;
  private logB!: Float64Array;
  private logV: Float64Array;
  private logD: Float64Array;
  private logQ: Float64Array;
  iterations = 0;

  constructor(
    private readonly levels: PyramidLevel[],
    private readonly w: number[],
    private readonly compute?: string,
  ) {
    this.cur = levels.length - 1;
    const n = this.cells();
    this.logV = new Float64Array(w.length * n);
    this.logD = new Float64Array(n);
    this.logQ = new Float64Array(n);
    this.enter();
  }

  private cells(): number {
    return this.levels[this.cur]!.grid.dims.reduce((s, n) => s * n, 1);
  }

  private enter(): void {
    const { grid, a } = this.levels[this.cur]!;
    this.batch = new GridPair(grid, undefined, this.compute);
    this.single = new GridPair({ B: 1, dims: grid.dims, coords: grid.coords }, undefined, this.compute);
    this.logB = logOf(a);
  }

  /** Moves to level l (finer), upsampling the scalings one level at a time. */
  toLevel(l: number): void {
    while (this.cur > l) {
      const coarse = this.levels[this.cur]!.grid;
      const fine = this.levels[this.cur - 1]!.grid;
      const shift = -fine.dims.length * Math.LN2;
      this.logV = upsample(coarse, fine, this.logV, 0);
      this.logD = upsample(coarse, fine, this.logD, shift);
      this.logQ = upsample(coarse, fine, this.logQ, shift);
      this.cur--;
      this.enter();
    }
  }

  /** One iteration at ε, on the coarsest level whose spacing² ≤ ε (never back to a coarser one). */
  step(eps: number): void {
    let l = 0;
    while (l + 1 < this.levels.length && this.levels[l + 1]!.spacing ** 2 <= eps) l++;
    this.toLevel(Math.min(l, this.cur));
    const K = this.w.length;
    const N = this.cells();
    const t = this.batch.logConv(eps, this.logV);
    const logU = this.logB.map((v, i) => v - t[i]!);
    const logKu = this.batch.logConv(eps, logU);
    const logQ = this.logD.slice();
    for (let k = 0; k < K; k++)
      for (let i = 0; i < N; i++) logQ[i] = logQ[i]! + this.w[k]! * logKu[k * N + i]!;
    this.logQ = logQ;
    this.logV = logKu.map((v, i) => logQ[i % N]! - v);
    const kd = this.single.logConv(eps, this.logD);
    this.logD = this.logD.map((v, i) => 0.5 * (v + logQ[i]! - kd[i]!));
    this.iterations++;
  }

  /** The current barycenter q on the current level, normalised to mass 1. */
  barycenter(): Float64Array {
    const m = this.logQ.reduce((a, v) => Math.max(a, v), Number.NEGATIVE_INFINITY);
    const q = this.logQ.map((v) => Math.exp(v - m));
    const s = q.reduce((t, v) => t + v, 0);
    return q.map((v) => v / s);
  }
}
