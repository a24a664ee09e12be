import { check } from '../../errors.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import type { BufferDType, DeviceBuffer } from '../types.js';
import type { CudaContext } from './context.js';
import type { DevicePtr } from './driver.js';

/** Element types of device arrays: the float dtypes and int32 (indices). */
export type DeviceDType = BufferDType;

const BYTES: Record<DeviceDType, number> = { float32: 4, float64: 8, int32: 4 };

/** The element type of a host typed array. */
export function hostDType(a: FloatArray | Int32Array): DeviceDType {
  return a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'int32';
}

function hostArray(dtype: DeviceDType, n: number): FloatArray | Int32Array {
  return dtype === 'float32'
    ? new Float32Array(n)
    : dtype === 'float64'
      ? new Float64Array(n)
      : new Int32Array(n);
}

interface Held {
  ctx: CudaContext;
  ptr: DevicePtr;
  bytes: number;
}

// Device memory of arrays that were dropped without free(): returned to the pool after GC. All
// device work is queued on one stream, so a reuse is ordered after every use already queued.
const finalizer = new FinalizationRegistry<Held>((h) => {
  try {
    h.ctx.release(h.ptr, h.bytes);
  } catch {
    // the context is gone or broken: nothing left to free
  }
});

/**
 * A row-major array in GPU memory. Made by `toDevice(ndarray)` or returned by kernels run with
 * `runDevice`; read back with `toHost()`. Free it with `free()` when done (a FinalizationRegistry
 * frees forgotten ones after garbage collection, but GPU memory is scarcer than the GC knows).
 */
export class DeviceArray implements DeviceBuffer {
  readonly backend = 'cuda';
  /** Number of elements. */
  readonly length: number;
  readonly byteLength: number;
  private p: DevicePtr | null;
  private readonly token = {};

  constructor(
    readonly ctx: CudaContext,
    readonly dtype: DeviceDType,
    readonly shape: readonly number[],
    ptr?: DevicePtr,
  ) {
    let n = 1;
    for (const s of shape) {
      check(
        Number.isInteger(s) && s >= 0,
        () => `DeviceArray: expected a shape of non-negative integers, got [${shape.join(', ')}]`,
      );
      n *= s;
    }
    this.length = n;
    this.byteLength = n * BYTES[dtype];
    this.p = ptr ?? ctx.alloc(this.byteLength);
    finalizer.register(this, { ctx, ptr: this.p, bytes: this.byteLength }, this.token);
  }

  /** The device address (throws after free()). */
  get ptr(): DevicePtr {
    check(this.p !== null, 'DeviceArray: used after free()');
    return this.p;
  }

  /** True once free() was called. */
  get freed(): boolean {
    return this.p === null;
  }

  /** Copies the array back to the host (waits for the kernels that write it). */
  toHost(): NDArray {
    const data = hostArray(this.dtype, this.length);
    const ptr = this.ptr;
    this.ctx.guard(() => {
      this.ctx.download(data, ptr, this.byteLength);
      this.ctx.sync();
    });
    return { data, shape: [...this.shape] };
  }

  /** Releases the device memory now. Idempotent. */
  free(): void {
    if (this.p === null) return;
    finalizer.unregister(this.token);
    const p = this.p;
    this.p = null;
    this.ctx.release(p, this.byteLength);
  }
}

/** Duck-typed test used by the user layer: true for a DeviceArray of any CUDA backend instance. */
export function isDeviceArray(x: unknown): x is DeviceArray {
  return x instanceof DeviceArray;
}

/** Copies a host array (NDArray or typed array) to a new DeviceArray on `ctx`. */
export function uploadArray(
  ctx: CudaContext,
  a: NDArray | FloatArray | Int32Array,
  shape?: readonly number[],
): DeviceArray {
  const data = ArrayBuffer.isView(a) ? a : a.data;
  const sh = shape ?? (ArrayBuffer.isView(a) ? [a.length] : a.shape);
  let n = 1;
  for (const s of sh) n *= s;
  check(
    n === data.length,
    () => `toDevice: shape [${sh.join(', ')}] holds ${n} values, the data has ${data.length}`,
  );
  const d = new DeviceArray(ctx, hostDType(data), sh);
  ctx.guard(() => ctx.upload(d.ptr, data, d.byteLength));
  return d;
}
