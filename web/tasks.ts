/**
 * What the demo computes, on the package's public API only (`lazytensor`, `lazytensor/ot`,
 * `lazytensor/learn`). Runs inside the Web Worker (worker.ts): reductions block their thread.
 */
import {
  array,
  backends,
  getBackend,
  type NDArray,
  setWasmThreads,
  Vi,
  Vj,
  wasmPoolInfo,
  wasmThreads,
} from 'lazytensor';
import * as learn from 'lazytensor/learn';
import { samplesLoss, solveOT } from 'lazytensor/ot';
import type { Scene } from './scene.js';

/** A task's numbers for the page, and its drawing. */
export interface TaskResult {
  lines: string[];
  /** Segments to draw, as index pairs into (x rows, y rows). */
  pairs?: Int32Array;
  /** A label per x row (cluster colouring). */
  labels?: Int32Array;
  /** Moved copy of y (registration), row-major [m, 3]. */
  y?: Float64Array;
}

const points = (a: Float64Array): NDArray => array(a, [a.length / 3, 3]);

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

/** The backend that `auto` picks here. */
export function backendName(): string {
  return getBackend().name;
}

/** How the wasm backend computes here: its status line, its thread count and its pool's statistics. */
export function wasmInfo(): { device: string; threads: number; pool: ReturnType<typeof wasmPoolInfo> } {
  const w = backends().find((b) => b.name === 'wasm');
  return {
    device: w?.device ?? w?.reason ?? 'no wasm backend',
    threads: wasmThreads(),
    pool: wasmPoolInfo(),
  };
}

/** K nearest neighbours of each y point among the x points. */
export function knnTask(s: Scene, K = 5): TaskResult {
  const t0 = performance.now();
  const r = learn.knn(points(s.y), points(s.x), K);
  const time = ms(t0);
  let mean = 0;
  for (let i = 0; i < s.m; i++) mean += Math.sqrt(r.sqDistances.data[i * K]!) / s.m;
  const pairs = new Int32Array(2 * s.m);
  for (let i = 0; i < s.m; i++) {
    pairs[2 * i] = r.indices.data[i * K]!;
    pairs[2 * i + 1] = i;
  }
  return {
    lines: [
      `K-NN (K=${K}) of ${s.m} points among ${s.n}: ${time}`,
      `mean nearest distance ${mean.toFixed(4)}`,
    ],
    pairs,
  };
}

type KMeans = (
  x: NDArray,
  K: number,
  o?: { seed?: number },
) => { labels: NDArray<Int32Array>; inertia: number; iterations: number };

/** `kmeans` of lazytensor/learn when this version exports it. */
export function kmeansFunction(): KMeans | undefined {
  // Reflect.get: a lookup the bundler does not resolve statically (no warning while it is absent).
  const f: unknown = Reflect.get(learn, 'kmeans');
  return typeof f === 'function' ? (f as KMeans) : undefined;
}

/** K-means colouring of the x points. */
export function kmeansTask(s: Scene, K = 8): TaskResult {
  const kmeans = kmeansFunction();
  if (!kmeans) return { lines: ['k-means: not in this version of lazytensor/learn'] };
  const t0 = performance.now();
  const r = kmeans(points(s.x), K, { seed: 0 });
  return {
    lines: [
      `k-means (K=${K}) of ${s.n} points: ${ms(t0)}`,
      `inertia ${r.inertia.toFixed(4)} after ${r.iterations} iterations`,
    ],
    labels: r.labels.data,
  };
}

/** Entropic OT between y and x: the matching of each y point, the plan's marginal errors. */
export function otTask(s: Scene, blur = 0.02): TaskResult {
  const t0 = performance.now();
  const ot = solveOT(points(s.y), points(s.x), { blur });
  const match = ot.plan.matching();
  const time = ms(t0);
  const t1 = performance.now();
  const loss = samplesLoss(points(s.y), points(s.x), { loss: 'sinkhorn', blur });
  const lossTime = ms(t1);
  const pairs = new Int32Array(2 * s.m);
  for (let i = 0; i < s.m; i++) {
    pairs[2 * i] = match[i]!;
    pairs[2 * i + 1] = i;
  }
  return {
    lines: [
      `OT (blur ${blur}): ${ot.iterations} ε steps, ${time}; OT_ε = ${ot.value.toFixed(6)}`,
      `marginal errors ${ot.marginalErrors.a.toExponential(2)} / ${ot.marginalErrors.b.toExponential(2)}`,
      `Sinkhorn divergence ${(loss.value as number).toFixed(6)} (${lossTime})`,
    ],
    pairs,
  };
}

/**
 * The numbers the browser test compares with Node: a Gaussian kernel sum, an arg-K-min and a
 * Sinkhorn divergence on the scene, in float64 on the default backend.
 */
export function checkTask(s: Scene): {
  backend: string;
  gaussSum: Float64Array;
  argKmin: Int32Array;
  sinkhorn: number;
  otValue: number;
} {
  const x = points(s.x);
  const y = points(s.y);
  const gaussSum = Vi(x)
    .sqdist(Vj(y))
    .mul(-1 / 0.1 ** 2)
    .exp()
    .sum('j').data as Float64Array;
  const argKmin = Vi(x).sqdist(Vj(y)).argKmin(3, 'j').data;
  const sinkhorn = samplesLoss(x, y, { loss: 'sinkhorn', blur: 0.05 }).value as number;
  const otValue = solveOT(x, y, { blur: 0.05 }).value;
  return { backend: backendName(), gaussSum, argKmin, sinkhorn, otValue };
}

/** One timing of the page's kernel: threads, the runs' times, pairs per second of the best. */
export interface BenchRun {
  threads: number;
  ms: number[];
  gpairsPerS: number;
}

/**
 * Gaussian kernel sum Σ_j exp(-|x_i - y_j|²) b_j, 3-D float32, as `npm run bench:wasm` measures it:
 * `rows` rows against `cols` columns (N = M = 1e5 subsampled over rows), best of `reps` runs after
 * a warm-up, on one thread and on the default thread count (per-thread speed and scaling, to
 * compare with Node's rows); also how the wasm backend ran it (threads, chunks its workers took).
 */
export function kernelBench(
  rows = 4000,
  cols = 100_000,
  reps = 3,
): { backend: string; rows: number; cols: number; runs: BenchRun[]; wasm: ReturnType<typeof wasmInfo> } {
  let seed = 1;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const x = Float32Array.from({ length: 3 * rows }, rand);
  const y = Float32Array.from({ length: 3 * cols }, rand);
  const b = Float32Array.from({ length: cols }, rand);
  const k = Vi(array(x, [rows, 3]))
    .sqdist(Vj(array(y, [cols, 3])))
    .neg()
    .exp()
    .mul(Vj(array(b, [cols, 1])));
  const time = (threads: number): BenchRun => {
    setWasmThreads(threads);
    try {
      k.sum('j'); // compile, start the workers' instances, tier up
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        k.sum('j');
        times.push(performance.now() - t0);
      }
      const best = Math.min(...times);
      return {
        threads,
        ms: times.map((t) => Math.round(t * 10) / 10),
        gpairsPerS: (rows * cols) / (best * 1e6),
      };
    } finally {
      setWasmThreads(undefined);
    }
  };
  const runs = [time(1)];
  if (wasmThreads() > 1) runs.push(time(wasmThreads()));
  return { backend: backendName(), rows, cols, runs, wasm: wasmInfo() };
}
