/**
 * lazytensor/learn: learning tools built on reductions. For now, exact K-nearest neighbours;
 * K-means, Gaussian mixtures, kernel regression and registration come later on the same engine.
 */
import { type LazyTensor, type ReduceOptions, Vi, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { checkCount, checkNeighbourDistances, points, pointsOfDim } from './input.js';
import { scaledArray, scaleInPlace, underflowExponent } from './tinyScale.js';

/** Result of a K-NN query: neighbour indices and squared distances, both [N, K], nearest first. */
export interface KnnResult {
  indices: NDArray<Int32Array>;
  sqDistances: NDArray<FloatArray>;
}

/** Exact K nearest neighbours (squared Euclidean) of each query row among the reference rows. */
export function knn(
  queries: NDArray | number[][],
  refs: NDArray | number[][],
  K: number,
  opts?: ReduceOptions,
): KnnResult {
  const r = points(refs, 'knn(refs)');
  const q = pointsOfDim(queries, r.d, 'knn(queries)');
  checkCount(K, 'knn: K', 1, r.n, ` (at most the number of references, ${r.n})`);
  // Tiny points are searched scaled by 2^e (exact), their distances scaled back (tinyScale.ts).
  const e = underflowExponent(r.dtype, [q.data, r.data]);
  const d: LazyTensor = Vi(e === 0 ? q.array : scaledArray(q.array, e)).sqdist(
    Vj(e === 0 ? r.array : scaledArray(r.array, e)),
  );
  const { values, indices } = d.kminArgKmin(K, 'j', opts);
  checkNeighbourDistances(values.data, K, q.dtype, 'knn');
  if (e !== 0) scaleInPlace(values.data, -2 * e);
  return { indices, sqDistances: values };
}
export { type KnnClassifyOptions, type KnnClassifyResult, knnClassify } from './classify.js';
export { type EigshOptions, type EigshResult, eigsh, type SymmetricOperator } from './eigsh.js';
export {
  type CovarianceType,
  type GaussianMixtureOptions,
  type GaussianMixtureResult,
  gaussianMixture,
} from './gmm.js';
export {
  type IvfIndex,
  type IvfOptions,
  type IvfSearchOptions,
  type IvfSearchResult,
  ivfIndex,
} from './ivf.js';
export { type KernelPCAOptions, type KernelPCAResult, kernelPCA } from './kernelPCA.js';
export { type KernelRidgeModel, type KernelRidgeOptions, kernelRidge } from './kernelRidge.js';
export type { KernelName } from './kernels.js';
export { type KMeansAlgorithm, type KMeansOptions, type KMeansResult, kmeans } from './kmeans.js';
export { type NystromOptions, type NystromResult, nystrom } from './nystrom.js';
export { type NystromEigenpairsOptions, nystromEigenpairs } from './nystromOperator.js';
export {
  type SpectralClusteringOptions,
  type SpectralClusteringResult,
  spectralClustering,
} from './spectral.js';
