/**
 * NumPy's .npy format (versions 1.0, 2.0 and 3.0): a magic string, a header that is a Python dict
 * literal ({'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }) and the raw data.
 * float32, float64 and int32 in either byte order, C order; anything else is a clear error.
 */
import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { printable } from './printable.js';
import { checkWritable } from './writable.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Kind = 'f4' | 'f8' | 'i4';
const SIZE: Record<Kind, number> = { f4: 4, f8: 8, i4: 4 };

function fail(name: string, problem: string): never {
  throw new LazyTensorError(`${name}: ${problem}`);
}

function field(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(header);
  if (!m) return undefined;
  const rest = header.slice(m.index + m[0].length);
  if (rest.startsWith("'") || rest.startsWith('"')) {
    const end = rest.indexOf(rest[0]!, 1);
    return end < 0 ? undefined : rest.slice(1, end);
  }
  if (rest.startsWith('(')) {
    const end = rest.indexOf(')');
    return end < 0 ? undefined : rest.slice(0, end + 1);
  }
  return /^[A-Za-z]+/.exec(rest)?.[0];
}

/** Parses the bytes of a .npy file; `name` (the file) goes into every error message. */
export function parseNpy(bytes: Uint8Array, name = '.npy'): NDArray<FloatArray | Int32Array> {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b))
    fail(name, 'not a .npy file (bad magic string)');
  const major = bytes[6]!;
  if (major < 1 || major > 3)
    fail(name, `unsupported .npy version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(name, 'truncated .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLen) fail(name, 'truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const descr = field(header, 'descr');
  const fortran = field(header, 'fortran_order');
  const shapeText = field(header, 'shape');
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail(name, `corrupt .npy header (expected descr, fortran_order and shape): ${printable(header.trim())}`);
  if (fortran !== 'False')
    fail(name, 'Fortran-order .npy arrays are not supported (save a C-order array: numpy.ascontiguousarray)');
  const m = /^([<>|=])([fi])([48])$/.exec(descr);
  const kind = m ? (`${m[2]}${m[3]}` as string) : '';
  if (!m || !(kind in SIZE))
    fail(
      name,
      `unsupported .npy dtype '${printable(descr)}' (expected float32 '<f4', float64 '<f8' or int32 '<i4')`,
    );
  const little = m[1] !== '>';
  const inner = shapeText.slice(1, -1).trim();
  const shape =
    inner === ''
      ? []
      : inner
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => Number(s.trim()));
  if (shape.some((s) => !Number.isInteger(s) || s < 0))
    fail(name, `corrupt .npy shape ${printable(shapeText)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = SIZE[kind as Kind];
  const offset = start + headerLen;
  if (bytes.length < offset + count * size)
    fail(
      name,
      `truncated .npy data: shape (${shape.join(', ')}) needs ${count * size} bytes, the file has ${bytes.length - offset}`,
    );
  const data =
    kind === 'f4' ? new Float32Array(count) : kind === 'f8' ? new Float64Array(count) : new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const at = offset + k * size;
    data[k] =
      kind === 'f4'
        ? view.getFloat32(at, little)
        : kind === 'f8'
          ? view.getFloat64(at, little)
          : view.getInt32(at, little);
  }
  return { data, shape };
}

/** The bytes of a version 1.0 .npy file holding `array` (little endian, C order). */
export function encodeNpy(array: NDArray<FloatArray | Int32Array>): Uint8Array {
  checkWritable(array, 'encodeNpy');
  const { data, shape } = array;
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  const view = new DataView(out.buffer, 10 + header.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let k = 0; k < data.length; k++) {
    if (data instanceof Float32Array) view.setFloat32(k * size, data[k]!, true);
    else if (data instanceof Float64Array) view.setFloat64(k * size, data[k]!, true);
    else view.setInt32(k * size, data[k]!, true);
  }
  return out;
}
