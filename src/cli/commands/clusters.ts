/**
 * What the clustering commands (kmeans, gmm) share: the check of K against the number of points,
 * cluster sizes, the labels file ([N, 1] int32) and the figure (points coloured by cluster, centres
 * marked, an optional convergence curve).
 */
import type { FloatArray, NDArray } from '../../ndarray.js';
import { type Context, takeRows } from '../context.js';
import { UsageError } from '../errors.js';
import { type CloudLayer, lineChart, projections } from '../plot/charts.js';
import { PALETTE, type Panel } from '../plot/svg.js';

/**
 * Largest N·K·steps² for which --plot draws a convergence curve: the curve re-runs the fit with
 * 1, 2, …, steps iterations (about steps / 2 times the work of the fit itself).
 */
export const MAX_CURVE_WORK = 2e8;
/** Most iterations drawn as a convergence curve. */
export const MAX_CURVE_STEPS = 60;

/** K must not exceed the number of points (exit 2, naming the file). */
export function checkClusters(K: number, n: number, file: string): void {
  if (K > n) throw new UsageError(`-k ${K} is larger than the number of points (${n} in ${file})`);
}

/** Number of points with each label, [K]. */
export function clusterSizes(labels: Int32Array, K: number): number[] {
  const sizes = new Array<number>(K).fill(0);
  for (const l of labels) sizes[l]!++;
  return sizes;
}

/** Labels as the [N, 1] int32 array written by -o. */
export function labelsArray(labels: Int32Array): NDArray<Int32Array> {
  return { data: labels, shape: [labels.length, 1] };
}

/** Whether to draw the convergence curve (re-runs 1..steps iterations), and why not otherwise. */
export function curveDecision(
  plot: boolean,
  nInit: number,
  n: number,
  K: number,
  steps: number,
): { draw: boolean; why?: string } {
  if (!plot) return { draw: false };
  if (nInit > 1) return { draw: false, why: '--n-init > 1' };
  if (steps < 2) return { draw: false, why: 'one iteration' };
  if (steps > MAX_CURVE_STEPS) return { draw: false, why: `more than ${MAX_CURVE_STEPS} iterations` };
  if (n * K * steps * steps > MAX_CURVE_WORK) return { draw: false, why: 'problem too large' };
  return { draw: true };
}

/**
 * Points in projections, coloured by label (one legend entry per cluster up to the palette's
 * size, else one entry with per-point colours), the centres as large black-ringed markers.
 */
export function clusterPanel(
  x: NDArray<FloatArray>,
  labels: Int32Array,
  K: number,
  centres: NDArray<FloatArray>,
  names: { cluster: string; centres: string },
): Panel {
  const color = (k: number) => PALETTE[k % PALETTE.length]!;
  const clouds: CloudLayer[] = [];
  if (K <= PALETTE.length) {
    const members: number[][] = Array.from({ length: K }, () => []);
    labels.forEach((l, i) => members[l]!.push(i));
    members.forEach((idx, k) =>
      clouds.push({
        name: `${names.cluster} ${k} (${idx.length})`,
        points: takeRows(x, idx),
        color: color(k),
      }),
    );
  } else {
    clouds.push({
      name: `${K} ${names.cluster}s`,
      points: x,
      color: PALETTE[0]!,
      colors: Array.from(labels, (l) => color(l)),
    });
  }
  clouds.push({ name: names.centres, points: centres, color: '#000000', radius: 5, opacity: 1 });
  return projections(clouds);
}

/** The convergence curve: one value per iteration. */
export function curvePanel(title: string, name: string, values: number[], yLabel: string): Panel {
  return lineChart(title, [{ name, values }], { x: 'iteration', y: yLabel });
}

/**
 * A fit's value after 1, 2, … iterations (the same seeded run stopped earlier, which is
 * deterministic), when `draw` allows it: [] otherwise. The last value is the final fit's own.
 */
export function rerunCurve(
  ctx: Context,
  draw: boolean,
  iterations: number,
  final: number,
  valueAfter: (iterations: number) => number,
): number[] {
  const values: number[] = [];
  if (!draw) return values;
  ctx.progress.start('convergence curve', iterations);
  for (let t = 1; t <= iterations; t++) {
    values.push(t === iterations ? final : valueAfter(t));
    ctx.progress.tick();
  }
  return values;
}
