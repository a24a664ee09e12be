/**
 * lazytensor/io: point clouds from and to files, chosen by extension: .npy (float32, float64,
 * int32), .csv / .tsv / .txt (delimiter detected, header optional), .ply (ASCII and binary),
 * .obj (v lines), .xyz (x y z per line), .json (number[][]). Every error is a LazyTensorError
 * that names the file and the problem.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { formatJsonPoints, parseJsonPoints, rowsToPoints } from './json.js';
import { encodeNpy, parseNpy } from './npy.js';
import { formatObj, parseObj } from './obj.js';
import { encodePly, parsePly } from './ply.js';
import { formatDelimited, parseDelimited } from './text.js';
import { checkWritable } from './writable.js';

export { encodeNpy, parseNpy } from './npy.js';
export { encodePly, parsePly } from './ply.js';

/** The file formats, named by their extension. */
export type PointFormat = 'npy' | 'csv' | 'tsv' | 'txt' | 'ply' | 'obj' | 'xyz' | 'json';
export const POINT_FORMATS: readonly PointFormat[] = [
  'npy',
  'csv',
  'tsv',
  'txt',
  'ply',
  'obj',
  'xyz',
  'json',
];

/** The format of a path, from its extension (case-insensitive); a clear error for any other. */
export function formatOf(file: string): PointFormat {
  const ext = path.extname(file).slice(1).toLowerCase();
  if ((POINT_FORMATS as readonly string[]).includes(ext)) return ext as PointFormat;
  throw new LazyTensorError(
    `${file}: unknown file extension '${ext ? `.${ext}` : ''}' (expected one of ${POINT_FORMATS.map((f) => `.${f}`).join(', ')})`,
  );
}

/** A clear error for a format name that is not one of POINT_FORMATS (from JavaScript callers). */
function checkFormat(format: string, name: string): void {
  if (!(POINT_FORMATS as readonly string[]).includes(format))
    throw new LazyTensorError(
      `${name}: unknown format '${String(format)}' (expected one of ${POINT_FORMATS.join(', ')})`,
    );
}

/**
 * Parses file contents into points [N, D]: float32 where the file stores float32 (.npy '<f4',
 * PLY float), float64 otherwise (int32 .npy data is converted). A 1-D .npy array gives [N, 1].
 */
export function parsePoints(
  bytes: Uint8Array,
  format: PointFormat,
  name: string = `.${format}`,
): NDArray<FloatArray> {
  checkFormat(format, name);
  const text = () => new TextDecoder('utf-8').decode(bytes);
  let a: NDArray<FloatArray | Int32Array>;
  switch (format) {
    case 'npy':
      a = parseNpy(bytes, name);
      break;
    case 'ply':
      a = parsePly(bytes, name);
      break;
    case 'obj':
      a = parseObj(text(), name);
      break;
    case 'json':
      a = parseJsonPoints(text(), name);
      break;
    case 'xyz':
      a = parseDelimited(text(), name, 3);
      break;
    default:
      a = parseDelimited(text(), name);
  }
  if (a.shape.length === 1) a = { data: a.data, shape: [a.shape[0]!, 1] };
  if (a.shape.length !== 2)
    throw new LazyTensorError(
      `${name}: expected points as a 1-D or 2-D array, got shape (${a.shape.join(', ')})`,
    );
  if (a.shape[0] === 0 || a.shape[1] === 0)
    throw new LazyTensorError(`${name}: the file holds no points (shape (${a.shape.join(', ')}))`);
  const data = a.data instanceof Int32Array ? Float64Array.from(a.data) : a.data;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]))
      throw new LazyTensorError(
        `${name}: value ${k} (row ${Math.floor(k / a.shape[1]!)}) is not finite (${data[k]})`,
      );
  }
  return { data, shape: a.shape };
}

/** Reads a point cloud [N, D] from a file (format from the extension). */
export function readPoints(file: string): NDArray<FloatArray> {
  const format = formatOf(file);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
    throw new LazyTensorError(`${file}: cannot read the file (${why})`);
  }
  return parsePoints(bytes, format, file);
}

function asArray(
  array: NDArray<FloatArray | Int32Array> | number[][],
  file: string,
): NDArray<FloatArray | Int32Array> {
  if (Array.isArray(array)) return rowsToPoints(array, file);
  checkWritable(array, file);
  if (array.shape.length === 1) return { data: array.data, shape: [array.shape[0]!, 1] };
  if (array.shape.length !== 2)
    throw new LazyTensorError(
      `${file}: can only write a 1-D or 2-D array, got shape [${array.shape.join(', ')}]`,
    );
  return array;
}

/** The file contents for an array [N, D] in a format (.ply, .obj and .xyz need D = 3; int32 data only in .npy, text and .json). */
export function encodePoints(
  array: NDArray<FloatArray | Int32Array> | number[][],
  format: PointFormat,
  name: string = `.${format}`,
): Uint8Array {
  checkFormat(format, name);
  const a = asArray(array, name);
  const d = a.shape[1]!;
  if ((format === 'ply' || format === 'obj' || format === 'xyz') && d !== 3)
    throw new LazyTensorError(`${name}: .${format} files hold 3-D points, the array has ${d} columns`);
  if ((format === 'ply' || format === 'obj') && a.data instanceof Int32Array)
    throw new LazyTensorError(`${name}: .${format} files hold float coordinates, got int32 data`);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  switch (format) {
    case 'npy':
      return encodeNpy(a);
    case 'ply':
      return encodePly(a as NDArray<FloatArray>);
    case 'obj':
      return utf8(formatObj(a as NDArray<FloatArray>));
    case 'json':
      return utf8(formatJsonPoints(a));
    case 'csv':
      return utf8(formatDelimited(a, ','));
    case 'tsv':
      return utf8(formatDelimited(a, '\t'));
    default:
      return utf8(formatDelimited(a, ' '));
  }
}

/** Writes an array [N, D] (or [N]) to a file, format from the extension. */
export function writePoints(file: string, array: NDArray<FloatArray | Int32Array> | number[][]): void {
  const bytes = encodePoints(array, formatOf(file), file);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such folder' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new LazyTensorError(`${file}: cannot write the file (${why})`);
  }
}
