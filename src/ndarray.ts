import { check, LazyTensorError } from './errors.js';

/** A float typed array: the data of every float NDArray. */
export type FloatArray = Float32Array | Float64Array;
/** The float dtypes. */
export type DType = 'float32' | 'float64';

/** A row-major, contiguous n-dimensional array. */
export interface NDArray<T extends FloatArray | Int32Array = FloatArray | Int32Array> {
  data: T;
  shape: number[];
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** The dtype of a float typed array. */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float32Array ? 'float32' : 'float64';
}

/** A new zero-filled float array of the given dtype. */
export function allocFloat(dtype: DType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

function checkShape(shape: readonly number[], what: string): void {
  for (const s of shape) {
    check(
      Number.isInteger(s) && s >= 0,
      () => `${what}: expected a shape of non-negative integers, got [${shape.join(', ')}]`,
    );
  }
}

/**
 * Builds an NDArray. Typed arrays are used as they are (no copy); a flat typed array needs an
 * explicit shape. `number[]` gives shape [n] (or the given shape), `number[][]` gives [rows, cols]
 * as float64.
 */
export function array<T extends FloatArray | Int32Array>(data: T, shape: number[]): NDArray<T>;
export function array(data: number[] | number[][], shape?: number[]): NDArray<Float64Array>;
export function array(data: FloatArray | Int32Array | number[] | number[][], shape?: number[]): NDArray;
export function array(data: FloatArray | Int32Array | number[] | number[][], shape?: number[]): NDArray {
  if (ArrayBuffer.isView(data)) {
    check(shape !== undefined, 'array(): a flat typed array needs an explicit shape');
    checkShape(shape, 'array()');
    check(
      sizeOf(shape) === data.length,
      () => `array(): shape [${shape.join(', ')}] holds ${sizeOf(shape)} values, the data has ${data.length}`,
    );
    return { data, shape: [...shape] };
  }
  if (!Array.isArray(data)) {
    throw new LazyTensorError(`array(): expected a typed array, number[] or number[][], got ${typeof data}`);
  }
  if (data.length > 0 && Array.isArray(data[0])) {
    const rows = data as number[][];
    const cols = rows[0]!.length;
    const out = new Float64Array(rows.length * cols);
    rows.forEach((row, r) => {
      check(
        Array.isArray(row) && row.length === cols,
        () => `array(): row ${r} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${cols}`,
      );
      for (let c = 0; c < cols; c++) {
        const v = row[c];
        check(typeof v === 'number', () => `array(): entry [${r}][${c}] is not a number (${String(v)})`);
        out[r * cols + c] = v;
      }
    });
    const sh = shape ?? [rows.length, cols];
    check(
      sizeOf(sh) === out.length,
      () => `array(): shape [${sh.join(', ')}] does not fit ${out.length} values`,
    );
    return { data: out, shape: [...sh] };
  }
  const flat = data as number[];
  flat.forEach((v, k) =>
    check(typeof v === 'number', () => `array(): entry ${k} is not a number (${String(v)})`),
  );
  const sh = shape ?? [flat.length];
  checkShape(sh, 'array()');
  check(
    sizeOf(sh) === flat.length,
    () => `array(): shape [${sh.join(', ')}] does not fit ${flat.length} values`,
  );
  return { data: Float64Array.from(flat), shape: [...sh] };
}

/** True when `x` looks like an NDArray. */
export function isNDArray(x: unknown): x is NDArray {
  return (
    typeof x === 'object' &&
    x !== null &&
    ArrayBuffer.isView((x as NDArray).data) &&
    Array.isArray((x as NDArray).shape)
  );
}

/**
 * The rows of a 2-D array as number[][] (a fresh copy; Int32 data gives integers). For users who
 * want plain JavaScript arrays back, e.g. `toRows(K.sum('j'))`.
 *
 * @example toRows(array([[1, 2], [3, 4]])) // [[1, 2], [3, 4]]
 */
export function toRows(a: NDArray): number[][] {
  check(
    a.shape.length === 2,
    () => `toRows(): expected a 2-D array [N, D], got shape [${a.shape.join(', ')}]`,
  );
  const [n, d] = a.shape as [number, number];
  const rows: number[][] = new Array(n);
  for (let r = 0; r < n; r++) rows[r] = Array.from(a.data.subarray(r * d, (r + 1) * d));
  return rows;
}
