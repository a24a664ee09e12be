import { check } from '../errors.js';
import type { DType } from '../ndarray.js';
import type { Cloud } from './input.js';
import { checkPower, formatNumber, maxDiameter } from './schedule.js';

/** Largest finite value of a dtype (the engine computes costs and 1/ε in the data's dtype). */
export const DTYPE_MAX: Record<DType, number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/**
 * Checks that squared distances between the points are finite in the data's dtype (every cost
 * and kernel computes |x − y|² first) and returns the extent of the problem: the diagonal of the
 * joint bounding box of x and y.
 */
export function checkPointExtent(x: Cloud, y: Cloud): number {
  const extent = maxDiameter(x, y);
  const max = DTYPE_MAX[x.dtype];
  check(
    extent * extent <= max,
    () =>
      `the points span ${formatNumber(Number.isFinite(extent) ? extent : spanWithoutOverflow(x, y))} (the diagonal of the ` +
      `bounding box of x and y, coordinates up to ${formatNumber(largestCoordinate(x, y))}): squared distances ` +
      `overflow ${x.dtype} (largest ${formatNumber(max)}); rescale the coordinates (divide x, y, blur, reach and ` +
      `diameter by the same factor)`,
  );
  return extent;
}

/** The diagonal of the joint bounding box, computed without overflowing (Math.hypot). */
function spanWithoutOverflow(x: Cloud, y: Cloud): number {
  const spans: number[] = [];
  for (let k = 0; k < x.d; k++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const c of [x, y]) {
      for (let r = 0; r < c.B * c.n; r++) {
        const v = c.data[r * c.d + k]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    spans.push(hi - lo);
  }
  return Math.hypot(...spans);
}

/** Largest |coordinate| of x and y. */
function largestCoordinate(x: Cloud, y: Cloud): number {
  let m = 0;
  for (const c of [x, y]) for (const v of c.data) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Checks that the ε of the Sinkhorn/Hausdorff schedule (from diameter^p down to blur^p) fit the
 * data's dtype: the engine multiplies costs by 1/ε in that dtype, so 1/ε must be finite for the
 * smallest ε, and so must the largest cost over ε, extent^p/(p·ε) (else every term of a row's
 * softmin underflows and the result is NaN). Run after epsilonSchedule's float64 checks.
 */
export function checkEpsilonRange(
  p: number,
  blur: number,
  diameter: number,
  extent: number,
  dtype: DType,
): void {
  const [name, v] = diameter < blur ? ['diameter', diameter] : ['blur', blur];
  const eps = v ** p;
  const max = DTYPE_MAX[dtype];
  check(
    1 / eps <= max,
    () =>
      `${name} = ${v} is too small for ${dtype} data: ε = ${name}^p (p = ${p}) = ${formatNumber(eps)}, whose inverse ` +
      `overflows ${dtype} (largest ${formatNumber(max)}); use ${name} ≥ ${formatNumber(max ** (-1 / p) * 1.001)}, float64 data ` +
      `or rescale the coordinates`,
  );
  const worst = extent ** p / p / eps;
  check(
    worst <= max,
    () =>
      `${name} = ${v} is too small for points spanning ${formatNumber(extent)}: the largest cost over ε, ` +
      `extent^p/(p·${name}^p) (p = ${p}) = ${formatNumber(worst)}, overflows ${dtype} (largest ${formatNumber(max)}); ` +
      `use a larger ${name}${dtype === 'float32' ? ', float64 data' : ''} or rescale the coordinates`,
  );
}

/** ρ = reach^p for unbalanced OT (undefined: balanced), finite and positive with a finite inverse. */
export function reachRho(p: number, reach: number | undefined): number | undefined {
  if (reach === undefined) return undefined;
  checkPower('reach', reach, p);
  return reach ** p;
}

/**
 * Checks a kernel loss's scale: the kernels use 1/blur (laplacian) and 1/blur² (gaussian) as
 * parameters in the data's dtype.
 */
export function checkKernelBlur(loss: 'energy' | 'gaussian' | 'laplacian', blur: number, dtype: DType): void {
  if (loss === 'energy') return;
  const inv = loss === 'gaussian' ? 1 / (blur * blur) : 1 / blur;
  const max = DTYPE_MAX[dtype];
  check(
    inv <= max,
    () =>
      `blur = ${blur} is too small for the ${loss} kernel: 1/blur${loss === 'gaussian' ? '²' : ''} overflows ${dtype} ` +
      `(largest ${formatNumber(max)}); use a larger blur or rescale the coordinates`,
  );
}
