/**
 * The tiled (GEMM-like) path of the CUDA backend (src/backends/cuda/gemm.ts): which formulas take
 * it (codegen decisions, no compiler needed), the generated source's size as D grows, the values
 * of tiled and untiled kernels on the CPU emulation against dense float64 loops in this file
 * (K-NN, Gaussian sums, scalar products, weighted distances; D = 32 to 1000; sizes that are not
 * multiples of the tiles; block-sparse ranges; both launch schemes; float32 and float64), and
 * nvcc compiling the tiled kernels without register spills (skipped where nvcc is absent), and
 * the same value checks on a real GPU (skipped without one).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCuda } from '../../../src/backends/cuda/codegen.js';
import { GEMM_COLS } from '../../../src/backends/cuda/gemm.js';
import { type CudaBackend, createCudaBackend, cudaBackend } from '../../../src/backends/cuda/index.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import { rng } from '../../helpers/rng.js';
import { columnsOf, randomRanges } from '../native/helpers.js';
import { buildFakeCuda, emulationUnavailable, fakeHooks, prebuild } from './helpers/emu.js';
import { compileCheck, findNvcc } from './helpers/nvcc.js';
import { emulatedBackend } from './helpers/run.js';

type Vec = Float64Array;
type DType = 'float32' | 'float64';

/** Slots: 0 x (i, D), 1 y (j, D), 2 b (j, 1), 3 w (p, D), 4 s (p, 1). */
interface Shape {
  name: string;
  formula: (D: number) => Node;
  kind: ReductionKind;
  k?: number;
  /** Vector reductions the tiled path computes (default 1). */
  sites?: number;
  /** The formula's value at one pair, in float64. */
  ref: (x: Vec, y: Vec, b: number, w: Vec, s: number) => number;
}

const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');
const b = Var(2, 1, 'j');
const w = (D: number) => Var(3, D, 'p');
const s = Var(4, 1, 'p');

const sqdist = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + (v - c[k]!) ** 2, 0);
const dot = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + v * c[k]!, 0);
const wsqdist = (wt: Vec, a: Vec, c: Vec) => a.reduce((t, v, k) => t + wt[k]! * (v - c[k]!) ** 2, 0);

const SHAPES: Shape[] = [
  {
    name: 'K-NN (ArgKMin of SqDist)',
    formula: (D) => op('SqDist', [x(D), y(D)]),
    kind: 'ArgKMin',
    k: 3,
    ref: (xi, yj) => sqdist(xi, yj),
  },
  {
    name: 'Gaussian sum exp(-s |x-y|^2) b',
    formula: (D) => op('Mult', [op('Exp', [op('Minus', [op('Mult', [s, op('SqDist', [x(D), y(D)])])])]), b]),
    kind: 'Sum',
    ref: (xi, yj, bj, _w, sv) => Math.exp(-sv * sqdist(xi, yj)) * bj,
  },
  {
    name: 'scalar-product kernel (x.y) b',
    formula: (D) => op('Mult', [op('Scalprod', [x(D), y(D)]), b]),
    kind: 'Sum',
    ref: (xi, yj, bj) => dot(xi, yj) * bj,
  },
  {
    name: 'weighted sqdist, D-dimensional weight (Min)',
    formula: (D) => op('WeightedSqDist', [w(D), x(D), y(D)]),
    kind: 'Min',
    ref: (xi, yj, _b, wt) => wsqdist(wt, xi, yj),
  },
  {
    name: 'weighted sqdist, per-column scalar weight (log-sum-exp)',
    formula: (D) => op('Minus', [op('Mult', [s, op('WeightedSqDist', [b, x(D), y(D)])])]),
    kind: 'LogSumExp',
    ref: (xi, yj, bj, _w, sv) => -sv * bj * sqdist(xi, yj),
  },
  {
    name: 'two sites: |x-y|^2 + (x.y) b (Max)',
    formula: (D) => op('Add', [op('SqDist', [x(D), y(D)]), op('Mult', [op('Scalprod', [x(D), y(D)]), b])]),
    kind: 'Max',
    sites: 2,
    ref: (xi, yj, bj) => sqdist(xi, yj) + dot(xi, yj) * bj,
  },
];

function specOf(sh: Shape, D: number, dtype: DType): KernelSpec {
  return buildSpec({ formula: sh.formula(D), kind: sh.kind, k: sh.k, axis: 'j', dtype }).spec;
}

describe('CUDA tiled path: which formulas take it', () => {
  it('dot-product-dominated reductions at D >= 32 take it, unless turned off', () => {
    for (const sh of SHAPES) {
      for (const D of [32, 50, 784]) {
        const spec = specOf(sh, D, 'float32');
        const g = generateCuda(spec);
        expect(g.tiledSites, `${sh.name} D=${D}`).toBe(sh.sites ?? 1);
        expect(g.sources.main, `${sh.name} D=${D}`).toContain(`jt += ${GEMM_COLS}`);
        // Fixed shared memory per block, none per thread.
        expect(g.shared.perThread).toBe(0);
        expect(g.shared.fixed).toBeGreaterThan(0);
        const off = generateCuda(spec, { gemm: false });
        expect(off.tiledSites).toBe(0);
        expect(off.sources.main).not.toContain(`jt += ${GEMM_COLS}`);
      }
    }
  });

  it('small dimensions and sums without an i- and a j-variable keep the untiled kernels', () => {
    const D = 64;
    const cases: Node[] = [
      ...SHAPES.map((sh) => sh.formula(3)),
      op('Mult', [op('SqNorm2', [x(D)]), b]),
      op('Sum', [op('Mult', [op('Sum', [x(D)]), y(D)])]),
    ];
    for (const f of cases) {
      const spec = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' }).spec;
      expect(generateCuda(spec).tiledSites).toBe(0);
    }
  });

  it('the generated source does not grow with D', () => {
    for (const sh of SHAPES) {
      for (const dtype of ['float32', 'float64'] as const) {
        const small = generateCuda(specOf(sh, 32, dtype)).sources;
        for (const D of [1000, 4096]) {
          const big = generateCuda(specOf(sh, D, dtype)).sources;
          // Only the digits of D differ.
          expect(big.main.length - small.main.length, `${sh.name} D=${D}`).toBeLessThan(64);
          expect(big.split.length - small.split.length, `${sh.name} D=${D}`).toBeLessThan(64);
          expect(big.main.length).toBeLessThan(8000);
        }
      }
    }
  });
});

interface Data {
  x: Vec;
  y: Vec;
  /** |x| and |y|, for the rounding scales. */
  ax: Vec;
  ay: Vec;
  b: Vec;
  w: Vec;
  s: number;
}

function makeData(D: number, nI: number, nJ: number, seed: number, dtype: DType): Data {
  const r = rng(seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const arr = (n: number, lo: number, hi: number) =>
    Float64Array.from({ length: n }, () => round(lo + (hi - lo) * r()));
  const xs = arr(nI * D, 0, 1);
  const ys = arr(nJ * D, 0, 1);
  return {
    x: xs,
    y: ys,
    ax: xs.map(Math.abs),
    ay: ys.map(Math.abs),
    b: arr(nJ, 0.2, 1),
    w: arr(D, 0.5, 1.5),
    // exp(-s |x - y|^2) of order exp(-0.5): |x - y|^2 is about D / 6.
    s: round(3 / D),
  };
}

/** Kernel inputs in slot order (slots are the formula's variables that occur, by index). */
function inputsOf(spec: KernelSpec, d: Data, D: number): (Float32Array | Float64Array)[] {
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const byDim = (dim: number, cat: string) => {
    if (cat === 'i') return d.x;
    if (cat === 'j') return dim === D ? d.y : d.b;
    return dim === D ? d.w : Float64Array.of(d.s);
  };
  return spec.slots.map((sl) => F.from(byDim(sl.dim, sl.cat)));
}

/** Runs one kernel and checks every row against dense float64 loops. */
function check(
  be: CudaBackend,
  sh: Shape,
  D: number,
  dtype: DType,
  nI: number,
  nJ: number,
  seed: number,
  ranges?: KernelRanges,
) {
  const spec = specOf(sh, D, dtype);
  const d = makeData(D, nI, nJ, seed, dtype);
  const F = dtype === 'float32' ? Float32Array : Float64Array;
  const out = new F(nI * spec.outDim).fill(12345);
  const outIdx = new Int32Array(nI * spec.outIdxDim).fill(-777);
  be.compile(spec).run({ inputs: inputsOf(spec, d, D), nI, nJ, out, outIdx, ranges });
  const f32 = dtype === 'float32';
  const rtol = f32 ? 2e-5 : 1e-12;
  const label = `${sh.name} D=${D} ${dtype} ${nI}x${nJ}${ranges ? ' ranges' : ''}`;
  const row = (i: number) => d.x.subarray(i * D, (i + 1) * D);
  const col = (j: number) => d.y.subarray(j * D, (j + 1) * D);
  for (let i = 0; i < nI; i++) {
    const js = columnsOf(ranges, i, nJ);
    const v = js.map((j) => sh.ref(row(i), col(j), d.b[j]!, d.w, d.s));
    // The scale of each value's rounding: sums of |terms| (a sum may cancel to near zero).
    const ai = d.ax.subarray(i * D, (i + 1) * D);
    const scale = js.map(
      (j, q) => Math.abs(v[q]!) + dot(ai, d.ay.subarray(j * D, (j + 1) * D)) + sqdist(row(i), col(j)),
    );
    const got = out[i * spec.outDim]!;
    if (sh.kind === 'ArgKMin') {
      const order = js.map((_, q) => q).sort((p, q) => v[p]! - v[q]! || js[p]! - js[q]!);
      const idx = Array.from(outIdx.subarray(i * sh.k!, (i + 1) * sh.k!));
      for (let slot = 0; slot < sh.k!; slot++) {
        if (slot >= js.length) {
          expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(-1);
          continue;
        }
        const at = js.indexOf(idx[slot]!);
        expect(at, `${label}: row ${i} slot ${slot} index ${idx[slot]}`).toBeGreaterThanOrEqual(0);
        if (!f32) expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(js[order[slot]!]);
        expect(Math.abs(v[at]! - v[order[slot]!]!), `${label}: row ${i} slot ${slot}`).toBeLessThanOrEqual(
          rtol * scale[at]!,
        );
      }
      expect(new Set(idx.filter((j) => j >= 0)).size, `${label}: row ${i} distinct`).toBe(
        Math.min(sh.k!, js.length),
      );
      continue;
    }
    let want: number;
    let tol: number;
    if (sh.kind === 'Sum') {
      want = v.reduce((t, a) => t + a, 0);
      tol = rtol * scale.reduce((t, a) => t + a, 0) + (f32 ? 1e-6 : 1e-13);
    } else if (sh.kind === 'Min' || sh.kind === 'Max') {
      const min = sh.kind === 'Min';
      want = v.reduce((t, a) => (min ? Math.min(t, a) : Math.max(t, a)), min ? Infinity : -Infinity);
      tol = rtol * Math.max(0, ...scale);
    } else {
      const m = v.reduce((t, a) => Math.max(t, a), Number.NEGATIVE_INFINITY);
      want = js.length === 0 ? m : m + Math.log(v.reduce((t, a) => t + Math.exp(a - m), 0));
      tol = rtol * Math.max(0, ...scale.map((c) => c * d.s)) + (f32 ? 1e-5 : 1e-12);
    }
    if (!Number.isFinite(want)) expect(got, `${label}: row ${i}`).toBe(want);
    else expect(Math.abs(got - want), `${label}: row ${i} got ${got} want ${want}`).toBeLessThanOrEqual(tol);
  }
}

/** Sizes around the tile edges: GEMM_COLS columns, 64-thread blocks (the emulation's cap). */
const SIZES: [number, number][] = [
  [1, 1],
  [3, 15],
  [65, 17],
  [70, 45],
];

interface Combo {
  sh: Shape;
  D: number;
  dtype: DType;
  /** Also run with the tiled path off (the untiled kernels against the same reference). */
  untiled: boolean;
  /** Also run the 2-D (column-split) scheme. */
  split: boolean;
}

const COMBOS: Combo[] = [32, 50, 100, 784, 1000].flatMap((D) =>
  SHAPES.flatMap((sh) =>
    (['float32', 'float64'] as const)
      .filter((dt) => dt === 'float32' || D === 50 || D === 1000)
      .map((dtype) => ({ sh, D, dtype, untiled: D === 50 || D === 784, split: D === 100 })),
  ),
);

const skip = emulationUnavailable();
const title = `CUDA tiled path on the CPU emulation${skip ? ` (SKIPPED: ${skip})` : ''}`;
if (skip) console.warn(`[lazytensor] ${title}`);

describe.skipIf(skip !== undefined)(title, () => {
  const env = skip
    ? undefined
    : {
        tiled: emulatedBackend({ scheme: '1d' }).backend,
        untiled: emulatedBackend({ scheme: '1d', gemm: false }).backend,
        split: emulatedBackend({ scheme: '2d' }).backend,
      };
  beforeAll(async () => {
    fakeHooks(buildFakeCuda()).set('max_threads', 64);
    const sources = COMBOS.flatMap((c) => {
      const spec = specOf(c.sh, c.D, c.dtype);
      const g = env!.tiled.source(spec);
      return [
        g.sources.main,
        ...(c.split ? [g.sources.split] : []),
        ...(c.untiled ? [env!.untiled.source(spec).sources.main] : []),
      ];
    });
    await prebuild(sources);
  }, 600_000);

  COMBOS.forEach(({ sh, D, dtype, untiled, split }, n) => {
    it(`${sh.name}, D=${D}, ${dtype}: tile edges, dense and block-sparse${untiled ? ', tiled and untiled' : ''}${split ? ', 2-D scheme' : ''}`, () => {
      const backends = [env!.tiled, ...(untiled ? [env!.untiled] : []), ...(split ? [env!.split] : [])];
      for (const be of backends) {
        SIZES.forEach(([nI, nJ], q) => check(be, sh, D, dtype, nI, nJ, 100 * n + q));
        check(be, sh, D, dtype, 70, 150, 100 * n + 50, randomRanges(70, 150, 7 + n));
      }
    });
  });
});

const gpu = cudaBackend.status();
const gpuTitle = `CUDA tiled path on the GPU${gpu.available ? ` (${gpu.device})` : ` (SKIPPED: no usable CUDA GPU: ${gpu.reason})`}`;

// The same checks on a real GPU (`npm run test:gpu`): 256-thread blocks, accurate math.
describe.skipIf(!gpu.available)(gpuTitle, () => {
  const tiled = gpu.available ? createCudaBackend({ fastMath: false }) : undefined;
  const untiled = gpu.available ? createCudaBackend({ fastMath: false, gemm: false }) : undefined;
  COMBOS.forEach(({ sh, D, dtype }, n) => {
    it(`${sh.name}, D=${D}, ${dtype}: tiled and untiled, dense and block-sparse`, () => {
      for (const be of [tiled!, untiled!]) {
        SIZES.forEach(([nI, nJ], q) => check(be, sh, D, dtype, nI, nJ, 100 * n + q));
        check(be, sh, D, dtype, 300, 700, 100 * n + 50, randomRanges(300, 700, 7 + n));
      }
    });
  });
});

const nvcc = findNvcc();
const nvccTitle = `tiled CUDA kernels compile with nvcc -cubin -arch=sm_90${nvcc ? '' : ' (SKIPPED: nvcc not found on PATH, CUDA_HOME or /usr/local/cuda*)'}`;
if (!nvcc) console.warn(`[lazytensor] ${nvccTitle}`);

describe.skipIf(!nvcc)(nvccTitle, () => {
  it('every tiled module compiles, ptxas reports every kernel, none spills registers', async () => {
    const parts: string[] = [];
    const kernels = new Map<string, string>();
    let n = 0;
    for (const sh of SHAPES) {
      for (const [D, dtype] of [
        [50, 'float32'],
        [784, 'float32'],
        [1000, 'float64'],
      ] as const) {
        const prefix = `g${n++}`;
        const g = generateCuda(specOf(sh, D, dtype), { prefix, fastMath: true });
        expect(g.tiledSites).toBe(sh.sites ?? 1);
        parts.push(g.sources.main, g.sources.split);
        for (const e of [g.main, g.partial, g.merge]) kernels.set(e.name, `${sh.name} D=${D} ${dtype}`);
      }
    }
    const r = await compileCheck(nvcc!, parts.join('\n'));
    const errors = r.log
      .split('\n')
      .filter((l) => /error/i.test(l))
      .slice(0, 20)
      .join('\n');
    expect(r.ok, errors).toBe(true);
    for (const [k, st] of r.stats) {
      expect(st.spillStores, `${k} (${kernels.get(k)}) spills: ${JSON.stringify(st)}`).toBe(0);
    }
    expect([...kernels.keys()].filter((k) => !r.stats.has(k))).toEqual([]);
  }, 600_000);
});
