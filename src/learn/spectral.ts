/**
 * Spectral clustering (Ng, Jordan, Weiss): the Gaussian affinity W, its normalised form
 * D^{-1/2} W D^{-1/2} (D the degrees W·1, one reduction), applied implicitly inside `eigsh`; the K
 * leading eigenvectors, rows scaled to unit length, are clustered by k-means.
 */
import { check } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { eigsh } from './eigsh.js';
import { checkInt, kernelMatrix, kernelOf, pointArray } from './kernels.js';
import { kmeans } from './kmeans.js';

/** Options of `spectralClustering`. */
export interface SpectralClusteringOptions {
  /** Scale s of the Gaussian affinity exp(−‖x−y‖²/(2s²)). */
  scale: number;
  /** Seed of the eigensolver and of k-means (default 0). */
  seed?: number;
  /** k-means restarts on the embedding (default 10). */
  nInit?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

/** Cluster labels and the spectral embedding they were found in. */
export interface SpectralClusteringResult {
  labels: NDArray<Int32Array>;
  /** Rows of the K leading eigenvectors of D^{-1/2} W D^{-1/2}, each scaled to unit length, [N, K]. */
  embedding: NDArray<Float64Array>;
}

/** Clusters the points of `x` into K groups. */
export function spectralClustering(
  x: NDArray | number[][],
  K: number,
  opts: SpectralClusteringOptions,
): SpectralClusteringResult {
  check(typeof opts === 'object' && opts !== null, 'spectralClustering: options { scale } are required');
  const xa = pointArray(x, 'spectralClustering(x)');
  const N = xa.shape[0]!;
  checkInt(K, 'spectralClustering: K', 1, N);
  const k = kernelOf({ kernel: 'gaussian', scale: opts.scale }, 'spectralClustering');
  const seed = checkInt(opts.seed ?? 0, 'spectralClustering: seed', 0, 2 ** 32 - 1);
  const nInit = checkInt(opts.nInit ?? 10, 'spectralClustering: nInit', 1, 1e6);
  const W = kernelMatrix(xa, xa, k);
  const Ctor = xa.data.constructor as { new (len: number): FloatArray };
  const eng = opts.backend === undefined ? {} : { backend: opts.backend };
  const ones = new Ctor(N).fill(1);
  const deg = W.matvec({ data: ones, shape: [N, 1] }, eng).data;
  const isd = Float64Array.from(deg, (d) => 1 / Math.sqrt(d));
  const { vectors } = eigsh(
    {
      n: N,
      matvec: (v: NDArray) => {
        const b = v.shape[1] ?? 1;
        const s = new Ctor(N * b);
        for (let t = 0; t < N * b; t++) s[t] = v.data[t]! * isd[Math.floor(t / b)]!;
        const out = W.matvec({ data: s, shape: [N, b] }, eng).data;
        return { data: Float64Array.from(out, (val, t) => val * isd[Math.floor(t / b)]!), shape: v.shape };
      },
    },
    K,
    {
      blockSize: Math.min(K, 16),
      seed,
      tol: Ctor === Float32Array ? 1e-4 : 1e-6,
      maxIter: Math.ceil(Math.min(N, Math.max(200, 40 * K)) / Math.min(K, 16)) + 1,
    },
  );
  const emb = Float64Array.from(vectors.data);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let c = 0; c < K; c++) s += emb[i * K + c]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < K; c++) emb[i * K + c]! *= inv;
  }
  const embedding = { data: emb, shape: [N, K] };
  const { labels } = kmeans(embedding, K, { seed, nInit, ...eng });
  return { labels, embedding };
}
