/**
 * Ranges the JS backend rejects (src/backends/js/validate.ts, the reference) are rejected by the
 * native backend too, with a LazyTensorError raised before any pointer reaches C++: decreasing
 * slices used to give silent zeros, column intervals outside [0, nJ] were silently clamped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../../src/backends/js/index.js';
import { type NativeKernel, nativeBackend, setNativeOptions } from '../../../src/backends/native/index.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { LazyTensorError } from '../../../src/errors.js';
import { cacheSpec } from './fixtures/spec.js';
import { randomInputs, runJs, useSharedCache } from './helpers.js';

const nI = 6;
const nJ = 8;
const ranges = (rows: number[], slices: number[], cols: number[]): KernelRanges => ({
  rowRanges: new Int32Array(rows),
  slices: new Int32Array(slices),
  colRanges: new Int32Array(cols),
});

const bad: [string, KernelRanges][] = [
  ['decreasing slices', ranges([0, 3, 3, 6], [2, 1], [0, 4, 4, 8])],
  ['negative slice', ranges([0, 6], [-1], [0, 8])],
  ['slice past the column intervals', ranges([0, 6], [2], [0, 8])],
  ['column interval past nJ', ranges([0, 6], [1], [0, nJ + 1])],
  ['negative column start', ranges([0, 6], [1], [-1, 4])],
  ['column interval start > end', ranges([0, 6], [1], [5, 4])],
];

describe('native run validation', () => {
  const s = cacheSpec('Sum');
  const inputs = randomInputs(s, nI, nJ, 5);
  let k: NativeKernel;
  beforeAll(() => {
    useSharedCache();
    k = nativeBackend.compile(s) as NativeKernel;
    expect(k.waitReady()).toBe('ready');
  });
  afterAll(() => setNativeOptions({ cacheDir: undefined, sync: undefined, threads: undefined }));

  it.each(bad)('rejects %s like the js backend', async (_, r) => {
    const js = jsBackend.compile(s);
    expect(() => js.run({ inputs, nI, nJ, out: new Float64Array(nI), ranges: r })).toThrow(LazyTensorError);
    const out = new Float64Array(nI).fill(7);
    expect(() => k.run({ inputs, nI, nJ, out, ranges: r })).toThrow(LazyTensorError);
    await expect(k.runAsync({ inputs, nI, nJ, out, ranges: r })).rejects.toThrow(LazyTensorError);
    expect(Array.from(out)).toEqual(Array(nI).fill(7));
  });

  it('still runs valid ranges (equal slices: an empty block) like the js backend', async () => {
    const r = ranges([0, 2, 2, 4, 4, 6], [1, 1, 2], [0, 3, 5, 8]);
    const ref = runJs(s, { inputs, nI, nJ, ranges: r }, nI).out;
    const out = new Float64Array(nI);
    k.run({ inputs, nI, nJ, out, ranges: r });
    expect(k.lastEngine).toBe('native');
    for (let i = 0; i < nI; i++) expect(out[i]).toBeCloseTo(ref[i]!, 12);
    const outAsync = new Float64Array(nI);
    await k.runAsync({ inputs, nI, nJ, out: outAsync, ranges: r });
    expect(Array.from(outAsync)).toEqual(Array.from(out));
  });
});
