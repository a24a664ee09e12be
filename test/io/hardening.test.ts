import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import {
  encodeNpy,
  encodePly,
  encodePoints,
  formatOf,
  type PointFormat,
  parseNpy,
  parsePoints,
} from '../../src/io/index.js';

/**
 * Hostile and damaged files: every one gives the file's data or a LazyTensorError, never another
 * exception, a hang, an allocation sized by a corrupt header, or silently different data.
 */
const utf8 = (s: string) => new TextEncoder().encode(s);
const dir = path.join(import.meta.dirname, 'fixtures');
const XYZ = 'property float x\nproperty float y\nproperty float z\n';
const ply = (format: string, elements: string) => `ply\nformat ${format} 1.0\n${elements}end_header\n`;

/** The LazyTensorError thrown by `f` (fails the test when `f` returns or throws something else). */
function lazyError(f: () => unknown): LazyTensorError {
  try {
    f();
  } catch (e) {
    if (e instanceof LazyTensorError) return e;
    throw new Error(`expected a LazyTensorError, got ${String(e)}`);
  }
  throw new Error('expected a LazyTensorError, got a result');
}

/** A binary little-endian PLY: the header, then int32 / float32 words. */
function binaryPly(header: string, words: Array<['i' | 'f', number]>): Uint8Array {
  const h = utf8(header);
  const out = new Uint8Array(h.length + 4 * words.length);
  out.set(h);
  const view = new DataView(out.buffer, h.length);
  words.forEach(([t, v], k) => {
    if (t === 'i') view.setInt32(4 * k, v, true);
    else view.setFloat32(4 * k, v, true);
  });
  return out;
}

describe('PLY headers that lie about sizes', () => {
  it.each([
    'ascii',
    'binary_little_endian',
    'binary_big_endian',
  ])('%s: a vertex count of 2^31 is refused before allocating', (format) => {
    const bytes = utf8(`${ply(format, `element vertex 2147483648\n${XYZ}`)}1 2 3\n`);
    expect(lazyError(() => parsePoints(bytes, 'ply')).message).toMatch(
      /truncated PLY data: the header declares 2147483648 vertices of at least \d+ bytes each, the file has 6 bytes after the header/,
    );
  });

  it('a vertex count of 1e300 is refused', () => {
    const bytes = utf8(ply('binary_little_endian', `element vertex 1e300\n${XYZ}`));
    expect(() => parsePoints(bytes, 'ply')).toThrow(
      /truncated PLY data: the header declares 1e\+300 vertices/,
    );
  });

  it('ASCII: an element without properties and a huge count is skipped, not looped over', () => {
    const bytes = utf8(`${ply('ascii', `element marker 1000000000000000\nelement vertex 1\n${XYZ}`)}1 2 3\n`);
    const a = parsePoints(bytes, 'ply');
    expect(a.shape).toEqual([1, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
  });
});

describe('PLY list lengths', () => {
  const header = (countType: string) =>
    ply(
      'binary_little_endian',
      `element face 1\nproperty list ${countType} int idx\nelement vertex 1\n${XYZ}`,
    );

  it('binary: a negative list length is corrupt data, not a step backwards', () => {
    // Before: the offset moved back 20 bytes into the header and the vertex read header text as floats.
    const bytes = binaryPly(header('int'), [
      ['i', -5],
      ['f', 1],
      ['f', 2],
      ['f', 3],
    ]);
    expect(lazyError(() => parsePoints(bytes, 'ply')).message).toMatch(
      /corrupt PLY data: a list length must be a non-negative integer, got -5/,
    );
  });

  it('binary: a list length of type float is a corrupt header (a NaN length read from offset 0)', () => {
    const bytes = binaryPly(header('float'), [
      ['f', Number.NaN],
      ['f', 1],
      ['f', 2],
      ['f', 3],
    ]);
    expect(lazyError(() => parsePoints(bytes, 'ply')).message).toMatch(
      /corrupt PLY header: a list length must have an integer type, got 'float'/,
    );
  });

  it.each([
    ['-2 1 2 3', 'got -2'],
    ['0.5 7 1 2 3', 'got 0.5'],
  ])('ASCII: list length in "%s" is refused (%s)', (data, got) => {
    const bytes = utf8(
      `${ply('ascii', `element face 1\nproperty list int int idx\nelement vertex 1\n${XYZ}`)}${data}\n`,
    );
    expect(lazyError(() => parsePoints(bytes, 'ply')).message).toContain(
      `a list length must be a non-negative integer, ${got}`,
    );
  });

  it('valid lists before the vertices are still skipped', () => {
    const bytes = binaryPly(header('int'), [
      ['i', 2],
      ['i', 7],
      ['i', 8],
      ['f', 1],
      ['f', 2],
      ['f', 3],
    ]);
    expect(Array.from(parsePoints(bytes, 'ply').data)).toEqual([1, 2, 3]);
  });
});

describe('text: a first data line is never mistaken for a header', () => {
  it.each([
    ['nan,1,2\n3,4,5\n', /line 1: 'nan' is not a finite number/],
    ['inf 1 2\n3 4 5\n', /line 1: 'inf' is not a finite number/],
    ['1e400,2\n3,4\n', /line 1: '1e400' is not a finite number/],
    ['1,,3\n4,5,6\n', /line 1: '' is not a finite number/],
  ])('%j', (text, message) => {
    // Before: the line was dropped as a header and the file read as one row fewer.
    expect(lazyError(() => parsePoints(utf8(text), 'csv')).message).toMatch(message);
  });

  it('real headers are still skipped, empty fields included (pandas index column)', () => {
    expect(parsePoints(utf8('x,y\n1,2\n'), 'csv').shape).toEqual([1, 2]);
    expect(Array.from(parsePoints(utf8(',x,y\n0,1,2\n'), 'csv').data)).toEqual([0, 1, 2]);
  });
});

describe('JSON', () => {
  it('a deeply nested entry gives a LazyTensorError, not a stack overflow in the message', () => {
    const depth = 20000;
    const text = `[[${'['.repeat(depth)}${']'.repeat(depth)}]]`;
    expect(lazyError(() => parsePoints(utf8(text), 'json')).message).toMatch(
      /entry \[0\]\[0\] is not a finite number \(an array of 1\)/,
    );
  });
});

describe('writers check the array they are given', () => {
  it.each([
    [{ data: new Float64Array(2), shape: [2, 3] }, /shape \[2, 3\] holds 6 values, the data has 2/],
    [{ data: new Float64Array(9), shape: [1, 3] }, /shape \[1, 3\] holds 3 values, the data has 9/],
    [
      { data: new Float64Array(3), shape: [-1, 3] },
      /expected a shape of non-negative integers, got \[-1, 3\]/,
    ],
    [{ data: [1, 2, 3], shape: [1, 3] }, /Float32Array, Float64Array or Int32Array data, got Array/],
    [
      { data: new Uint8Array(3), shape: [1, 3] },
      /Float32Array, Float64Array or Int32Array data, got Uint8Array/,
    ],
  ])('%#', (array, message) => {
    for (const format of ['npy', 'ply', 'csv'] as const) {
      // Before: a truncated .npy, NaN in .ply, 'undefined' in .csv, or a RangeError.
      expect(lazyError(() => encodePoints(array as never, format)).message).toMatch(message);
    }
  });

  it('encodeNpy and encodePly check their array too', () => {
    // Before: a .npy whose header promised 6 values and held 2; a RangeError for Uint8Array data.
    expect(() => encodeNpy({ data: new Float64Array(2), shape: [2, 3] })).toThrow(
      /encodeNpy: shape \[2, 3\] holds 6 values, the data has 2/,
    );
    expect(() => encodeNpy({ data: new Uint8Array(3) as never, shape: [3] })).toThrow(
      /encodeNpy: can only write Float32Array, Float64Array or Int32Array data, got Uint8Array/,
    );
    // Before: a [N, 2] array was written as N vertices read across row boundaries (and NaN).
    expect(() => encodePly({ data: new Float64Array(4), shape: [2, 2] })).toThrow(
      /encodePly: expected float points \[N, 3\], got Float64Array of shape \[2, 2\]/,
    );
    const ok = { data: Float64Array.of(1, 2, 3), shape: [1, 3] };
    expect(Array.from(parseNpy(encodeNpy(ok)).data)).toEqual([1, 2, 3]);
    expect(Array.from(parsePoints(encodePly(ok), 'ply').data)).toEqual([1, 2, 3]);
  });

  it('number[][] rows name the bad entry as given (NaN, undefined), not as its JSON', () => {
    // Before: the rows went through JSON.stringify, so NaN and undefined were reported as (null).
    expect(lazyError(() => encodePoints([[1, Number.NaN, 2]], 'csv')).message).toMatch(
      /entry \[0\]\[1\] is not a finite number \(NaN\)/,
    );
    expect(
      lazyError(() =>
        encodePoints(
          [
            [1, 2],
            [3, undefined as never],
          ],
          'npy',
        ),
      ).message,
    ).toMatch(/entry \[1\]\[1\] is not a finite number \(undefined\)/);
    expect(Array.from(parsePoints(encodePoints([[1, 2, 3]], 'npy'), 'npy').data)).toEqual([1, 2, 3]);
  });

  it('an unknown format name is an error, not a .txt file', () => {
    const a = { data: new Float64Array(3), shape: [1, 3] };
    expect(() => encodePoints(a, 'foo' as PointFormat)).toThrow(/unknown format 'foo'/);
    expect(() => parsePoints(utf8('1 2 3\n'), 'foo' as PointFormat)).toThrow(/unknown format 'foo'/);
  });
});

describe('damaged fixtures (fast-check): the same data or a LazyTensorError', () => {
  const files = [
    'f64.npy',
    'f64_be.npy',
    'v2.npy',
    'v3.npy',
    'i4.npy',
    'binary_le.ply',
    'binary_be.ply',
    'ascii.ply',
    'points.csv',
    'points.tsv',
    'points.xyz',
    'points.json',
    'mesh.obj',
  ];
  /** Parses, and reports anything but data or a LazyTensorError. */
  function outcome(bytes: Uint8Array, format: PointFormat): 'data' | 'error' {
    try {
      parsePoints(bytes, format);
      return 'data';
    } catch (e) {
      if (e instanceof LazyTensorError) return 'error';
      throw e;
    }
  }

  it.each(files)('%s: every truncation', (file) => {
    const bytes = new Uint8Array(readFileSync(path.join(dir, file)));
    const format = formatOf(file);
    const whole = parsePoints(bytes, format);
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      if (outcome(cut, format) === 'data') {
        const a = parsePoints(cut, format);
        if (format === 'npy' || format === 'ply') {
          // The header fixes the size: a cut file either holds all of the data or is refused.
          expect(a.shape).toEqual(whole.shape);
          expect(Array.from(a.data)).toEqual(Array.from(whole.data));
        } else {
          // Text may lose trailing rows and its last row may be cut (2500.0 -> 25, fewer columns);
          // the rows before it are exact.
          const d = whole.shape[1]!;
          const rows = a.shape[0]! - 1;
          expect(Array.from(a.data).slice(0, rows * d)).toEqual(Array.from(whole.data).slice(0, rows * d));
        }
      }
    }
  });

  it.each(files)('%s: random byte changes', (file) => {
    const bytes = new Uint8Array(readFileSync(path.join(dir, file)));
    const format = formatOf(file);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (changes) => {
          const damaged = bytes.slice();
          for (const [at, value] of changes) damaged[at] = value;
          outcome(damaged, format);
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });

  it('random PLY headers with lying counts and list lengths', () => {
    // Small data, arbitrary counts (up to 2^53): each parse does work bounded by the data size.
    fc.assert(
      fc.property(
        fc.constantFrom('ascii', 'binary_little_endian', 'binary_big_endian'),
        fc.oneof(fc.nat(8), fc.maxSafeNat()),
        fc.oneof(fc.nat(8), fc.maxSafeNat()),
        fc.constantFrom('uchar', 'char', 'int', 'uint', 'short'),
        fc.uint8Array({ maxLength: 64 }),
        (format, faces, vertices, countType, data) => {
          const header = ply(
            format,
            `element face ${faces}\nproperty list ${countType} int idx\nelement empty ${faces}\nelement vertex ${vertices}\n${XYZ}`,
          );
          const text = format === 'ascii' ? utf8(Array.from(data, (b) => b - 128).join(' ')) : data;
          const bytes = new Uint8Array(header.length + text.length);
          bytes.set(utf8(header));
          bytes.set(text, header.length);
          outcome(bytes, 'ply');
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });
});
