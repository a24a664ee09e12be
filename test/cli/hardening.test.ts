/**
 * Adversarial input to the command line: every bad file or option ends with exit status 2 and one
 * line on stderr naming what was expected and what was given, and never with a silently wrong
 * answer, a non-finite number in the output, a crash or work done before a usage error.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runBin } from './bin.js';

let bin = '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lt-cli-hard-'));
const env = { LAZYTENSOR_CACHE_DIR: path.join(tmp, 'cache') };
const run = (...args: string[]) => runBin(bin, args, tmp, env);
const put = (name: string, contents: string | Uint8Array) => writeFileSync(path.join(tmp, name), contents);

beforeAll(() => {
  bin = buildCli('cli-hardening');
  let a = '';
  for (let i = 0; i < 6; i++) a += `${Math.sin(i)},${Math.cos(i)},${i / 6}\n`;
  put('a3.csv', a);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectOneLineError(r: { status: number | null; stderr: string }, ...parts: (string | RegExp)[]) {
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  for (const p of parts) expect(lines[0]).toMatch(p);
  expect(r.status).toBe(2);
}

/** The points of a file as `info --json` reads them: count and bounding box. */
function described(file: string): { points: number; min: number[]; max: number[] } {
  const r = run('info', '--json', file);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).files[0];
}

describe('delimited text', () => {
  it.each([
    ['inf-first.csv', 'Infinity,2,3\n1,2,3\n', /line 1: 'Infinity' is not a finite number/],
    ['nan-first.csv', 'NaN,2,3\n1,2,3\n', /line 1: 'NaN' is not a finite number/],
    ['empty-field-first.csv', '1,,3\n4,5,6\n', /line 1: '' is not a finite number/],
    ['trailing-comma.csv', '1,2,3,\n4,5,6,\n', /line 1: '' is not a finite number/],
  ])('a first data line with a non-finite value is an error, not a header skipped (%s)', (name, text, msg) => {
    put(name, text);
    expectOneLineError(run('info', name), name, msg);
  });

  it('a header line is still skipped', () => {
    put('header.csv', 'x,y,z\n1,2,3\n4,5,6\n');
    expect(described('header.csv')).toMatchObject({ points: 2, min: [1, 2, 3], max: [4, 5, 6] });
  });

  it('lines ended by a lone CR (classic Mac) are lines', () => {
    put('cr.csv', '1,2,3\r4,5,6\r');
    expect(described('cr.csv')).toMatchObject({ points: 2, min: [1, 2, 3], max: [4, 5, 6] });
  });
});

describe('PLY', () => {
  const xyz = 'property float x\nproperty float y\nproperty float z\n';
  /** A binary little-endian PLY file: the header, then `data` bytes. */
  function binaryPly(header: string, data: number[]): Uint8Array {
    const h = new TextEncoder().encode(`ply\nformat binary_little_endian 1.0\n${header}end_header\n`);
    const out = new Uint8Array(h.length + data.length);
    out.set(h);
    out.set(data, h.length);
    return out;
  }

  it('a vertex count far beyond the file size is a truncated file (no huge allocation, exit 2)', () => {
    put('huge-count.ply', binaryPly(`element vertex 1000000000000\n${xyz}`, [0, 0, 0, 0]));
    expectOneLineError(
      run('info', 'huge-count.ply'),
      'huge-count.ply',
      /truncated PLY data: the header declares 1000000000000 vertices/,
    );
  });

  it('a negative list length (binary) is corrupt data, not a jump backwards', () => {
    // A face whose char list length is -1, then one vertex (1, 2, 3).
    const vertex = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    put(
      'negative-list.ply',
      binaryPly(`element face 1\nproperty list char int vertex_indices\nelement vertex 1\n${xyz}`, [
        0xff,
        ...vertex,
      ]),
    );
    expectOneLineError(
      run('info', 'negative-list.ply'),
      'negative-list.ply',
      /list length must be a non-negative integer, got -1/,
    );
  });

  it('a negative list length (ASCII) is corrupt data', () => {
    put(
      'negative-list-ascii.ply',
      `ply\nformat ascii 1.0\nelement face 1\nproperty list uchar int v\nelement vertex 1\n${xyz}end_header\n-2 1 2 3\n`,
    );
    expectOneLineError(
      run('info', 'negative-list-ascii.ply'),
      /list length must be a non-negative integer, got -2/,
    );
  });

  it('a face before the vertices is still skipped', () => {
    const vertex = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    put(
      'face-first.ply',
      binaryPly(`element face 1\nproperty list uchar int vertex_indices\nelement vertex 1\n${xyz}`, [
        1,
        7,
        0,
        0,
        0,
        ...vertex,
      ]),
    );
    expect(described('face-first.ply')).toMatchObject({ points: 1, min: [1, 2, 3], max: [1, 2, 3] });
  });
});

describe('coordinates whose squared distances overflow', () => {
  beforeAll(() => put('far.csv', '1e200,1,1\n-1e200,2,2\n0,0,0\n5,5,5\n'));

  it('knn exits 2 instead of Infinity distances and neighbours in no order', () =>
    expectOneLineError(
      run('knn', 'far.csv', 'far.csv', '-k', '2', '--json'),
      /knn: the squared distances of query \d+ to its 2 nearest points overflow the float64 range/,
    ));

  it('kmeans exits 2 instead of an Infinity (JSON null) inertia', () =>
    expectOneLineError(run('kmeans', 'far.csv', '-k', '2', '--json'), /kmeans: .*overflow/));

  it('ot names the span of the points, not a diameter the user never gave', () =>
    expectOneLineError(
      run('ot', 'far.csv', 'far.csv'),
      /the points span 2e\+200 .*squared distances overflow float64/,
    ));

  it('large coordinates whose squared distances fit are fine', () => {
    put('large.csv', '1e150,0\n-1e150,0\n0,0\n');
    const r = run('knn', 'large.csv', 'large.csv', '-k', '2', '--json', '--compute', 'js');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Neighbours 2 of each point: 0 -> 2 (1e300), 1 -> 2 (1e300), 2 -> 0 or 1 (1e300).
    expect(JSON.parse(r.stdout).meanKth).toBeCloseTo(1e150, -140);
  });
});

describe('output options are checked before any work', () => {
  beforeAll(() => mkdirSync(path.join(tmp, 'folder.csv')));
  // The inputs do not exist: an output problem reported first shows it was checked before reading.
  it.each([
    [['knn', 'nope.csv', 'nope.csv', '-k', '1', '-o', 'idx.vtk'], /idx\.vtk: unknown file extension/],
    [
      ['knn', 'nope.csv', 'nope.csv', '-k', '1', '--distances', 'no-dir/d.csv'],
      /cannot write --distances \(no such folder: no-dir\)/,
    ],
    [
      ['knn', 'nope.csv', 'nope.csv', '-k', '1', '--plot', 'no-dir/p.svg'],
      /cannot write --plot \(no such folder: no-dir\)/,
    ],
    [['knn', 'nope.csv', 'nope.csv', '-k', '1', '--plot', 'p.pdf'], /p\.pdf: --plot writes \.svg or \.png/],
    [
      ['kmeans', 'nope.csv', '-k', '1', '--centroids', 'a3.csv/c.csv'],
      /cannot write --centroids \(a3\.csv is not a folder\)/,
    ],
    [['gmm', 'nope.csv', '-k', '1', '--means', 'm.vtk'], /m\.vtk: unknown file extension/],
    [
      ['ot', 'nope.csv', 'nope.csv', '--loss', 'energy', '--match', 'm.csv'],
      /--match needs the sinkhorn loss/,
    ],
    [['ot', 'nope.csv', 'nope.csv', '--loss', 'energy', '-o', 'o.csv'], /-o needs the sinkhorn loss/],
    [
      ['register', 'nope.csv', 'nope.csv', '--model', 'nonrigid', '--transform', 't.csv'],
      /--transform needs a rigid/,
    ],
    [
      ['knn', 'nope.csv', 'nope.csv', '-k', '1', '-o', 'same.csv', '--distances', './same.csv'],
      /-o and --distances name the same file/,
    ],
    [
      ['knn', 'nope.csv', 'nope.csv', '-k', '1', '-o', 'folder.csv'],
      /folder\.csv: cannot write -o \(it is a folder\)/,
    ],
    [['bench', '--quick', '--plot', 'no-dir/b.svg'], /cannot write --plot \(no such folder/],
  ])('%j', (args, message) => expectOneLineError(run(...args), message));

  it('no file is written when a later output is bad', () => {
    expectOneLineError(
      run('knn', 'a3.csv', 'a3.csv', '-k', '1', '-o', 'written.csv', '--distances', 'd.vtk'),
      /d\.vtk/,
    );
    expectOneLineError(
      run('register', 'a3.csv', 'a3.csv', '--model', 'nonrigid', '-o', 'aligned.csv', '--transform', 't.csv'),
      /--transform/,
    );
    expect(existsSync(path.join(tmp, 'written.csv'))).toBe(false);
    expect(existsSync(path.join(tmp, 'aligned.csv'))).toBe(false);
  });

  it('a file in an existing folder is written', () => {
    const r = run('knn', 'a3.csv', 'a3.csv', '-k', '1', '-o', 'idx.csv', '--distances', 'd2.csv');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(path.join(tmp, 'idx.csv')) && existsSync(path.join(tmp, 'd2.csv'))).toBe(true);
  });
});

describe('a missing subcommand', () => {
  it.each([
    [[], /missing command after 'lazytensor' \(expected one of info, knn, .*cache\)/],
    [['cache'], /missing command after 'lazytensor cache' \(expected one of info, clear\)/],
  ])('%j exits 2 with one line (was: the whole help on stderr, exit status 0)', (args, message) =>
    expectOneLineError(run(...args), message));

  it('help on request still exits 0 on stdout', () => {
    for (const args of [['--help'], ['help'], ['cache', '--help'], ['help', 'cache']]) {
      const r = run(...args);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: lazytensor/);
    }
  });
});

describe('text from a file in an error line', () => {
  it('control characters are escaped (no terminal escape sequences or NULs on stderr)', () => {
    put('escape.csv', '1,2,3\n\u001b[2J\u001b[31mred\u0000,2,3\n');
    const r = run('info', 'escape.csv');
    expectOneLineError(r, /line 2: '\\x1b\[2J\\x1b\[31mred\\x00' is not a finite number/);
    expect([...r.stderr.trimEnd()].filter((ch) => ch < ' ')).toEqual([]);
  });

  it('a huge token is cut short', () => {
    put('long.obj', `v 1 2 ${'9'.repeat(100_000)}x\n`);
    const r = run('info', 'long.obj');
    expectOneLineError(r, /long\.obj: line 1: '9+… \(100001 characters\)' is not a finite number/);
    expect(r.stderr.length).toBeLessThan(300);
  });

  it.each([
    [
      'corrupt.ply',
      `ply\nformat ascii\u001b[1m 1.0\nend_header\n`,
      /unsupported PLY format 'ascii\\x1b\[1m'/,
    ],
    ['inf.json', '[[1e999, 0]]', /entry \[0\]\[0\] is not a finite number \(Infinity\)/],
  ])('%s', (name, text, message) => {
    put(name, text);
    expectOneLineError(run('info', name), message);
  });
});

describe('register lengths whose square under- or overflows', () => {
  it.each([
    [['--blur', '1e-300'], /blur = 1e-300 is too small: blur\^p \(p = 2\) = 0/],
    [['--reach', '1e-200'], /reach = 1e-200 is too small/],
    [['--blur', '1e300'], /blur = 1e\+300 is too large/],
    [['--model', 'nonrigid', '--smoothing', '1e-300'], /smoothing = 1e-300 is too small/],
  ])('%j names the option (was: "Pm(): entry 0 must be a finite number")', (opts, message) =>
    expectOneLineError(run('register', 'a3.csv', 'a3.csv', ...opts), message));
});

describe('iteration counts and sizes are capped (a typo like 1e9 is not a run that never ends)', () => {
  it.each([
    [
      ['gmm', 'a3.csv', '-k', '2', '--tol', '0', '--max-iter', '100001'],
      /--max-iter.*expected an integer in \[1, 100000\]/,
    ],
    [['kmeans', 'a3.csv', '-k', '2', '--iters', '100001'], /--iters.*expected an integer in \[1, 100000\]/],
    [
      ['register', 'a3.csv', 'a3.csv', '--iterations', '100001'],
      /--iterations.*expected an integer in \[1, 100000\]/,
    ],
    [['bench', '-n', '10000001'], /-n.*expected an integer in \[10, 10000000\]/],
    [['bench', '--quick', '--reps', '1001'], /--reps.*expected an integer in \[1, 1000\]/],
    [['ot', 'a3.csv', 'a3.csv', '--exact', '10001'], /--exact.*expected an integer in \[0, 10000\]/],
  ])('%j', (args, message) => expectOneLineError(run(...args), message));

  it('the largest count is accepted', () => {
    const r = run('kmeans', 'a3.csv', '-k', '1', '--iters', '100000', '--json', '--compute', 'js');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
