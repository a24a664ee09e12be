import { check } from '../errors.js';
import { type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import { buildPyramid, imagesSinkhornLoop } from './imagesPyramid.js';
import { reachRho } from './scale.js';
import { checkPower, epsilonSchedule } from './schedule.js';
import type { Grid } from './separableSoftmin.js';
import { checkEqualMasses } from './sinkhornDivergence.js';
import { pointTerms } from './valueTerm.js';

/** Options of `imagesLoss` (GeomLoss' ImagesLoss arguments and units). */
export interface ImagesLossOptions {
  /** Cost exponent: only 2 (C = |x − y|²/2, separable); p = 1 is rejected (use samplesLoss on the pixel clouds). */
  p?: number;
  /** Blur σ: ε = σ² (default 0.05; one pixel of an n-pixel axis is 1/n). */
  blur?: number;
  /** Reach: ρ = reach², KL-unbalanced OT (default: balanced). */
  reach?: number;
  /** ε-scaling ratio in (0, 1) (default 0.5). */
  scaling?: number;
  /** Debiased Sinkhorn divergence (default true). */
  debias?: boolean;
  /**
   * Grid dimension when the arrays have rank 3: 2 reads [B, H, W] (a batch of 2-D images, the
   * default), 3 reads [H, W, Dz] (one 3-D image). Rank 2 is [H, W], rank 4 is [B, H, W, Dz].
   */
  dims?: 2 | 3;
  /** Run the coarse ε steps on halved images (default true); false: full resolution throughout. */
  multiscale?: boolean;
  /** Engine backend of the reductions ('auto', 'js', 'native', ...). */
  compute?: string;
}

/** What `imagesLoss` returns: the loss, its gradients with respect to both densities, the potentials. */
export interface ImagesLossResult {
  /** A number, or B values for a batch. */
  value: number | Float64Array;
  /** d value / d A and d value / d B, shaped like the images. */
  gradA: NDArray<Float64Array>;
  gradB: NDArray<Float64Array>;
  /** f_ba − f_aa and g_ab − g_bb when debiased (f_ba, g_ab otherwise), shaped like the images. */
  potentials: { f: NDArray<Float64Array>; g: NDArray<Float64Array> };
  /** Number of ε steps. */
  iterations: number;
}

const KNOWN = new Set(['p', 'blur', 'reach', 'scaling', 'debias', 'dims', 'multiscale', 'compute']);

/** Pixel coordinates of an n-cell axis of the unit interval: arange(n)/n (GeomLoss' ImagesLoss). */
export function pixelCoordinates(n: number): Float64Array {
  const c = new Float64Array(n);
  for (let k = 0; k < n; k++) c[k] = k / n;
  return c;
}

/** Reads an image batch: [H, W], [B, H, W] (dims 2) or [H, W, Dz] (dims 3), [B, H, W, Dz]. */
export function readImages(
  x: unknown,
  dims: 2 | 3 | undefined,
  name: string,
): { B: number; axes: number[]; batched: boolean; data: Float64Array; shape: number[] } {
  check(
    isNDArray(x),
    () => `${name}: expected an NDArray [H, W], [B, H, W] or [B, H, W, Dz], got ${typeof x}`,
  );
  const nd = x as NDArray;
  check(!(nd.data instanceof Int32Array), () => `${name}: expected float data, got Int32Array`);
  const shape = [...nd.shape];
  const r = shape.length;
  check(
    r >= 2 && r <= 4,
    () => `${name}: expected an image of rank 2, 3 or 4, got shape [${shape.join(', ')}]`,
  );
  const gridDims = r === 2 ? 2 : r === 4 ? 3 : (dims ?? 2);
  check(
    !(r === 2 && dims === 3) && !(r === 4 && dims === 2),
    () => `${name}: dims ${dims} does not fit shape [${shape.join(', ')}]`,
  );
  const batched = r - gridDims === 1;
  const B = batched ? shape[0]! : 1;
  const axes = batched ? shape.slice(1) : shape;
  check(
    axes.every((n) => Number.isInteger(n) && n >= 1) && B >= 1,
    () => `${name}: expected a non-empty image, got shape [${shape.join(', ')}]`,
  );
  const data = Float64Array.from(nd.data as FloatArray);
  check(
    data.length === B * axes.reduce((s, n) => s * n, 1),
    () => `${name}: shape [${shape.join(', ')}] does not match ${data.length} values`,
  );
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    check(
      Number.isFinite(v) && v >= 0,
      () => `${name}: masses must be finite and ≥ 0, got ${v} at index ${k}`,
    );
  }
  return { B, axes, batched, data, shape };
}

function optionNumber(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  check(
    typeof v === 'number' && Number.isFinite(v) && v > 0,
    () => `${name} must be a finite number > 0, got ${String(v)}`,
  );
  return v as number;
}

/**
 * Sinkhorn divergence between two densities on the same regular grid of the unit square (2-D) or
 * cube (3-D), pixel k of an n-pixel axis at k/n (GeomLoss' ImagesLoss units: C(x, y) = |x − y|²/2,
 * ε = blur², diameter 1). Softmins are exact and separable (one 1-D log-sum-exp per axis, as
 * batched engine reductions), the coarse ε steps run on halved images, and the result carries
 * the gradients with respect to both densities.
 */
export function imagesLoss(A: NDArray, Bimg: NDArray, options: ImagesLossOptions = {}): ImagesLossResult {
  check(
    typeof options === 'object' && options !== null,
    () => `imagesLoss: options must be an object, got ${String(options)}`,
  );
  for (const k of Object.keys(options)) {
    check(KNOWN.has(k), () => `imagesLoss: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  const p = options.p ?? 2;
  check(
    p === 2,
    () =>
      `imagesLoss: p must be 2 (the separable squared cost), got ${String(p)}; for p = 1 use samplesLoss on the pixel clouds with their masses as weights`,
  );
  check(
    options.dims === undefined || options.dims === 2 || options.dims === 3,
    () => `imagesLoss: dims must be 2 or 3, got ${String(options.dims)}`,
  );
  const blur = optionNumber(options.blur, 'imagesLoss: blur', 0.05);
  const scaling = options.scaling ?? 0.5;
  const debias = options.debias ?? true;
  check(typeof debias === 'boolean', () => `imagesLoss: debias must be a boolean, got ${String(debias)}`);
  if (options.reach !== undefined) {
    optionNumber(options.reach, 'imagesLoss: reach', 1);
    checkPower('reach', options.reach, 2);
  }
  const ia = readImages(A, options.dims, 'imagesLoss: A');
  const ib = readImages(Bimg, options.dims, 'imagesLoss: B');
  check(
    ia.shape.length === ib.shape.length && ia.shape.every((n, k) => n === ib.shape[k]),
    () =>
      `imagesLoss: A and B must have the same shape, got [${ia.shape.join(', ')}] and [${ib.shape.join(', ')}]`,
  );
  const cells = ia.axes.reduce((s, n) => s * n, 1);
  const rho = reachRho(2, options.reach);
  if (rho === undefined) checkEqualMasses(ia.data, ib.data, ia.B, cells, cells);
  const epsList = epsilonSchedule(2, 1, blur, scaling);
  const grid: Grid = { B: ia.B, dims: ia.axes, coords: ia.axes.map(pixelCoordinates) };
  const levels = buildPyramid(grid, ia.data, ib.data, options.multiscale ?? true);
  const st = imagesSinkhornLoop(levels, epsList, rho, debias, options.compute);

  const n = ia.data.length;
  const phiA = new Float64Array(n);
  const phiB = new Float64Array(n);
  const gradA = new Float64Array(n);
  const gradB = new Float64Array(n);
  const f = new Float64Array(n);
  const g = new Float64Array(n);
  pointTerms(st.fBA, debias ? st.fAA : undefined, st.eps, rho, phiA, gradA, f);
  pointTerms(st.gAB, debias ? st.gBB : undefined, st.eps, rho, phiB, gradB, g);
  const values = new Float64Array(ia.B);
  for (let b = 0; b < ia.B; b++) {
    let s = 0;
    for (let k = b * cells; k < (b + 1) * cells; k++) s += ia.data[k]! * phiA[k]! + ib.data[k]! * phiB[k]!;
    values[b] = s;
  }
  const shaped = (v: Float64Array) => ({ data: v, shape: [...ia.shape] });
  return {
    value: ia.batched ? values : values[0]!,
    gradA: shaped(gradA),
    gradB: shaped(gradB),
    potentials: { f: shaped(f), g: shaped(g) },
    iterations: st.iterations,
  };
}
