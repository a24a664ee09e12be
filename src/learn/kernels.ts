/**
 * The radial kernels of the kernel methods, as symbolic LazyTensors k(x_i, y_j), and the input
 * checks those methods share.
 */
import { check } from '../errors.js';
import { type LazyTensor, Vi, Vj } from '../lazy/index.js';
import { allocFloat, dtypeOf, type FloatArray, type NDArray } from '../ndarray.js';
import { firstNonFinite, maxAbs } from './floatScans.js';
import { checkCount, points, pointsOfDim } from './input.js';

/** The radial kernels: gaussian exp(−‖x−y‖²/(2s²)), laplacian exp(−‖x−y‖/s), cauchy 1/(1+‖x−y‖²/s²), inverse-multiquadric 1/√(1+‖x−y‖²/s²). */
export type KernelName = 'gaussian' | 'laplacian' | 'cauchy' | 'inverse-multiquadric';

const KERNELS: readonly KernelName[] = ['gaussian', 'laplacian', 'cauchy', 'inverse-multiquadric'];

/** A kernel and its length scale. */
export interface KernelSpec {
  kernel?: KernelName;
  scale: number;
}

/** A checked kernel: name, scale, and the caller's name for messages. */
export interface Kernel {
  kernel: KernelName;
  scale: number;
  what?: string;
}

/** Checks kernel name and scale; returns them with the default kernel (gaussian). */
export function kernelOf(o: Partial<KernelSpec>, what: string): Kernel {
  const kernel = o.kernel ?? 'gaussian';
  check(
    KERNELS.includes(kernel),
    () => `${what}: kernel must be one of ${KERNELS.join(', ')}, got ${String(kernel)}`,
  );
  const { scale } = o;
  check(
    typeof scale === 'number' && Number.isFinite(scale) && scale > 0,
    () => `${what}: scale must be a finite number > 0, got ${String(scale)}`,
  );
  return { kernel, scale, what };
}

/**
 * The symbolic matrix k(x_i, y_j) (x on the i side, y on the j side). Where the length scale or
 * the points leave the dtype's range (1/(2·scale²) not a normal number, or squared distances
 * that may overflow), the points are divided by the scale first and the kernel taken at scale 1:
 * the same matrix, computed in range. Otherwise the formula is the plain one.
 */
export function kernelMatrix(x: NDArray<FloatArray>, y: NDArray<FloatArray>, k: Kernel): LazyTensor {
  if (inRange(x, y, k.scale)) return formula(x, y, k.kernel, k.scale);
  const xs = divided(x, k);
  return formula(xs, y === x ? xs : divided(y, k), k.kernel, 1);
}

function formula(
  x: NDArray<FloatArray>,
  y: NDArray<FloatArray>,
  kernel: KernelName,
  scale: number,
): LazyTensor {
  const d2 = Vi(x).sqdist(Vj(y));
  switch (kernel) {
    case 'gaussian':
      return d2.mul(-1 / (2 * scale * scale)).exp();
    case 'laplacian':
      return d2
        .sqrt()
        .mul(-1 / scale)
        .exp();
    case 'cauchy':
      return d2
        .mul(1 / (scale * scale))
        .add(1)
        .inv();
    case 'inverse-multiquadric':
      return d2
        .mul(1 / (scale * scale))
        .add(1)
        .rsqrt();
  }
}

/** Smallest normal and largest finite number of each dtype. */
const RANGE = {
  float32: { min: 2 ** -126, max: 3.4028234663852886e38 },
  float64: { min: 2 ** -1022, max: Number.MAX_VALUE },
} as const;

/** Whether the plain formula stays in range: 1/(2·scale²) normal, no squared distance overflows. */
function inRange(x: NDArray<FloatArray>, y: NDArray<FloatArray>, scale: number): boolean {
  const { min, max } = RANGE[dtypeOf(x.data)];
  const c = 1 / (2 * scale * scale);
  if (!(c >= min && c <= max)) return false;
  const D = x.shape[1] ?? 1;
  const limit = Math.sqrt(max / (4 * D));
  return maxAbs(x.data) <= limit && (y === x || maxAbs(y.data) <= limit);
}

/** The points divided by the kernel's scale (same dtype), checked finite. */
function divided(a: NDArray<FloatArray>, k: Kernel): NDArray<FloatArray> {
  const data = allocFloat(dtypeOf(a.data), a.data.length);
  for (let t = 0; t < data.length; t++) data[t] = a.data[t]! / k.scale;
  check(
    firstNonFinite(data) < 0,
    () =>
      `${k.what ?? 'kernel'}: scale ${k.scale} is too small for these points (x / scale overflows ${dtypeOf(a.data)}); rescale the data`,
  );
  return { data, shape: a.shape };
}

/** Checks `x` is points [N, D] (N ≥ 1, D ≥ 1) with finite values (of dimension `dim` if given). */
export function pointArray(x: NDArray | number[][], what: string, dim?: number): NDArray<FloatArray> {
  return (dim === undefined ? points(x, what) : pointsOfDim(x, dim, what)).array;
}

/** Checks an integer in [lo, hi]. */
export const checkInt = (v: unknown, name: string, lo: number, hi: number): number =>
  checkCount(v, name, lo, hi);
