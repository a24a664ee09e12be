/** K-nearest-neighbour classification: one KMin_ArgKMin reduction, then a vote over K labels per query. */
import { check } from '../errors.js';
import { Vi, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import {
  checkCount,
  checkNeighbourDistances,
  classLabels,
  engine,
  options,
  points,
  pointsOfDim,
} from './input.js';
import { scaledArray, underflowExponent } from './tinyScale.js';

export interface KnnClassifyOptions {
  /** 'uniform' (default: one vote per neighbour) or 'distance' (votes weighted by 1/distance). */
  weights?: 'uniform' | 'distance';
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

export interface KnnClassifyResult {
  /** Predicted class of each query, [N]: the largest vote, ties to the lowest label. */
  labels: NDArray<Int32Array>;
  /** Vote shares per class, [N, C] (rows sum to 1), C = max training label + 1. */
  proba: NDArray<Float64Array>;
}

/** Most values of the proba array [N, C] (2 GiB of float64). */
const MAX_PROBA = 2 ** 28;

/**
 * Classifies each query by a vote of its K nearest training points (squared Euclidean). With
 * 'distance' weights a neighbour at distance 0 takes all the vote (shared among such neighbours).
 */
export function knnClassify(
  train: NDArray | number[][],
  labels: Int32Array,
  queries: NDArray | number[][],
  K: number,
  opts?: KnnClassifyOptions,
): KnnClassifyResult {
  const o = options(opts, 'knnClassify');
  const t = points(train, 'knnClassify(train)');
  const { C } = classLabels(labels, t.n, 'knnClassify(labels)');
  const q = pointsOfDim(queries, t.d, 'knnClassify(queries)');
  checkCount(K, 'knnClassify: K', 1, t.n, ` (at most the number of training points, ${t.n})`);
  const mode = o.weights ?? 'uniform';
  check(
    mode === 'uniform' || mode === 'distance',
    () => `knnClassify: weights must be 'uniform' or 'distance', got ${String(mode)}`,
  );
  check(
    q.n * C <= MAX_PROBA,
    () =>
      `knnClassify: proba [${q.n}, ${C}] would hold ${q.n * C} values (C = the largest label + 1), more than ${MAX_PROBA}; number the classes 0..C-1 or classify fewer queries per call`,
  );
  // Tiny points are searched scaled by 2^e (exact; the votes depend on distance ratios only).
  const e = underflowExponent(t.dtype, [q.data, t.data]);
  const nn = Vi(e === 0 ? q.array : scaledArray(q.array, e))
    .sqdist(Vj(e === 0 ? t.array : scaledArray(t.array, e)))
    .kminArgKmin(K, 'j', engine(o));
  checkNeighbourDistances(nn.values.data, K, q.dtype, 'knnClassify');
  const proba = new Float64Array(q.n * C);
  const out = new Int32Array(q.n);
  const vote = new Float64Array(K);
  for (let i = 0; i < q.n; i++) {
    neighbourVotes(nn.values.data, i * K, K, mode, vote);
    let total = 0;
    for (let k = 0; k < K; k++) {
      proba[i * C + labels[nn.indices.data[i * K + k]!]!]! += vote[k];
      total += vote[k]!;
    }
    let best = 0;
    for (let c = 0; c < C; c++) {
      proba[i * C + c]! /= total;
      if (proba[i * C + c]! > proba[i * C + best]!) best = c;
    }
    out[i] = best;
  }
  return { labels: { data: out, shape: [q.n] }, proba: { data: proba, shape: [q.n, C] } };
}

/** The vote of each of K neighbours (squared distances d2[at..at+K)). */
function neighbourVotes(d2: FloatArray, at: number, K: number, mode: string, vote: Float64Array): void {
  if (mode === 'uniform') {
    vote.fill(1);
    return;
  }
  let exact = false;
  for (let k = 0; k < K; k++) if (d2[at + k]! <= 0) exact = true;
  for (let k = 0; k < K; k++) {
    const d = Math.sqrt(Math.max(d2[at + k]!, 0));
    vote[k] = exact ? (d === 0 ? 1 : 0) : 1 / d;
  }
}
