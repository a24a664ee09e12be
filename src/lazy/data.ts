import { isDeviceBuffer } from '../backends/common/device.js';
import type { DeviceBuffer } from '../backends/types.js';
import { check, LazyTensorError } from '../errors.js';
import { array, type DType, dtypeOf, type FloatArray, isNDArray, type NDArray, sizeOf } from '../ndarray.js';

/** What a variable can be bound to: a host array, or a device buffer of a backend (e.g. CUDA's `toDevice`). */
export type InputArray = NDArray | DeviceBuffer;

/** Inputs accepted where an array is expected. */
export type ArrayLike = NDArray | number[][];

/** Arrays made from JavaScript numbers: they take the dtype of the other data of a reduction. */
const flexible = new WeakSet<object>();

/** An NDArray of float data holding a parameter given as a JS number or number[]. Its dtype adapts. */
export function paramArray(v: number | number[]): NDArray<FloatArray> {
  if (typeof v === 'number') {
    // The hot case (a JS number in an expression): no intermediate array, no weak-set entry.
    if (!Number.isFinite(v)) {
      throw new LazyTensorError(`Pm(): entry 0 must be a finite number, got ${String(v)}`);
    }
    const data = new Float64Array(1);
    data[0] = v;
    return new ParamArray(data, [1]);
  }
  const vals = v;
  check(
    Array.isArray(vals) && vals.length > 0,
    () => `Pm(): expected a number or a non-empty number[], got ${String(v)}`,
  );
  vals.forEach((x, k) =>
    check(typeof x === 'number', () => `Pm(): entry ${k} must be a number, got ${String(x)}`),
  );
  checkFiniteParam(vals, 'Pm()');
  return new ParamArray(Float64Array.from(vals), [vals.length]);
}

/** The arrays paramArray makes: flexible by their class (no weak-set entry per parameter). */
class ParamArray implements NDArray<FloatArray> {
  constructor(
    public data: Float64Array,
    public shape: number[],
  ) {}
}

/**
 * Parameter values (Pm, and genred's parameter arguments, in every form: number, number[],
 * typed array, NDArray) must be finite. One parameter is shared by every (i, j) pair, so a NaN
 * or an infinity would turn the whole result into NaN, or make Min/ArgMin skip every pair,
 * without an error; a parameter is small, so the scan costs nothing next to a reduction. (Large
 * Vi/Vj data is not scanned: NaN there propagates as documented for each reduction.)
 */
export function checkFiniteParam(
  data: { readonly length: number; readonly [k: number]: number },
  what: string,
): void {
  for (let k = 0; k < data.length; k++) {
    const x = data[k]!;
    if (!Number.isFinite(x)) {
      throw new LazyTensorError(`${what}: entry ${k} must be a finite number, got ${String(x)}`);
    }
  }
}

/** True for arrays made by paramArray (dtype follows the rest of the data). */
export function isFlexible(a: InputArray): boolean {
  return a instanceof ParamArray || flexible.has(a);
}

/** Converts user input to a float NDArray with at least `minRank` dims, checking values are numbers. */
export function toFloatArray(x: unknown, what: string, minRank = 1): NDArray<FloatArray> {
  let a: NDArray;
  if (isNDArray(x)) a = x;
  else if (Array.isArray(x)) a = array(x as number[][]);
  else {
    throw new LazyTensorError(
      `${what}: expected an NDArray or number[][], got ${x === null ? 'null' : typeof x}`,
    );
  }
  check(
    a.data instanceof Float32Array || a.data instanceof Float64Array,
    () => `${what}: expected float32 or float64 data, got ${a.data.constructor.name}`,
  );
  check(
    a.shape.length >= minRank,
    () => `${what}: expected at least ${minRank} dimension(s), got shape [${a.shape.join(', ')}]`,
  );
  check(
    sizeOf(a.shape) === a.data.length,
    () =>
      `${what}: shape [${a.shape.join(', ')}] holds ${sizeOf(a.shape)} values, the data has ${a.data.length}`,
  );
  for (const s of a.shape) {
    check(Number.isInteger(s) && s >= 0, () => `${what}: invalid shape [${a.shape.join(', ')}]`);
  }
  return a as NDArray<FloatArray>;
}

/** The common dtype of a set of arrays (flexible ones excluded); float64 when all are flexible. */
export function commonDtype(arrays: readonly InputArray[]): DType {
  let dt: DType | undefined;
  for (const a of arrays) {
    if (isFlexible(a)) continue;
    const d = isDeviceBuffer(a) ? deviceDtype(a) : dtypeOf(a.data as FloatArray);
    if (dt === undefined) dt = d;
    else if (dt !== d) {
      throw new LazyTensorError(
        'mixed dtypes: all arrays of one reduction must be float32, or all float64; got both (convert one of them)',
      );
    }
  }
  return dt ?? 'float64';
}

/** The data of an array in the given dtype (no copy when it already is). */
export function asDtype(a: FloatArray, dtype: DType): FloatArray {
  if (dtype === 'float32') return a instanceof Float32Array ? a : Float32Array.from(a);
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/** Marks an internally made array (indices as floats, aranges) as taking the dtype of the other data. */
export function markFlexible<T extends NDArray>(a: T): T {
  flexible.add(a);
  return a;
}

function deviceDtype(a: DeviceBuffer): DType {
  check(a.dtype !== 'int32', () => `expected a float32 or float64 device array, got ${a.dtype}`);
  return a.dtype as DType;
}

/** Checks a device array bound to a variable: float dtype, at least `minRank` dims, not freed. */
export function checkDeviceInput(a: DeviceBuffer, what: string, minRank: number): DeviceBuffer {
  deviceDtype(a);
  check(
    a.shape.length >= minRank,
    () => `${what}: expected at least ${minRank} dimension(s), got shape [${a.shape.join(', ')}]`,
  );
  return a;
}

/** A host array, or a clear error for a device array where host data is needed. */
export function host(a: InputArray, what = 'this operation'): NDArray {
  if (isDeviceBuffer(a)) {
    throw new LazyTensorError(`${what} needs host arrays: copy the device array back with .toHost() first`);
  }
  return a;
}
