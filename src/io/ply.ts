/**
 * Stanford PLY (ASCII, binary little endian, binary big endian). The vertex element's x, y and z
 * are read; other vertex properties and other elements (faces, edges, ...) are skipped, which for
 * binary files means walking their bytes (list properties carry their own lengths).
 */
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { printable } from './printable.js';
import { checkWritable } from './writable.js';

type Scalar = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const ALIASES: Record<string, Scalar> = {
  char: 'int8',
  int8: 'int8',
  uchar: 'uint8',
  uint8: 'uint8',
  short: 'int16',
  int16: 'int16',
  ushort: 'uint16',
  uint16: 'uint16',
  int: 'int32',
  int32: 'int32',
  uint: 'uint32',
  uint32: 'uint32',
  float: 'float32',
  float32: 'float32',
  double: 'float64',
  float64: 'float64',
};
const BYTES: Record<Scalar, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

interface Property {
  name: string;
  type: Scalar;
  /** Type of the length of a list property. */
  countType?: Scalar;
}
interface Element {
  name: string;
  count: number;
  props: Property[];
}

function fail(name: string, problem: string): never {
  throw new LazyTensorError(`${name}: ${problem}`);
}

function scalar(t: string | undefined, name: string, line: string): Scalar {
  const s = t === undefined ? undefined : ALIASES[t];
  if (!s) fail(name, `corrupt PLY header: unknown property type in '${printable(line)}'`);
  return s;
}

function read(view: DataView, at: number, t: Scalar, little: boolean): number {
  switch (t) {
    case 'int8':
      return view.getInt8(at);
    case 'uint8':
      return view.getUint8(at);
    case 'int16':
      return view.getInt16(at, little);
    case 'uint16':
      return view.getUint16(at, little);
    case 'int32':
      return view.getInt32(at, little);
    case 'uint32':
      return view.getUint32(at, little);
    case 'float32':
      return view.getFloat32(at, little);
    case 'float64':
      return view.getFloat64(at, little);
  }
}

function findEndHeader(bytes: Uint8Array): number {
  const key = 'end_header';
  const limit = Math.min(bytes.length, 1 << 20);
  outer: for (let k = 0; k + key.length <= limit; k++) {
    for (let c = 0; c < key.length; c++) if (bytes[k + c] !== key.charCodeAt(c)) continue outer;
    let e = k + key.length;
    if (bytes[e] === 0x0d) e++;
    if (bytes[e] === 0x0a) return e + 1;
  }
  return -1;
}

/** Parses the bytes of a PLY file into the vertex positions [N, 3] (float32 when x/y/z are float). */
export function parsePly(bytes: Uint8Array, name = '.ply'): NDArray<FloatArray> {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4)));
  if (!head.startsWith('ply')) fail(name, "not a PLY file (it does not start with 'ply')");
  const end = findEndHeader(bytes);
  if (end < 0) fail(name, "corrupt PLY header: no 'end_header' line");
  const lines = new TextDecoder('latin1').decode(bytes.subarray(0, end)).split(/\r?\n/);
  let format = '';
  const elements: Element[] = [];
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    const w = line.split(/\s+/);
    if (w[0] === 'format') format = w[1] ?? '';
    else if (w[0] === 'element') {
      const count = Number(w[2]);
      if (!w[1] || !Number.isInteger(count) || count < 0)
        fail(name, `corrupt PLY header: '${printable(line)}'`);
      elements.push({ name: w[1], count, props: [] });
    } else if (w[0] === 'property') {
      const el = elements.at(-1);
      if (!el) fail(name, `corrupt PLY header: '${printable(line)}' before any element`);
      if (w[1] === 'list') {
        const countType = scalar(w[2], name, line);
        if (countType === 'float32' || countType === 'float64')
          fail(
            name,
            `corrupt PLY header: a list length must have an integer type, got '${printable(w[2] ?? '')}' in '${printable(line)}'`,
          );
        el.props.push({ name: w[4] ?? '', type: scalar(w[3], name, line), countType });
      } else el.props.push({ name: w[2] ?? '', type: scalar(w[1], name, line) });
    }
  }
  if (format !== 'ascii' && format !== 'binary_little_endian' && format !== 'binary_big_endian')
    fail(
      name,
      `unsupported PLY format '${printable(format)}' (expected ascii, binary_little_endian or binary_big_endian)`,
    );
  const vertex = elements.find((e) => e.name === 'vertex');
  if (!vertex) fail(name, 'the PLY file has no vertex element');
  const axes = ['x', 'y', 'z'].map((a) => vertex.props.findIndex((p) => p.name === a && !p.countType));
  if (axes.some((k) => k < 0)) fail(name, 'the PLY vertex element lacks one of the properties x, y, z');
  checkDeclaredSize(bytes.length - end, format === 'ascii', elements, vertex, name);
  const f32 = axes.every((k) => vertex.props[k]!.type === 'float32');
  const out = f32 ? new Float32Array(vertex.count * 3) : new Float64Array(vertex.count * 3);
  const slot = new Map(axes.map((k, c) => [k, c]));
  if (format === 'ascii') parseAscii(bytes, end, elements, vertex, slot, out, name);
  else parseBinary(bytes, end, format === 'binary_little_endian', elements, vertex, slot, out, name);
  return { data: out, shape: [vertex.count, 3] };
}

/**
 * Checks, before anything is allocated, that the data after the header can hold the elements the
 * header declares up to the vertices: a count of 10^12 (or 2^31) in a small file is a truncated
 * file, not an allocation of terabytes. An ASCII value takes at least 2 bytes (a digit and a
 * separator), a binary one its size (a list at least its length).
 */
function checkDeclaredSize(
  available: number,
  ascii: boolean,
  elements: Element[],
  vertex: Element,
  name: string,
): void {
  const bytesOf = (el: Element) =>
    el.props.reduce((s, p) => s + (ascii ? 2 : BYTES[p.countType ?? p.type]), 0);
  let before = 0;
  for (const el of elements) {
    if (el === vertex) break;
    before += el.count * bytesOf(el);
  }
  const per = bytesOf(vertex);
  if (before + vertex.count * per - (ascii ? 1 : 0) > available)
    fail(
      name,
      `truncated PLY data: the header declares ${vertex.count} vertices of at least ${per} bytes each${before > 0 ? ` after ${before} bytes of other elements` : ''}, the file has ${available} bytes after the header`,
    );
}

/** A list length read from the data: a non-negative integer, else a clear error. */
function listLength(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0)
    fail(name, `corrupt PLY data: a list length must be a non-negative integer, got ${n}`);
  return n;
}

function parseAscii(
  bytes: Uint8Array,
  start: number,
  elements: Element[],
  vertex: Element,
  slot: Map<number, number>,
  out: FloatArray,
  name: string,
): void {
  const tokens = new TextDecoder('latin1')
    .decode(bytes.subarray(start))
    .split(/\s+/)
    .filter((t) => t !== '');
  let t = 0;
  const next = (): number => {
    if (t >= tokens.length) fail(name, 'truncated PLY data (fewer values than the header declares)');
    const v = Number(tokens[t++]);
    if (!Number.isFinite(v)) fail(name, `corrupt PLY data: '${printable(tokens[t - 1]!)}' is not a number`);
    return v;
  };
  for (const el of elements) {
    // An element without properties has no values, whatever its count (a loop over a huge count would hang).
    const count = el.props.length === 0 ? 0 : el.count;
    for (let i = 0; i < count; i++) {
      el.props.forEach((p, k) => {
        if (p.countType) {
          const n = listLength(next(), name);
          for (let c = 0; c < n; c++) next();
          return;
        }
        const v = next();
        const s = el === vertex ? slot.get(k) : undefined;
        if (s !== undefined) out[i * 3 + s] = v;
      });
    }
    if (el === vertex) return;
  }
}

function parseBinary(
  bytes: Uint8Array,
  start: number,
  little: boolean,
  elements: Element[],
  vertex: Element,
  slot: Map<number, number>,
  out: FloatArray,
  name: string,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  const take = (t: Scalar): number => {
    if (at + BYTES[t] > bytes.length) fail(name, 'truncated PLY data (fewer bytes than the header declares)');
    const v = read(view, at, t, little);
    at += BYTES[t];
    return v;
  };
  for (const el of elements) {
    const fixed = el.props.every((p) => !p.countType);
    if (el !== vertex && fixed) {
      at += el.count * el.props.reduce((s, p) => s + BYTES[p.type], 0);
      if (at > bytes.length) fail(name, 'truncated PLY data (fewer bytes than the header declares)');
      continue;
    }
    for (let i = 0; i < el.count; i++) {
      el.props.forEach((p, k) => {
        if (p.countType) {
          const n = listLength(take(p.countType), name);
          at += n * BYTES[p.type];
          return;
        }
        const v = take(p.type);
        const s = el === vertex ? slot.get(k) : undefined;
        if (s !== undefined) out[i * 3 + s] = v;
      });
    }
    if (el === vertex) return;
  }
}

/** The bytes of a binary little-endian PLY file with the points [N, 3] as vertices. */
export function encodePly(array: NDArray<FloatArray>): Uint8Array {
  checkWritable(array, 'encodePly');
  if (array.shape.length !== 2 || array.shape[1] !== 3 || array.data instanceof Int32Array)
    fail(
      'encodePly',
      `expected float points [N, 3], got ${array.data.constructor.name} of shape [${array.shape.join(', ')}]`,
    );
  const [n] = array.shape as [number, number];
  const f32 = array.data instanceof Float32Array;
  const type = f32 ? 'float' : 'double';
  const header = `ply\nformat binary_little_endian 1.0\ncomment written by lazytensor\nelement vertex ${n}\nproperty ${type} x\nproperty ${type} y\nproperty ${type} z\nend_header\n`;
  const size = f32 ? 4 : 8;
  const out = new Uint8Array(header.length + n * 3 * size);
  for (let k = 0; k < header.length; k++) out[k] = header.charCodeAt(k);
  const view = new DataView(out.buffer, header.length);
  for (let k = 0; k < n * 3; k++) {
    if (f32) view.setFloat32(k * 4, array.data[k]!, true);
    else view.setFloat64(k * 8, array.data[k]!, true);
  }
  return out;
}
