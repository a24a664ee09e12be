/**
 * The radial kernels of the kernel methods, as symbolic LazyTensors k(x_i, y_j), and the input
 * checks those methods share.
 */
import { check } from '../errors.js';
import { type LazyTensor, Vi, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { checkCount, points, pointsOfDim } from './input.js';

/** The radial kernels: gaussian exp(−‖x−y‖²/(2s²)), laplacian exp(−‖x−y‖/s), cauchy 1/(1+‖x−y‖²/s²), inverse-multiquadric 1/√(1+‖x−y‖²/s²). */
export type KernelName = 'gaussian' | 'laplacian' | 'cauchy' | 'inverse-multiquadric';

const KERNELS: readonly KernelName[] = ['gaussian', 'laplacian', 'cauchy', 'inverse-multiquadric'];

/** A kernel and its length scale. */
export interface KernelSpec {
  kernel?: KernelName;
  scale: number;
}

/** Checks kernel name and scale; returns them with the default kernel (gaussian). */
export function kernelOf(o: Partial<KernelSpec>, what: string): { kernel: KernelName; scale: number } {
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
  return { kernel, scale };
}

/** The symbolic matrix k(x_i, y_j) (x on the i side, y on the j side). */
export function kernelMatrix(
  x: NDArray<FloatArray>,
  y: NDArray<FloatArray>,
  { kernel, scale }: { kernel: KernelName; scale: number },
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

/** Checks `x` is points [N, D] (N ≥ 1, D ≥ 1) with finite values (of dimension `dim` if given). */
export function pointArray(x: NDArray | number[][], what: string, dim?: number): NDArray<FloatArray> {
  return (dim === undefined ? points(x, what) : pointsOfDim(x, dim, what)).array;
}

/** Checks an integer in [lo, hi]. */
export const checkInt = (v: unknown, name: string, lo: number, hi: number): number =>
  checkCount(v, name, lo, hi);
