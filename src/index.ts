/**
 * lazytensor: symbolic matrices (KeOps-style) for TypeScript. Formulas over i- and j-indexed
 * point clouds are compiled just in time to JavaScript, C++ or CUDA and reduced in O(N+M) memory,
 * with symbolic gradients.
 */
import './formula/ops/index.js';

export { CudaError, DeviceArray, isDeviceArray, toDevice } from './backends/cuda/index.js';
export { jsThreads, setJsThreads, shutdownJsWorkers } from './backends/js/index.js';
export {
  clearNativeCache,
  type NativeOptions,
  type NativeStats,
  nativeStats,
  precompileNative,
  setNativeOptions,
} from './backends/native/index.js';
export {
  backends,
  getBackend,
  getDeviceBackend,
  registerBackend,
  setDefaultBackend,
} from './backends/registry.js';
export type {
  Backend,
  BackendStatus,
  BufferDType,
  CompiledKernel,
  DeviceBuffer,
  DeviceRunArgs,
  DeviceRunResult,
  KernelRanges,
  RunArgs,
} from './backends/types.js';
export {
  setWasmThreads,
  shutdownWasmWorkers,
  startWasmWorkers,
  type WasmPoolInfo,
  wasmPoolInfo,
  wasmStats,
  wasmThreads,
} from './backends/wasm/index.js';
export { LazyTensorError } from './errors.js';
export {
  type GenredArg,
  type GenredFunction,
  type GenredOptions,
  type GenredResult,
  genred,
} from './genred.js';
export type { KernelSpec } from './kernel/spec.js';
export {
  type Axis,
  type BlockDiagonalOptions,
  clusterRangesCentroids,
  type DiagonalBlock,
  type DiagonalBlockResult,
  type EvalOptions,
  gridCluster,
  LazyExpr,
  LazyTensor,
  type Operand,
  Pm,
  type Ranges,
  type ReduceOptions,
  rangesFromMask,
  reduce,
  reduceBlockDiagonal,
  type SolveOptions,
  sortClusters,
  transposeRanges,
  Vi,
  Vj,
} from './lazy/index.js';
export {
  MAX_DIM,
  MAX_FORMULA_ARGS,
  MAX_FORMULA_DEPTH,
  MAX_FORMULA_LENGTH,
  MAX_GENERATED_CODE,
  MAX_K,
  MAX_KERNEL_SCALARS,
} from './limits.js';
export { array, type DType, type FloatArray, type NDArray, toRows } from './ndarray.js';
export type { AccumulatorKind, ReductionKind } from './reduction/index.js';
export { parseFormula, printFormula } from './syntax/index.js';
