/**
 * One rule for block-sparse ranges on every backend (src/backends/common/ranges.ts): row blocks in
 * any order but disjoint and inside [0, nI), slices non-decreasing within the column intervals,
 * column intervals inside [0, nJ]. Bad ranges are a LazyTensorError raised before any kernel runs
 * (the native C++ and the CUDA kernels used to clamp out-of-bounds rows, and backends disagreed on
 * overlapping blocks), whether they come straight to a kernel or through reduce, LazyTensor or
 * genred. Valid unsorted blocks give the same result as sorted ones, on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../src/backends/cuda/index.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import type { Backend, KernelRanges } from '../../src/backends/types.js';
import { wasmBackend } from '../../src/backends/wasm/index.js';
import { LazyTensorError } from '../../src/errors.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/leaves.js';
import { genred, type Ranges, reduce, registerBackend, Vi, Vj } from '../../src/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { emulationUnavailable } from './cuda/helpers/emu.js';
import { emulatedBackend } from './cuda/helpers/run.js';

const skipCuda = emulationUnavailable();
if (skipCuda) console.warn(`[lazytensor] range validation on the cuda emulation SKIPPED: ${skipCuda}`);
const emu = skipCuda ? undefined : emulatedBackend({ scheme: '1d' });
if (emu) registerBackend(emu.backend);
afterAll(() => registerBackend(cudaBackend));

const BACKENDS = [...backendsUnderTest(), ...(emu ? ['cuda'] : [])];
const byName: Record<string, Backend | undefined> = {
  js: jsBackend,
  native: nativeBackend,
  cuda: emu?.backend,
  wasm: wasmBackend,
};

const nI = 6;
const nJ = 8;
const i32 = (...v: number[]) => Int32Array.from(v);
const kr = (rows: number[], slices: number[], cols: number[]): KernelRanges => ({
  rowRanges: i32(...rows),
  slices: i32(...slices),
  colRanges: i32(...cols),
});

/** Bad kernel-level ranges (nI = 6 rows, nJ = 8 columns) and what the message must say. */
const BAD: [string, KernelRanges, RegExp][] = [
  [
    'overlapping sorted blocks',
    kr([0, 4, 3, 6], [1, 2], [0, 8, 0, 8]),
    /blocks 0 \[0, 4\) and 1 \[3, 6\) overlap/,
  ],
  [
    'overlapping unsorted blocks',
    kr([3, 6, 0, 4], [1, 2], [0, 8, 0, 8]),
    /blocks 1 \[0, 4\) and 0 \[3, 6\) overlap/,
  ],
  ['a block nested in another', kr([0, 6, 2, 3], [1, 2], [0, 8, 0, 8]), /overlap/],
  ['a row block past nI', kr([0, 7], [1], [0, 8]), /block 0 is \[0, 7\)/],
  ['a negative row start', kr([-1, 3], [1], [0, 8]), /block 0 is \[-1, 3\)/],
  ['a row block ending before it starts', kr([4, 2], [1], [0, 8]), /block 0 is \[4, 2\)/],
  ['a column interval past nJ', kr([0, 6], [1], [0, 9]), /column interval 0 is \[0, 9\)/],
  ['a negative column start', kr([0, 6], [1], [-2, 3]), /column interval 0 is \[-2, 3\)/],
  ['decreasing slices', kr([0, 3, 3, 6], [2, 1], [0, 4, 4, 8]), /entry 1 is 1/],
  ['a slice past the column intervals', kr([0, 6], [2], [0, 8]), /entry 0 is 2/],
  ['an odd rowRanges length', kr([0, 6, 6], [1], [0, 8]), /pairs, got 3 values/],
  ['an odd colRanges length', kr([0, 6], [1], [0, 8, 1]), /pairs, got 3 values/],
  [
    'slices of another length than the blocks',
    kr([0, 3, 3, 6], [1], [0, 8]),
    /one entry per row block \(2\), got 1/,
  ],
  [
    'a plain array instead of an Int32Array',
    { rowRanges: [0, 6] as unknown as Int32Array, slices: i32(1), colRanges: i32(0, 8) },
    /expected an Int32Array/,
  ],
];

/** The same bad ranges in the user's (KeOps) layout, for a reduction over j. */
function userRanges(r: KernelRanges): Ranges {
  return {
    ranges_i: r.rowRanges,
    slices_i: r.slices,
    redranges_j: r.colRanges,
    ranges_j: i32(0, nJ),
    slices_j: i32(1),
    redranges_i: i32(0, nI),
  };
}

const xs = Float64Array.from({ length: nI }, (_, i) => i / 3);
const ys = Float64Array.from({ length: nJ }, (_, j) => 1 - j / 5);

/** Dense float64 reference of sum_j (x_i - y_j)^2 over the columns each row's block visits. */
function reference(r: KernelRanges): Float64Array {
  const out = new Float64Array(nI);
  for (let b = 0; b < r.slices.length; b++) {
    for (let i = r.rowRanges[2 * b]!; i < r.rowRanges[2 * b + 1]!; i++) {
      for (let c = b === 0 ? 0 : r.slices[b - 1]!; c < r.slices[b]!; c++) {
        for (let j = r.colRanges[2 * c]!; j < r.colRanges[2 * c + 1]!; j++) out[i]! += (xs[i]! - ys[j]!) ** 2;
      }
    }
  }
  return out;
}

function throwsLazy(f: () => unknown, msg: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LazyTensorError);
  expect((err as Error).message).toMatch(msg);
}

const x = Var(0, 1, 'i');
const y = Var(1, 1, 'j');
const formula = op('SqDist', [x, y]);

for (const name of BACKENDS) {
  describe(`block-sparse ranges on ${name}`, () => {
    const { spec } = buildSpec({ formula, kind: 'Sum', axis: 'j', dtype: 'float64' });
    let run: (r: KernelRanges, out: Float64Array) => void;
    beforeAll(() => {
      const k = byName[name]!.compile(spec);
      run = (r, out) => k.run({ inputs: [xs, ys], nI, nJ, out, ranges: r });
    });

    it.each(BAD)('the kernel rejects %s before running', (_, r, msg) => {
      const out = new Float64Array(nI).fill(7);
      throwsLazy(() => run(r, out), msg);
      expect(Array.from(out)).toEqual(Array(nI).fill(7));
    });

    it.each(BAD)('reduce, LazyTensor and genred reject %s', (_, r) => {
      const o = { backend: name, ranges: userRanges(r) };
      const data = new Map([
        [x, { data: xs, shape: [nI, 1] }],
        [y, { data: ys, shape: [nJ, 1] }],
      ]);
      expect(() => reduce({ formula, kind: 'Sum', axis: 'j', data, opts: o })).toThrow(LazyTensorError);
      const X = Vi({ data: xs, shape: [nI, 1] });
      const Y = Vj({ data: ys, shape: [nJ, 1] });
      expect(() => X.sqdist(Y).sum('j', o)).toThrow(LazyTensorError);
      const g = genred('SqDist(x,y)', ['x = Vi(1)', 'y = Vj(1)'], 'Sum', { axis: 1, ...o });
      expect(() => g({ data: xs, shape: [nI, 1] }, { data: ys, shape: [nJ, 1] })).toThrow(LazyTensorError);
    });

    it('runs disjoint blocks given in any order (with gaps and an empty block) like sorted ones', () => {
      const unsorted = kr([4, 6, 0, 2, 3, 3], [1, 3, 3], [2, 5, 0, 1, 6, 8]);
      const ref = reference(unsorted);
      expect(ref[2]).toBe(0); // row 2 is in no block
      const out = new Float64Array(nI);
      run(unsorted, out);
      for (let i = 0; i < nI; i++) expect(out[i]).toBeCloseTo(ref[i]!, 12);
      const X = Vi({ data: xs, shape: [nI, 1] });
      const Y = Vj({ data: ys, shape: [nJ, 1] });
      const lazy = X.sqdist(Y).sum('j', { backend: name, ranges: userRanges(unsorted) });
      for (let i = 0; i < nI; i++) expect(lazy.data[i]).toBeCloseTo(ref[i]!, 12);
    });
  });
}
