import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { jsBackend } from '../../../src/backends/js/index.js';
import { type NativeKernel, setNativeOptions } from '../../../src/backends/native/index.js';
import type { KernelRanges, RunArgs } from '../../../src/backends/types.js';
import type { KernelSpec } from '../../../src/kernel/spec.js';
import { rng } from '../../helpers/rng.js';

/**
 * Native tests run in sync mode (no JS fallback while compiling) against a cache outside the
 * user's: a fixed folder under the temp dir for the correctness suites (so reruns skip the
 * compiler), a fresh folder for tests of the cache itself.
 */
export function useSharedCache(): string {
  const dir = path.join(os.tmpdir(), 'lazytensor-test-native-cache');
  setNativeOptions({ sync: true, cacheDir: dir, cxx: undefined, threads: 2 });
  return dir;
}

/** A fresh, empty cache root. */
export function freshCacheDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lazytensor-native-'));
}

export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Random inputs for a spec: one array per slot, uniform in [lo, hi). */
export function randomInputs(spec: KernelSpec, nI: number, nJ: number, seed: number, lo = -1, hi = 1) {
  const r = rng(seed);
  const F: FloatCtor = spec.dtype === 'float32' ? Float32Array : Float64Array;
  return spec.slots.map((s) => {
    const n = (s.cat === 'i' ? nI : s.cat === 'j' ? nJ : 1) * s.dim;
    return new F(Array.from({ length: n }, () => lo + (hi - lo) * r()));
  });
}

/** Output buffers for a spec, pre-filled with garbage so that untouched entries show. */
export function outputs(spec: KernelSpec, nI: number) {
  const F: FloatCtor = spec.dtype === 'float32' ? Float32Array : Float64Array;
  return {
    out: new F(nI * spec.outDim).fill(12345),
    outIdx: new Int32Array(nI * spec.outIdxDim).fill(-777),
  };
}

/** Runs the JS backend (the reference semantics of every reduction) on the same arguments. */
export function runJs(spec: KernelSpec, args: Omit<RunArgs, 'out' | 'outIdx'>, nI: number) {
  const o = outputs(spec, nI);
  jsBackend.compile(spec).run({ ...args, ...o });
  return o;
}

/**
 * Random block-sparse ranges: row blocks in increasing order with gaps (rows in no block),
 * each with 0 to 3 disjoint sorted column intervals.
 */
export function randomRanges(nI: number, nJ: number, seed: number): KernelRanges {
  const r = rng(seed);
  const rows: number[] = [];
  const slices: number[] = [];
  const cols: number[] = [];
  let i = Math.floor(r() * 3);
  while (i < nI) {
    const e = Math.min(nI, i + 1 + Math.floor(r() * Math.max(2, nI / 4)));
    rows.push(i, e);
    const nc = Math.floor(r() * 4);
    const cuts = Array.from({ length: 2 * nc }, () => Math.floor(r() * (nJ + 1))).sort((a, b) => a - b);
    for (let c = 0; c < nc; c++)
      if (cuts[2 * c]! < cuts[2 * c + 1]!) cols.push(cuts[2 * c]!, cuts[2 * c + 1]!);
    slices.push(cols.length / 2);
    i = e + Math.floor(r() * 3);
  }
  return {
    rowRanges: Int32Array.from(rows),
    slices: Int32Array.from(slices),
    colRanges: Int32Array.from(cols),
  };
}

/** Column indices row i visits under `ranges` (all columns when undefined); rows in no block visit none. */
export function columnsOf(ranges: KernelRanges | undefined, i: number, nJ: number): number[] {
  if (!ranges) return Array.from({ length: nJ }, (_, j) => j);
  let owner = -1;
  for (let b = 0; b < ranges.slices.length; b++) {
    if (ranges.rowRanges[2 * b]! <= i && i < ranges.rowRanges[2 * b + 1]!) owner = b;
  }
  if (owner < 0) return [];
  const out: number[] = [];
  for (let c = owner === 0 ? 0 : ranges.slices[owner - 1]!; c < ranges.slices[owner]!; c++) {
    for (let j = ranges.colRanges[2 * c]!; j < ranges.colRanges[2 * c + 1]!; j++) out.push(j);
  }
  return out;
}

/**
 * Runs a native kernel of a spec whose i-slot reads X and j-slot Y (other slots: 1) and checks that
 * native code served it: outputs start as sentinels (12345, -777), returned as plain arrays.
 */
export function runNative(
  kern: NativeKernel,
  spec: KernelSpec,
  X: Float64Array,
  Y: Float64Array,
  nI: number,
  nJ: number,
  ranges?: KernelRanges,
) {
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const out = new F(nI * spec.outDim).fill(12345);
  const outIdx = new Int32Array(nI * spec.outIdxDim).fill(-777);
  const inputs = spec.slots.map((s) => (s.cat === 'i' ? F.from(X) : s.cat === 'j' ? F.from(Y) : F.of(1)));
  kern.run({ inputs, nI, nJ, out, outIdx, ranges });
  expect(kern.lastEngine).toBe('native');
  return { out: Array.from(out), outIdx: Array.from(outIdx) };
}
