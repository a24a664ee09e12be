import { check } from '../errors.js';
import type { NDArray } from '../ndarray.js';
import { pixelCoordinates, readImages } from './images.js';
import { GridPair } from './separableSoftmin.js';

/** Options of `imagesBarycenter` (GeomLoss units: pixel k of an n-pixel axis at k/n, ε = blur²). */
export interface ImagesBarycenterOptions {
  /** Barycentric weights, one per image (default uniform); normalised to sum 1. */
  weights?: number[];
  /** Blur σ (default: two pixels of the largest axis). */
  blur?: number;
  /** Accepted for the API contract; the scheme runs at the final ε only (no ε-scaling yet). */
  scaling?: number;
  /** Iterations of the debiased Bregman projections (default 100). */
  iterations?: number;
  /** Grid dimension for rank-3 arrays: 2 is not allowed here (one image per array), 3 reads [H, W, Dz]. */
  dims?: 3;
  /** Engine backend of the reductions. */
  compute?: string;
}

const KNOWN = new Set(['weights', 'blur', 'scaling', 'iterations', 'dims', 'compute']);

/**
 * Debiased Sinkhorn barycenter of K densities on the same grid (Janati, Cuturi, Gramfort 2020,
 * the scheme of GeomLoss' ImagesBarycenter), in the log domain with the exact separable
 * convolution of GridPair (one batched 1-D log-sum-exp per axis, all K images as one batch):
 *   log u_k = log β_k − LSE(log v_k),  log Ku_k = LSE(log u_k)
 *   log q = log d + Σ_k w_k log Ku_k,  log v_k = log q − log Ku_k,  log d = ½(log d + log q − LSE(log d))
 * where LSE(h)(x) = log Σ_y exp(h(y) − |x − y|²/(2ε)). Returns q with the images' total mass.
 */
export function imagesBarycenter(
  images: NDArray[],
  options: ImagesBarycenterOptions = {},
): NDArray<Float64Array> {
  check(
    Array.isArray(images) && images.length > 0,
    () => 'imagesBarycenter: expected a non-empty array of images',
  );
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
  const iterations = options.iterations ?? 100;
  check(
    Number.isInteger(iterations) && iterations > 0,
    () => `imagesBarycenter: iterations must be a positive integer, got ${String(iterations)}`,
  );
  const N = axes.reduce((s, n) => s * n, 1);
  const mass = read.map((r) => r.data.reduce((s, v) => s + v, 0));
  for (const [k, m] of mass.entries()) check(m > 0, () => `imagesBarycenter: image ${k} has no mass`);
  const eps = blur * blur;
  const coords = axes.map(pixelCoordinates);
  const batch = new GridPair({ B: K, dims: axes, coords }, undefined, options.compute);
  const single = new GridPair({ B: 1, dims: axes, coords }, undefined, options.compute);
  const logB = new Float64Array(K * N);
  read.forEach((r, k) => {
    for (let i = 0; i < N; i++) logB[k * N + i] = r.data[i]! > 0 ? Math.log(r.data[i]! / mass[k]!) : -100000;
  });
  let logV = new Float64Array(K * N);
  let logD = new Float64Array(N);
  let logQ = new Float64Array(N);
  for (let it = 0; it < iterations; it++) {
    const t = batch.logConv(eps, logV);
    const logU = logB.map((v, i) => v - t[i]!);
    const logKu = batch.logConv(eps, logU);
    logQ = logD.slice();
    for (let k = 0; k < K; k++)
      for (let i = 0; i < N; i++) logQ[i] = logQ[i]! + (w[k]! / wSum) * logKu[k * N + i]!;
    logV = logKu.map((v, i) => logQ[i % N]! - v);
    const kd = single.logConv(eps, logD);
    logD = logD.map((v, i) => 0.5 * (v + logQ[i]! - kd[i]!));
  }
  const m = logQ.reduce((a, v) => Math.max(a, v), Number.NEGATIVE_INFINITY);
  const q = logQ.map((v) => Math.exp(v - m));
  const s = q.reduce((t, v) => t + v, 0);
  const total = mass.reduce((t, v, k) => t + (w[k]! / wSum) * v, 0);
  return { data: q.map((v) => (v / s) * total), shape: [...shape] };
}
