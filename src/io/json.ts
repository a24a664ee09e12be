/** JSON point files: an array of rows of numbers (number[][]), all rows of the same length. */
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { printable } from './printable.js';

/** A short description of a JSON value for an error message (never the whole value: it may be huge or deeply nested). */
function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  return printable(JSON.stringify(v) ?? String(v), 40); // undefined, functions and symbols have no JSON
}

/** Parses JSON text holding number[][] into a float64 [N, D] array. */
export function parseJsonPoints(text: string, name = '.json'): NDArray<Float64Array> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LazyTensorError(`${name}: invalid JSON (${printable((e as Error).message, 200)})`);
  }
  return rowsToPoints(value, name);
}

/** Checks that a value (parsed JSON, or number[][] given to a writer) holds rows of finite numbers, all of one length; a float64 [N, D] array. */
export function rowsToPoints(value: unknown, name: string): NDArray<Float64Array> {
  if (!Array.isArray(value) || value.length === 0 || !Array.isArray(value[0]))
    throw new LazyTensorError(`${name}: expected a non-empty array of rows (number[][])`);
  const d = (value[0] as unknown[]).length;
  const out = new Float64Array(value.length * d);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== d)
      throw new LazyTensorError(
        `${name}: row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${d}`,
      );
    row.forEach((v: unknown, k) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new LazyTensorError(
          `${name}: entry [${i}][${k}] is not a finite number (${typeof v === 'number' ? v : describe(v)})`,
        );
      out[i * d + k] = v;
    });
  });
  return { data: out, shape: [value.length, d] };
}

/** Formats a [N, D] array as JSON number[][]. */
export function formatJsonPoints(array: NDArray<FloatArray | Int32Array>): string {
  const [n, d] = array.shape as [number, number];
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(array.data.subarray(i * d, (i + 1) * d)));
  return `${JSON.stringify(rows)}\n`;
}
