/** The user layer: LazyTensor, variables, reductions, gradients, ranges. */

export {
  type BlockDiagonalOptions,
  type DiagonalBlock,
  type DiagonalBlockResult,
  reduceBlockDiagonal,
} from './blockDiagonal.js';
export type { CgControl, CgProgress } from './cg.js';
export { clusterRangesCentroids, gridCluster, rangesFromMask, sortClusters } from './clusters.js';
export type { InputArray } from './data.js';
export { paramArray } from './data.js';
export { type EvalOptions, LazyExpr } from './lazyExpr.js';
export { type Axis, LazyTensor, type Operand } from './lazytensor.js';
export type { SolveOptions } from './linalg.js';
export { type Ranges, transposeRanges } from './ranges.js';
export { type ReduceOptions, type ReduceRequest, type ReduceResult, reduce } from './reduce.js';
export { Pm, Vi, Vj } from './variables.js';
