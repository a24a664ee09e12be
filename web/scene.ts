/**
 * The demo's two point clouds, from the Stanford bunny's vertices: X is the bunny scaled into the
 * unit ball, Y a rotated, shifted copy with a slab cut away. Pure data (no lazytensor import), so
 * the browser test computes on exactly the same points in Node.
 */

export interface Scene {
  /** Source points, row-major [n, 3]. */
  x: Float64Array;
  /** Target points (rotated, shifted, partly cut copy), row-major [m, 3]. */
  y: Float64Array;
  n: number;
  m: number;
}

/** Rotation of the copy about the vertical axis, in radians. */
export const ROTATION = (35 * Math.PI) / 180;
/** Shift of the copy. */
export const SHIFT: readonly [number, number, number] = [0.35, 0.05, 0];
/** Points of the copy whose first coordinate (before the rotation) exceeds this are cut away. */
export const CUT = 0.45;

/** Builds the scene from the bunny's vertex positions ([x, y, z] triples). */
export function makeScene(positions: readonly (readonly number[])[]): Scene {
  const n = positions.length;
  const c = [0, 0, 0];
  for (const p of positions) for (let d = 0; d < 3; d++) c[d]! += p[d]! / n;
  let r = 0;
  for (const p of positions) r = Math.max(r, Math.hypot(p[0]! - c[0]!, p[1]! - c[1]!, p[2]! - c[2]!));
  const x = new Float64Array(3 * n);
  positions.forEach((p, i) => {
    for (let d = 0; d < 3; d++) x[3 * i + d] = (p[d]! - c[d]!) / r;
  });
  const cos = Math.cos(ROTATION);
  const sin = Math.sin(ROTATION);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b, z] = [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
    if (a > CUT) continue;
    // The bunny's vertical axis is its second coordinate.
    kept.push(cos * a + sin * z + SHIFT[0], b + SHIFT[1], -sin * a + cos * z + SHIFT[2]);
  }
  return { x, y: Float64Array.from(kept), n, m: kept.length / 3 };
}
