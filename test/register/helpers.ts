/** Test data for registration: independent samples of the Stanford bunny's surface, known transforms. */
import { createRequire } from 'node:module';
import type { NDArray } from '../../src/ndarray.js';
import { gaussian, mulberry32 } from '../../src/random.js';
import { sampleSurface } from '../../src/register/surface.js';

const mesh = createRequire(import.meta.url)('bunny') as { positions: number[][]; cells: number[][] };

/** The bunny's vertices centred and scaled to unit size (largest bounding-box side 1). */
function unitMesh(): number[][] {
  const P = mesh.positions;
  const lo = [0, 1, 2].map((k) => Math.min(...P.map((p) => p[k]!)));
  const hi = [0, 1, 2].map((k) => Math.max(...P.map((p) => p[k]!)));
  const s = Math.max(...hi.map((h, k) => h - lo[k]!));
  return P.map((p) => p.map((v, k) => (v - (lo[k]! + hi[k]!) / 2) / s));
}
const UNIT = unitMesh();

/** n points on the unit-size bunny's surface, with Gaussian noise of standard deviation `noise`. */
export function bunnySamples(n: number, seed: number, noise = 0.003): NDArray<Float64Array> {
  const s = sampleSurface(UNIT, mesh.cells, n, seed);
  const g = gaussian(mulberry32(seed + 1000));
  for (let k = 0; k < s.data.length; k++) s.data[k] = s.data[k]! + noise * g();
  return s;
}

/** Rotation about a unit axis by an angle (radians), 3×3 row-major. */
export function axisAngle(axis: number[], angle: number): Float64Array {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as [number, number, number];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const C = 1 - c;
  return Float64Array.of(
    c + x * x * C,
    x * y * C - z * s,
    x * z * C + y * s,
    y * x * C + z * s,
    c + y * y * C,
    y * z * C - x * s,
    z * x * C - y * s,
    z * y * C + x * s,
    c + z * z * C,
  );
}

/** y = L x + t on every row. */
export function transformRows(x: NDArray, L: ArrayLike<number>, t: ArrayLike<number>): NDArray<Float64Array> {
  const [n, d] = x.shape as [number, number];
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < d; r++) {
      let v = t[r]!;
      for (let c = 0; c < d; c++) v += L[r * d + c]! * x.data[i * d + c]!;
      out[i * d + r] = v;
    }
  }
  return { data: out, shape: [n, d] };
}

/** Angle (degrees) of R_est R_trueᵀ. */
export function rotationError(R: ArrayLike<number>, Rtrue: ArrayLike<number>): number {
  let tr = 0;
  for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) tr += R[i * 3 + k]! * Rtrue[i * 3 + k]!;
  return (Math.acos(Math.min(1, Math.max(-1, (tr - 1) / 2))) * 180) / Math.PI;
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s);
}

/** Keeps the points with a coordinate above a threshold (a cut scan). */
export function keepWhere(
  x: NDArray<Float64Array>,
  keep: (p: Float64Array) => boolean,
): NDArray<Float64Array> {
  const [n, d] = x.shape as [number, number];
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = x.data.subarray(i * d, (i + 1) * d);
    if (keep(p)) rows.push(...p);
  }
  return { data: Float64Array.from(rows), shape: [rows.length / d, d] };
}
