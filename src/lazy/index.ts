/** The user layer: LazyTensor, variables, reductions, gradients, ranges. */

export type { CgControl, CgProgress } from './cg.js';
export { clusterRangesCentroids, gridCluster, rangesFromMask, sortClusters } from './clusters.js';
export type { InputArray } from './data.js';
export { paramArray } from './data.js';
export { type Axis, LazyTensor, type Operand, Pm, Vi, Vj } from './lazytensor.js';
export type { SolveOptions } from './linalg.js';
export type { Ranges } from './ranges.js';
export { type ReduceOptions, type ReduceRequest, type ReduceResult, reduce } from './reduce.js';
export { type EvalOptions, LazyExpr } from './reduction.js';
