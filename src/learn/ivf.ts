/**
 * Approximate K nearest neighbours with an inverted file (IVF), as KeOps' IVF tutorial: the
 * reference points are clustered by k-means (the coarse quantiser) and sorted by cluster. A search
 * assigns each query to its nearest centroid, sorts the queries by cluster, and lets the queries
 * of cluster a visit only the reference clusters of the `nprobe` centroids nearest to centroid a:
 * one block-sparse KMin_ArgKMin reduction. With nprobe = nlist every cluster is visited (exact).
 */
import { check } from '../errors.js';
import { type LazyTensor, rangesFromMask, sortClusters, Vi, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { maxAbs } from './floatScans.js';
import { checkCount, engine, options, points, pointsOfDim } from './input.js';
import { kmeans } from './kmeans.js';
import { scaledArray, scaleInPlace, underflowExponent } from './tinyScale.js';

export interface IvfOptions {
  /** Number of clusters of the coarse quantiser (1 ≤ nlist ≤ N; √N is a good start). */
  nlist: number;
  /** Seed of the k-means initialisation (default 0). */
  seed?: number;
  /** Lloyd iterations of the quantiser (default 10, as KeOps' tutorial). */
  maxIter?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

export interface IvfSearchOptions {
  /** Clusters visited per query (1 ≤ nprobe ≤ nlist; nlist is exact). */
  nprobe: number;
  /** Engine backend (default: the index's). */
  backend?: string;
}

export interface IvfSearchResult {
  /**
   * Indices into the reference points, [N, K], nearest first; −1 (with an infinite distance)
   * where the visited clusters hold fewer than K points.
   */
  indices: NDArray<Int32Array>;
  sqDistances: NDArray<FloatArray>;
}

export interface IvfIndex {
  readonly nlist: number;
  /** Centroids of the coarse quantiser, [nlist, D]. */
  readonly centroids: NDArray<FloatArray>;
  /** The K approximate nearest references of each query. */
  search(queries: NDArray | number[][], K: number, opts: IvfSearchOptions): IvfSearchResult;
}

/** Builds an IVF index on the reference points (rows of refs). */
export function ivfIndex(refs: NDArray | number[][], opts: IvfOptions): IvfIndex {
  const o = options(opts, 'ivfIndex');
  const r = points(refs, 'ivfIndex(refs)');
  const nlist = checkCount(o.nlist, 'ivfIndex: nlist', 1, r.n, ` (at most the number of points, ${r.n})`);
  const km = kmeans(r.array, nlist, {
    init: 'random',
    maxIter: checkCount(o.maxIter ?? 10, 'ivfIndex: maxIter', 1, Number.MAX_SAFE_INTEGER),
    tol: 0,
    seed: checkCount(o.seed ?? 0, 'ivfIndex: seed', 0, 2 ** 32 - 1),
    backend: o.backend,
  });
  const sorted = sortClusters(r.array, km.labels.data);
  const refRanges = clusterRanges(sorted.labels, nlist);
  const R: LazyTensor = Vj(sorted.x);
  const C = km.centroids;
  const refMax = maxAbs(r.data);
  return {
    nlist,
    centroids: C,
    search(queries, K, so) {
      const s = options(so, 'ivfIndex.search');
      const q = pointsOfDim(queries, r.d, 'ivfIndex.search(queries)');
      checkCount(K, 'ivfIndex.search: K', 1, r.n, ` (at most the number of references, ${r.n})`);
      const nprobe = checkCount(s.nprobe, 'ivfIndex.search: nprobe', 1, nlist, ' (at most nlist)');
      const eng = engine({ backend: s.backend ?? o.backend });
      // Tiny points are searched scaled by 2^e (exact), their distances scaled back (tinyScale.ts).
      const e = underflowExponent(r.dtype, [q.data], [refMax]);
      const Q = e === 0 ? q.array : scaledArray(q.array, e);
      const Cs = e === 0 ? C : scaledArray(C, e);
      // Each query's cluster, and each cluster's nprobe nearest clusters (centroid to centroid).
      const qLabels = Vi(Q).sqdist(Vj(Cs)).argmin('j', eng).data;
      const near = Vi(Cs).sqdist(Vj(Cs)).argKmin(nprobe, 'j', eng).data;
      const keep = new Uint8Array(nlist * nlist);
      for (let a = 0; a < nlist; a++)
        for (let t = 0; t < nprobe; t++) keep[a * nlist + near[a * nprobe + t]!] = 1;
      const qs = sortClusters(Q, qLabels);
      const ranges = rangesFromMask(clusterRanges(qs.labels, nlist), refRanges, keep);
      const res = Vi(qs.x)
        .sqdist(e === 0 ? R : Vj(scaledArray(sorted.x, e)))
        .kminArgKmin(K, 'j', { ...eng, ranges });
      if (e !== 0) scaleInPlace(res.values.data, -2 * e);
      // Back to the caller's order of queries and references.
      const indices = new Int32Array(q.n * K);
      const dist = new (res.values.data.constructor as { new (n: number): FloatArray })(q.n * K);
      for (let row = 0; row < q.n; row++) {
        const i = qs.perm[row]!;
        for (let k = 0; k < K; k++) {
          const j = res.indices.data[row * K + k]!;
          const ok = j >= 0 && j < r.n;
          indices[i * K + k] = ok ? sorted.perm[j]! : -1;
          dist[i * K + k] = ok ? res.values.data[row * K + k]! : Number.POSITIVE_INFINITY;
        }
      }
      return { indices: { data: indices, shape: [q.n, K] }, sqDistances: { data: dist, shape: [q.n, K] } };
    },
  };
}

/** Index range [start, end) of each of `count` clusters in points sorted by label ([count, 2]). */
function clusterRanges(labels: Int32Array, count: number): Int32Array {
  const out = new Int32Array(2 * count);
  let i = 0;
  for (let c = 0; c < count; c++) {
    out[2 * c] = i;
    while (i < labels.length && labels[i] === c) i++;
    out[2 * c + 1] = i;
  }
  check(i === labels.length, 'ivfIndex: internal error, labels are not sorted');
  return out;
}
