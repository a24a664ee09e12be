import type { KernelSpec } from '../kernel/spec.js';
import type { FloatArray, NDArray } from '../ndarray.js';

/**
 * Block-sparse ranges for a reduction over j (KeOps' ranges_i, slices_i, redranges_j):
 * row block b covers rows [rowRanges[2b], rowRanges[2b+1]); its column intervals are
 * colRanges[2r..2r+1] for r in [slices[b-1] (0 for b = 0), slices[b]). Rows in no block give the
 * reduction's identity (0 for sums).
 */
export interface KernelRanges {
  rowRanges: Int32Array;
  slices: Int32Array;
  colRanges: Int32Array;
}

/** Element types of run buffers: the float dtypes and int32 (indices). */
export type BufferDType = 'float32' | 'float64' | 'int32';

/**
 * A row-major array in a backend's own memory (a GPU's: CUDA today, WebGPU later), made by the
 * backend's `toDevice` or returned by a reduction evaluated with `output: 'device'`. Kernels of
 * that backend read it in place. The user layer knows device buffers only through this interface.
 */
export interface DeviceBuffer {
  /** Name of the backend whose memory holds it. */
  readonly backend: string;
  readonly dtype: BufferDType;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly length: number;
  /** True once free() was called. */
  readonly freed: boolean;
  /** Copies the array back to the host (waits for the kernels that write it). */
  toHost(): NDArray;
  /** Releases the device memory now. Idempotent. */
  free(): void;
}

/** Sizes, buffers and options of one run. Inputs are row-major [n, dim] per slot. */
export interface RunArgs {
  /** One array per slot: i-slots nI*dim, j-slots nJ*dim, p-slots dim; all of the spec's dtype. */
  inputs: readonly FloatArray[];
  nI: number;
  nJ: number;
  /** nI * spec.outDim values (when outDim > 0). */
  out?: FloatArray;
  /** nI * spec.outIdxDim indices (when outIdxDim > 0). */
  outIdx?: Int32Array;
  ranges?: KernelRanges;
  /** With a spec's `groupSums`: its per-run arrays. */
  groups?: GroupSumsRun;
}

/**
 * The arrays of a run's group sums (reduction/groupSums.ts): values [nI·dim] of the spec's dtype,
 * weights [nI] when the spec says `weighted`, out [nJ·(dim+1)]. A kernel that writes `out` itself
 * (native) sets `written`; otherwise the caller runs `groupSumsHost` on the indices after the run.
 */
export interface GroupSumsRun {
  values: FloatArray;
  weights?: Float64Array;
  out: Float64Array;
  written?: boolean;
}

/** A run whose inputs and outputs may live in the backend's device memory. */
export interface DeviceRunArgs {
  /** Host arrays (copied for this call) or device buffers of this backend (read in place). */
  inputs: readonly (FloatArray | DeviceBuffer)[];
  nI: number;
  nJ: number;
  /** Where to write the values ([nI, outDim]); a new buffer when omitted. */
  out?: DeviceBuffer;
  /** Where to write the indices ([nI, outIdxDim]); a new buffer when omitted. */
  outIdx?: DeviceBuffer;
  ranges?: KernelRanges;
}

/** Outputs of a device run, still in device memory (the kernel may still be running). */
export interface DeviceRunResult {
  out?: DeviceBuffer;
  outIdx?: DeviceBuffer;
}

/** One compiled reduction. `run` is synchronous. */
export interface CompiledKernel {
  readonly backend: string;
  run(args: RunArgs): void;
  /**
   * Same, without blocking the calling thread: the work runs on other threads (a pool's workers,
   * a native thread) while the caller awaits. Backends without it are run synchronously by the
   * async entries. The buffers must not be touched until it settles.
   */
  runAsync?(args: RunArgs): Promise<void>;
  /** Device backends only: runs on device buffers and leaves the outputs there. */
  runDevice?(args: DeviceRunArgs): DeviceRunResult;
}

/** Availability of a backend, as `backends()` reports it. */
export interface BackendStatus {
  available: boolean;
  reason?: string;
  device?: string;
}

/** A code generator + compiler + runner for one target. */
export interface Backend {
  readonly name: string;
  /**
   * Preference of `'auto'`: the available backend with the highest priority wins (ties: the one
   * registered first). Built in: js 0, native 10, cuda 20. Default 0.
   */
  readonly priority?: number;
  status(): BackendStatus;
  /** Compiles (or fetches from cache) the kernel of a spec. */
  compile(spec: KernelSpec): CompiledKernel;
  /**
   * Estimated wall time, in seconds, of a first call of `pairs` pairs of `spec` on this backend
   * (code generation included). The serving policy of kernels still compiling (serving.ts) weighs
   * it against the expected compile time; backends without it are assumed as slow as JavaScript.
   */
  estimateSeconds?(spec: KernelSpec, pairs: number): number;
  /**
   * Device backends only (those whose kernels have `runDevice`): a new, uninitialised buffer in
   * the backend's memory. Its presence is what marks a backend as holding device memory.
   */
  empty?(dtype: BufferDType, shape: readonly number[]): DeviceBuffer;
}
