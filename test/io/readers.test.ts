import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { encodeNpy, parseNpy, readPoints, writePoints } from '../../src/io/index.js';

// Fixtures written by numpy / python struct / csv / json (test/io/fixtures/make.py).
const dir = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => path.join(dir, name);
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  points: number[][];
  points_f32: number[][];
  ints: number[][];
};

function rows(a: { data: ArrayLike<number>; shape: number[] }): number[][] {
  const [n, d] = a.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, k) => a.data[i * d + k]!));
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lt-io-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readers against files written by other tools', () => {
  it.each([
    ['f64.npy', 'points', Float64Array],
    ['f64_be.npy', 'points', Float64Array],
    ['v2.npy', 'points', Float64Array],
    ['f32.npy', 'points_f32', Float32Array],
    ['v3.npy', 'points_f32', Float32Array],
    ['binary_le.ply', 'points_f32', Float32Array],
    ['binary_be.ply', 'points_f32', Float32Array],
    ['ascii.ply', 'points', Float64Array],
    ['points.csv', 'points', Float64Array],
    ['points.tsv', 'points', Float64Array],
    ['points.txt', 'points', Float64Array],
    ['points.xyz', 'points', Float64Array],
    ['points.json', 'points', Float64Array],
    ['mesh.obj', 'points', Float64Array],
  ] as const)('%s', (file, key, type) => {
    const a = readPoints(fixture(file));
    expect(a.data).toBeInstanceOf(type);
    expect(a.shape).toEqual([4, 3]);
    expect(rows(a)).toEqual(expected[key]);
  });

  it('int32 .npy reads as float64 points; parseNpy keeps the int32 data', () => {
    const a = readPoints(fixture('i4.npy'));
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(rows(a)).toEqual(expected.ints);
    const raw = parseNpy(readFileSync(fixture('i4.npy')));
    expect(raw.data).toBeInstanceOf(Int32Array);
    expect(raw.shape).toEqual([2, 3]);
  });

  it('a 1-D .npy array is a column of points', () => {
    const a = readPoints(fixture('vec.npy'));
    expect(a.shape).toEqual([5, 1]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('reader errors name the file and the problem', () => {
  it.each([
    ['fortran.npy', /fortran\.npy: Fortran-order/],
    ['u8.npy', /u8\.npy: unsupported \.npy dtype '\|u1'/],
    ['truncated.npy', /truncated\.npy: truncated \.npy data/],
    ['missing.csv', /missing\.csv: cannot read the file \(no such file\)/],
    ['make.py', /make\.py: unknown file extension '\.py'/],
  ])('%s', (file, message) => {
    expect(() => readPoints(fixture(file))).toThrow(LazyTensorError);
    expect(() => readPoints(fixture(file))).toThrow(message);
  });

  it.each([
    ['ragged.csv', '1,2,3\n4,5\n', /ragged\.csv: line 2 has 2 values, the first data line has 3/],
    ['word.csv', 'x,y\n1,2\n3,oops\n', /word\.csv: line 3: 'oops' is not a finite number/],
    ['empty.txt', '# nothing\n\n', /empty\.txt: no data rows/],
    ['bad.json', '{"a": 1}', /bad\.json: expected a non-empty array of rows/],
    ['broken.json', '[[1, 2], [3', /broken\.json: invalid JSON/],
    [
      'noheader.ply',
      'ply\nformat ascii 1.0\nelement vertex 1\n',
      /noheader\.ply: corrupt PLY header: no 'end_header'/,
    ],
    [
      'short.ply',
      'ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n',
      /short\.ply: truncated PLY data/,
    ],
    [
      'noz.ply',
      'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n',
      /noz\.ply: the PLY vertex element lacks/,
    ],
    ['magic.npy', 'not numpy at all', /magic\.npy: not a \.npy file/],
    ['nov.obj', 'f 1 2 3\n', /nov\.obj: no vertex/],
  ])('%s', (file, contents, message) => {
    const p = path.join(tmp, file);
    writeFileSync(p, contents);
    expect(() => readPoints(p)).toThrow(message);
  });

  it('a truncated binary PLY is an error, not garbage', () => {
    const bytes = readFileSync(fixture('binary_le.ply'));
    const p = path.join(tmp, 'cut.ply');
    // Cut inside the vertex data: header + 2 of the 4 vertices (17 bytes each).
    const header = bytes.indexOf('end_header\n') + 'end_header\n'.length;
    writeFileSync(p, bytes.subarray(0, header + 2 * 17 + 5));
    expect(() => readPoints(p)).toThrow(/cut\.ply: truncated PLY data/);
  });
});

describe('writers round-trip through the readers', () => {
  const f64 = { data: Float64Array.from(expected.points.flat()), shape: [4, 3] };
  const f32 = { data: Float32Array.from(expected.points.flat()), shape: [4, 3] };
  it.each(['npy', 'csv', 'tsv', 'txt', 'xyz', 'json', 'obj', 'ply'])('.%s (float64)', (ext) => {
    const p = path.join(tmp, `rt64.${ext}`);
    writePoints(p, f64);
    expect(rows(readPoints(p))).toEqual(expected.points);
  });
  it.each(['npy', 'ply', 'csv'])('.%s (float32 stays exact)', (ext) => {
    const p = path.join(tmp, `rt32.${ext}`);
    writePoints(p, f32);
    expect(rows(readPoints(p))).toEqual(expected.points_f32);
  });
  it('int32 .npy is byte-identical to numpy.save', () => {
    const mine = encodeNpy({ data: Int32Array.from(expected.ints.flat()), shape: [2, 3] });
    expect(Buffer.from(mine).equals(readFileSync(fixture('i4.npy')))).toBe(true);
  });
  it('float64 .npy is byte-identical to numpy.save', () => {
    expect(Buffer.from(encodeNpy(f64)).equals(readFileSync(fixture('f64.npy')))).toBe(true);
  });
  it('number[][] input and shape errors', () => {
    const p = path.join(tmp, 'rows.csv');
    writePoints(p, [
      [1, 2],
      [3, 4],
    ]);
    expect(readFileSync(p, 'utf8')).toBe('1,2\n3,4\n');
    expect(() => writePoints(path.join(tmp, 'x.ply'), [[1, 2]])).toThrow(
      /\.ply files hold 3-D points, the array has 2 columns/,
    );
    expect(() => writePoints(path.join(tmp, 'nodir', 'x.csv'), [[1]])).toThrow(/cannot write the file/);
  });
});
