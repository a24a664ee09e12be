/**
 * The shipped example data: the Stanford bunny (the `bunny` package, 1,889 vertices) scaled to
 * unit height, and a copy of it rotated, moved, cut (its front part missing) and noisy, as a
 * second scan of the same object would be.
 */
import { createRequire } from 'node:module';
import type { NDArray } from '../ndarray.js';
import { gaussian, mulberry32 } from '../random.js';

export interface BunnyPair {
  source: NDArray<Float64Array>;
  target: NDArray<Float64Array>;
  /** What was done to the target, for the report. */
  description: string;
}

/** The bunny [1889, 3] scaled to height 1, centred at the origin. */
export function bunny(): NDArray<Float64Array> {
  const pos = (createRequire(import.meta.url)('bunny') as { positions: number[][] }).positions;
  const n = pos.length;
  const c = [0, 0, 0];
  for (const p of pos) for (let k = 0; k < 3; k++) c[k]! += p[k]! / n;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pos) {
    lo = Math.min(lo, p[1]!);
    hi = Math.max(hi, p[1]!);
  }
  const s = 1 / (hi - lo);
  const data = new Float64Array(n * 3);
  pos.forEach((p, i) => {
    for (let k = 0; k < 3; k++) data[3 * i + k] = (p[k]! - c[k]!) * s;
  });
  return { data, shape: [n, 3] };
}

/** The bunny and a rotated (30° about y), moved, cut (15% of its points) and noisy (σ = 0.005) copy. */
export function bunnyPair(seed = 1): BunnyPair {
  const source = bunny();
  const n = source.shape[0]!;
  const angle = (30 * Math.PI) / 180;
  const [cs, sn] = [Math.cos(angle), Math.sin(angle)];
  const shift = [0.15, 0.05, -0.1];
  const g = gaussian(mulberry32(seed));
  // Cut: drop the 15% of points with the largest x + z (one side of the body).
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => source.data[3 * i]! + source.data[3 * i + 2]! - (source.data[3 * j]! + source.data[3 * j + 2]!),
  );
  const keep = order.slice(0, Math.round(n * 0.85)).sort((i, j) => i - j);
  const target = new Float64Array(keep.length * 3);
  keep.forEach((i, r) => {
    const [x, y, z] = [source.data[3 * i]!, source.data[3 * i + 1]!, source.data[3 * i + 2]!];
    target[3 * r] = cs * x + sn * z + shift[0]! + 0.005 * g();
    target[3 * r + 1] = y + shift[1]! + 0.005 * g();
    target[3 * r + 2] = -sn * x + cs * z + shift[2]! + 0.005 * g();
  });
  return {
    source,
    target: { data: target, shape: [keep.length, 3] },
    description: `bunny (${n} points) → copy rotated 30° about y, moved by (${shift.join(', ')}), cut to ${keep.length} points, noise σ 0.005`,
  };
}
