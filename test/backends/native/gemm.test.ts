/**
 * The GEMM-like path of the native backend (src/backends/native/gemm.ts): which vector reductions
 * take it (a codegen decision, tested without compiling), and the values of such kernels at
 * D = 50, 100, 784 and 1000 against dense float64 loops: K-NN (ArgKMin of SqDist), a Gaussian
 * sum, a scalar-product kernel, weighted squared distances (a D-dimensional and a scalar weight),
 * dense and block-sparse, at sizes around the micro-kernel's tile edges (4 rows × 64 columns).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKernel } from '../../../src/backends/native/codegen.js';
import { gemmSites } from '../../../src/backends/native/gemm.js';
import { type NativeKernel, nativeBackend, precompileNative } from '../../../src/backends/native/index.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import {
  b,
  COMMON_SHAPES,
  type DType,
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
import { randomRanges, useSharedCache } from './helpers.js';

const SHAPES: Shape[] = [
  ...COMMON_SHAPES,
  {
    name: 'weighted sqdist, scalar weight (log-sum-exp)',
    formula: (D) => op('Minus', [op('WeightedSqDist', [s, x(D), y(D)])]),
    kind: 'LogSumExp',
    ref: (xi, yj, _b, _w, sv) => -sv * sqdist(xi, yj),
  },
  {
    name: 'weighted sqdist, per-column scalar weight (Gaussian sum)',
    formula: (D) => op('Exp', [op('Minus', [op('Mult', [s, op('WeightedSqDist', [b, x(D), y(D)])])])]),
    kind: 'Sum',
    ref: (xi, yj, bj, _w, sv) => Math.exp(-sv * bj * sqdist(xi, yj)),
  },
];

describe('native GEMM path: which formulas take it', () => {
  it('dot-product-dominated reductions at D >= 32 take it (micro-kernel in the source)', () => {
    for (const sh of SHAPES) {
      for (const D of [32, 50, 784]) {
        const spec = specOf(sh, D, 'float32');
        expect(gemmSites(spec).length, `${sh.name} D=${D}`).toBe(1);
        expect(generateKernel(spec, 'k'), `${sh.name} D=${D}`).toContain('LT_GEMM_VECS');
      }
    }
  });

  it('small dimensions keep the unrolled kernels', () => {
    for (const sh of SHAPES) {
      const spec = specOf(sh, 3, 'float32');
      expect(gemmSites(spec)).toEqual([]);
      expect(generateKernel(spec, 'k')).not.toContain('LT_GEMM_VECS');
    }
  });

  it('sums of other elementwise terms, or without a j-variable, keep the component loop', () => {
    const D = 64;
    const cases: Node[] = [
      // A math call in the summand: the micro-kernel's vector types have no exp.
      op('Sum', [op('Exp', [op('Subtract', [x(D), y(D)])])]),
      // No j-variable: nothing to tile over columns.
      op('Mult', [op('SqNorm2', [x(D)]), b]),
      // A computed scalar leaf (not a variable) inside the summand.
      op('Sum', [op('Mult', [op('Sum', [x(D)]), y(D)])]),
    ];
    for (const f of cases) {
      const spec = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' }).spec;
      expect(gemmSites(spec)).toEqual([]);
      expect(generateKernel(spec, 'k')).not.toContain('LT_GEMM_VECS');
    }
  });

  it('two distance sites in one formula both take it', () => {
    const D = 40;
    const f = op('Add', [op('SqDist', [x(D), y(D)]), op('Scalprod', [x(D), Var(5, D, 'j')])]);
    const spec = buildSpec({ formula: f, kind: 'Min', axis: 'j', dtype: 'float64' }).spec;
    expect(gemmSites(spec).length).toBe(2);
  });
});

/** Runs one kernel and checks every row against dense float64 loops. */
function check(
  sh: Shape,
  D: number,
  dtype: DType,
  kern: NativeKernel,
  nI: number,
  nJ: number,
  seed: number,
  ranges?: KernelRanges,
) {
  const spec = specOf(sh, D, dtype);
  const d = makeData(D, nI, nJ, seed, dtype, [-1, 1]);
  const outs = outputsOf(spec, nI);
  kern.run({ inputs: inputsOf(spec, d, D), nI, nJ, ...outs, ranges });
  expect(kern.lastEngine).toBe('native');
  expectRows(sh, D, dtype, d, nI, nJ, outs, spec.outDim, ranges);
}

const DIMS = [50, 100, 784, 1000];
const SIZES: [number, number][] = [
  [1, 1],
  [1, 7],
  [7, 9],
  [9, 33],
  [33, 7],
  [37, 301],
];

describe('native GEMM path: values against dense float64 loops', () => {
  const combos = DIMS.flatMap((D) =>
    SHAPES.flatMap((sh) =>
      (['float32', 'float64'] as const)
        .filter((dt) => dt === 'float32' || D === 100)
        .map((dtype) => ({ sh, D, dtype })),
    ),
  );
  let kernels: NativeKernel[] = [];
  beforeAll(() => {
    useSharedCache();
    expect(nativeBackend.status().available, nativeBackend.status().reason).toBe(true);
    kernels = precompileNative(combos.map((c) => specOf(c.sh, c.D, c.dtype)));
    for (const k of kernels) expect(k.waitReady()).toBe('ready');
  }, 600_000);

  combos.forEach(({ sh, D, dtype }, n) => {
    it(`${sh.name}, D=${D}, ${dtype}: tile edges, dense and block-sparse`, () => {
      SIZES.forEach(([nI, nJ], q) => check(sh, D, dtype, kernels[n]!, nI, nJ, 100 * n + q));
      check(sh, D, dtype, kernels[n]!, 45, 290, 100 * n + 50, randomRanges(45, 290, 7 + n));
    });
  });
});
