import { afterAll, describe, expect, it } from 'vitest';
import type { KernelRanges, RunArgs } from '../../../src/backends/types.js';
import {
  setWasmCallerWorks,
  setWasmInlineThreshold,
  setWasmSharedMemory,
  setWasmThreads,
  shutdownWasmWorkers,
  wasmBackend,
  wasmPoolInfo,
} from '../../../src/backends/wasm/index.js';
import type { DType } from '../../../src/ndarray.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import {
  columnsOf,
  type Data,
  distF,
  gaussF,
  kernelCase,
  makeData,
  negDistF,
  sqdist,
} from '../js/helpers.js';

/**
 * Threads over rows on ONE shared WebAssembly.Memory (inputs written once, every thread's instance
 * runs its rows on them) against the fallback where each thread's instance has its own memory and
 * copies the inputs in, and against dense float64 references computed here.
 */
afterAll(() => {
  setWasmThreads(undefined);
  setWasmInlineThreshold(1e6);
  setWasmSharedMemory(undefined);
  setWasmCallerWorks(true);
  shutdownWasmWorkers();
});

// Rows 0..39 see columns [3, 50) and [77, 130); rows 60..(n-1) see [100, 311); rows 40..59 none.
const rangesFor = (nI: number): KernelRanges => ({
  rowRanges: Int32Array.from([0, 40, 60, nI]),
  slices: Int32Array.from([2, 3]),
  colRanges: Int32Array.from([3, 50, 77, 130, 100, 311]),
});

interface Case {
  name: string;
  kind: ReductionKind;
  k?: number;
  formula: typeof gaussF;
  /** The float64 reference of row i over its columns: values then indices. */
  ref(d: Data, i: number, cols: number[]): { v: number[]; q: number[] };
}

const gauss = (d: Data, i: number, j: number) => Math.exp(-d.G * sqdist(d, i, j)) * d.B[j]!;

const CASES: Case[] = [
  {
    name: 'Gaussian sum',
    kind: 'Sum',
    formula: gaussF,
    ref: (d, i, cols) => ({ v: [cols.reduce((s, j) => s + gauss(d, i, j), 0)], q: [] }),
  },
  {
    name: 'log-sum-exp',
    kind: 'LogSumExp',
    formula: negDistF,
    ref: (d, i, cols) => {
      if (cols.length === 0) return { v: [Number.NEGATIVE_INFINITY], q: [] };
      const f = cols.map((j) => -d.G * sqdist(d, i, j));
      const m = Math.max(...f);
      return { v: [m + Math.log(f.reduce((s, v) => s + Math.exp(v - m), 0))], q: [] };
    },
  },
  {
    name: 'arg-K-min (K = 4)',
    kind: 'ArgKMin',
    k: 4,
    formula: distF,
    ref: (d, i, cols) => {
      const order = [...cols].sort((p, q) => sqdist(d, i, p) - sqdist(d, i, q) || p - q);
      // Rows with no columns get index -1.
      return { v: [], q: [...order, -1, -1, -1, -1].slice(0, 4) };
    },
  },
];

function runWasm(c: Case, dtype: DType, d: Data, ranges?: KernelRanges) {
  const k = kernelCase(c.formula, c.kind, dtype, d, { k: c.k });
  const { out, outIdx } = k.outs();
  const args: RunArgs = { inputs: k.inputs, nI: d.nI, nJ: d.nJ, out, outIdx, ranges };
  wasmBackend.compile(k.spec).run(args);
  return { out: out ? Array.from(out) : [], outIdx: outIdx ? Array.from(outIdx) : [], spec: k.spec };
}

/** Runs on `threads` threads with the shared memory on or off. */
function runMode(shared: boolean, threads: number, c: Case, dtype: DType, d: Data, ranges?: KernelRanges) {
  setWasmSharedMemory(shared ? undefined : false);
  setWasmThreads(threads);
  try {
    return runWasm(c, dtype, d, ranges);
  } finally {
    setWasmSharedMemory(undefined);
  }
}

function expectReference(
  c: Case,
  dtype: DType,
  d: Data,
  got: ReturnType<typeof runWasm>,
  ranges?: KernelRanges,
) {
  const tol = dtype === 'float32' ? 2e-5 : 1e-12;
  const vd = got.spec.outDim;
  for (let i = 0; i < d.nI; i++) {
    const want = c.ref(d, i, columnsOf(i, d.nJ, ranges));
    for (let t = 0; t < want.v.length; t++) {
      const w = want.v[t]!;
      const g = got.out[i * vd + t]!;
      if (!Number.isFinite(w)) expect(g, `${c.name} row ${i}`).toBe(w);
      else expect(Math.abs(g - w), `${c.name} ${dtype} row ${i}`).toBeLessThan(tol * (1 + Math.abs(w)));
    }
    if (c.kind === 'ArgKMin' && dtype === 'float64') {
      expect(got.outIdx.slice(i * 4, i * 4 + 4), `${c.name} row ${i}`).toEqual(want.q);
    }
  }
}

describe('wasm threads on a shared memory', () => {
  it('equal the per-thread-memory runs and the float64 references (dense and ranges, f32 and f64)', () => {
    setWasmInlineThreshold(0); // every run with nI > 1 goes to a pool
    setWasmCallerWorks(false); // the workers run every row: their instances really compute
    const d = makeData(257, 331, 11);
    for (const c of CASES) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const rg of [undefined, rangesFor(d.nI)]) {
          const shared = runMode(true, 2, c, dtype, d, rg);
          expect(wasmPoolInfo()?.sharedMemory).toBe(true);
          const own = runMode(false, 2, c, dtype, d, rg);
          expect(wasmPoolInfo()?.sharedMemory).toBe(false);
          const one = runMode(true, 1, c, dtype, d, rg);
          expect(shared.out, c.name).toEqual(own.out);
          expect(shared.outIdx, c.name).toEqual(own.outIdx);
          expect(shared.out, c.name).toEqual(one.out);
          expect(shared.outIdx, c.name).toEqual(one.outIdx);
          expectReference(c, dtype, d, shared, rg);
        }
      }
    }
    setWasmCallerWorks(true);
  });

  it('writes each run once into the shared memory, growing it between runs, with every thread computing', () => {
    setWasmInlineThreshold(0);
    setWasmCallerWorks(false);
    setWasmThreads(3);
    shutdownWasmWorkers();
    const c = CASES[0]!;
    let chunks = 0;
    // Small, large (the memory grows while the workers hold their instances), small again.
    for (const [n, m, seed] of [
      [50, 40, 1],
      [3000, 9000, 2],
      [70, 30, 3],
      [5000, 12000, 4],
    ] as const) {
      const d = makeData(n, m, seed);
      const got = runWasm(c, 'float64', d);
      const info = wasmPoolInfo()!;
      expect(info.sharedMemory).toBe(true);
      expect(info.workers).toBe(2);
      expect(info.workerChunks).toBeGreaterThan(chunks);
      chunks = info.workerChunks;
      for (const i of [0, 1, n >> 1, n - 1]) {
        const want = c.ref(d, i, columnsOf(i, m)).v[0]!;
        expect(Math.abs(got.out[i]! - want)).toBeLessThan(1e-12 * (1 + Math.abs(want)));
      }
    }
    setWasmCallerWorks(true);
  });

  it('falls back to a memory per thread where shared memory is off, and says so', () => {
    setWasmInlineThreshold(0);
    setWasmThreads(2);
    setWasmSharedMemory(false);
    try {
      expect(wasmBackend.status().device).toMatch(
        /2 threads .* each on its own memory \(shared memory turned off/,
      );
      const d = makeData(120, 90, 5);
      const got = runWasm(CASES[0]!, 'float64', d);
      expect(wasmPoolInfo()?.sharedMemory).toBe(false);
      for (let i = 0; i < d.nI; i++) {
        const want = CASES[0]!.ref(d, i, columnsOf(i, d.nJ)).v[0]!;
        expect(Math.abs(got.out[i]! - want)).toBeLessThan(1e-12 * (1 + Math.abs(want)));
      }
    } finally {
      setWasmSharedMemory(undefined);
    }
    expect(wasmBackend.status().device).toMatch(/2 threads \(worker_threads\) on one shared memory/);
  });
});
