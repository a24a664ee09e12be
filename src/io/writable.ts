/** The one check of an array given to a writer: typed data, a shape of non-negative integers, and as many values as the shape holds. */
import { LazyTensorError } from '../errors.js';
import { type FloatArray, type NDArray, sizeOf } from '../ndarray.js';

export function checkWritable(
  array: unknown,
  name: string,
): asserts array is NDArray<FloatArray | Int32Array> {
  const { data, shape } = (array ?? {}) as { data?: unknown; shape?: unknown };
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array))
    throw new LazyTensorError(
      `${name}: can only write Float32Array, Float64Array or Int32Array data, got ${(data as object | undefined)?.constructor?.name ?? typeof data}`,
    );
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0))
    throw new LazyTensorError(
      `${name}: expected a shape of non-negative integers, got [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`,
    );
  if (sizeOf(shape) !== data.length)
    throw new LazyTensorError(
      `${name}: shape [${shape.join(', ')}] holds ${sizeOf(shape)} values, the data has ${data.length}`,
    );
}
