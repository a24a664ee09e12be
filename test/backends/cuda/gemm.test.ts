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
import { op } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import {
  b,
  COMMON_SHAPES,
  type DType,
  dot,
  expectRows,
  inputsOf,
  makeData,
  outputsOf,
  type Shape,
  s,
  specOf,
  sqdist,
  x,
  y,
} from '../common/pairedShapes.js';
import { randomRanges } from '../native/helpers.js';
import { buildFakeCuda, emulationUnavailable, fakeHooks, prebuild } from './helpers/emu.js';
import { compileCheck, errorLines, findNvcc } from './helpers/nvcc.js';
import { emulatedBackend } from './helpers/run.js';

const SHAPES: Shape[] = [
  ...COMMON_SHAPES,
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
  const d = makeData(D, nI, nJ, seed, dtype, [0.2, 1]);
  const outs = outputsOf(spec, nI);
  be.compile(spec).run({ inputs: inputsOf(spec, d, D), nI, nJ, ...outs, ranges });
  expectRows(sh, D, dtype, d, nI, nJ, outs, spec.outDim, ranges);
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
    expect(r.ok, errorLines(r.log)).toBe(true);
    for (const [k, st] of r.stats) {
      expect(st.spillStores, `${k} (${kernels.get(k)}) spills: ${JSON.stringify(st)}`).toBe(0);
    }
    expect([...kernels.keys()].filter((k) => !r.stats.has(k))).toEqual([]);
  }, 600_000);
});
