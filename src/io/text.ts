/**
 * Delimited text: .csv, .tsv, .txt, .xyz. One point per line; the delimiter (tab, comma,
 * semicolon or white space) is detected from the first data line; an optional header line (a field
 * that is text, not a number, NaN, Infinity or empty) is skipped; blank lines and lines starting with '#' are ignored.
 */
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { printable } from './printable.js';

type Delimiter = '\t' | ',' | ';' | ' ';

function detect(line: string): Delimiter {
  if (line.includes('\t')) return '\t';
  if (line.includes(',')) return ',';
  if (line.includes(';')) return ';';
  return ' ';
}

function split(line: string, d: Delimiter): string[] {
  const t = line.trim();
  return d === ' ' ? t.split(/\s+/) : t.split(d).map((s) => s.trim());
}

function number(s: string): number {
  return s === '' ? Number.NaN : Number(s);
}

/** Spellings of non-finite numbers (numpy.savetxt writes nan and inf): data, never a header. */
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * A header line has a field that is text: not empty and not a number (finite or not). A first
 * line such as `1,,3`, `nan,1,2` or `1e400,2` is data, so it is checked (and refused) rather than
 * dropped as a header.
 */
function isHeader(fields: string[]): boolean {
  return fields.some((f) => f !== '' && Number.isNaN(Number(f)) && !NON_FINITE.test(f));
}

/**
 * Parses delimited text into a float64 [N, D] array. `columns` keeps only the first columns
 * (.xyz: x y z, extra columns such as colours ignored).
 */
export function parseDelimited(text: string, name: string, columns?: number): NDArray<Float64Array> {
  const lines = text.split(/\r\n|\r|\n/);
  let delim: Delimiter | undefined;
  let width = -1;
  let first = true;
  const values: number[] = [];
  let rows = 0;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    delim ??= detect(t);
    let fields = split(t, delim);
    if (first) {
      first = false;
      if (isHeader(fields)) continue;
    }
    if (columns !== undefined) {
      if (fields.length < columns)
        throw new LazyTensorError(
          `${name}: line ${l + 1} has ${fields.length} values, expected at least ${columns}`,
        );
      fields = fields.slice(0, columns);
    }
    if (width < 0) width = fields.length;
    else if (fields.length !== width)
      throw new LazyTensorError(
        `${name}: line ${l + 1} has ${fields.length} values, the first data line has ${width}`,
      );
    for (const f of fields) {
      const v = number(f);
      if (!Number.isFinite(v))
        throw new LazyTensorError(`${name}: line ${l + 1}: '${printable(f)}' is not a finite number`);
      values.push(v);
    }
    rows++;
  }
  if (rows === 0) throw new LazyTensorError(`${name}: no data rows`);
  return { data: Float64Array.from(values), shape: [rows, width] };
}

/** Formats a [N, D] array as delimited text, one row per line. */
export function formatDelimited(array: NDArray<FloatArray | Int32Array>, delimiter: string): string {
  const [n, d] = array.shape as [number, number];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const row: string[] = [];
    for (let k = 0; k < d; k++) row.push(String(array.data[i * d + k]));
    out.push(row.join(delimiter));
  }
  return `${out.join('\n')}\n`;
}
