/**
 * lazytensor/learn: learning tools built on reductions. For now, exact K-nearest neighbours;
 * K-means, Gaussian mixtures, kernel regression and registration come later on the same engine.
 */
import { check } from '../errors.js';
import { type LazyTensor, type ReduceOptions, Vi, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { checkSquaredDistances, points, pointsOfDim } from './input.js';

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
  check(Number.isInteger(K) && K >= 1, () => `knn: K must be an integer >= 1, got ${K}`);
  const q = points(queries, 'knn(queries)');
  const r = pointsOfDim(refs, q.d, 'knn(refs)');
  if (q.dtype === r.dtype) checkSquaredDistances('knn', q, r);
  const d: LazyTensor = Vi(q.array).sqdist(Vj(r.array));
  const { values, indices } = d.kminArgKmin(K, 'j', opts);
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
