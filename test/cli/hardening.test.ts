/**
 * Adversarial input to the command line: every bad file or option ends with exit status 2 and one
 * line on stderr naming what was expected and what was given, and never with a silently wrong
 * answer, a non-finite number in the output, a crash or work done before a usage error.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
