/**
 * Uniform samples on a triangle mesh (area-weighted triangle choice, uniform barycentric
 * coordinates), from a seed: independent scans of one surface for tests, examples and benches.
 */
import { check } from '../errors.js';
import type { NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';

/**
 * @param positions vertices [V][3]; @param cells triangles [T][3] (vertex indices);
 * @returns n points [n, 3] (float64).
 */
export function sampleSurface(
  positions: readonly (readonly number[])[],
  cells: readonly (readonly number[])[],
  n: number,
  seed = 0,
): NDArray<Float64Array> {
  check(Number.isInteger(n) && n >= 1, () => `sampleSurface: n must be an integer ≥ 1, got ${n}`);
  check(cells.length > 0, 'sampleSurface: the mesh has no triangles');
  const cum = new Float64Array(cells.length);
  let total = 0;
  cells.forEach((c, t) => {
    check(
      c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v < positions.length),
      () => `sampleSurface: cell ${t} is not a triangle of valid vertex indices`,
    );
    const [p, q, r] = [positions[c[0]!]!, positions[c[1]!]!, positions[c[2]!]!];
    const u = [q[0]! - p[0]!, q[1]! - p[1]!, q[2]! - p[2]!];
    const v = [r[0]! - p[0]!, r[1]! - p[1]!, r[2]! - p[2]!];
    total +=
      0.5 *
      Math.hypot(u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!);
    cum[t] = total;
  });
  check(total > 0, 'sampleSurface: the mesh has zero area');
  const rand = mulberry32(seed);
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const target = rand() * total;
    let lo = 0;
    let hi = cells.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    const c = cells[lo]!;
    let s = rand();
    let t = rand();
    if (s + t > 1) [s, t] = [1 - s, 1 - t];
    for (let k = 0; k < 3; k++) {
      const p = positions[c[0]!]![k]!;
      out[3 * i + k] = p + s * (positions[c[1]!]![k]! - p) + t * (positions[c[2]!]![k]! - p);
    }
  }
  return { data: out, shape: [n, 3] };
}
