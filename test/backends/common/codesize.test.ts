import { describe, expect, it } from 'vitest';
import { generateCuda } from '../../../src/backends/cuda/codegen.js';
import { generateJs } from '../../../src/backends/js/codegen.js';
import { generateKernel, generateUnit } from '../../../src/backends/native/codegen.js';
import { generateWasm } from '../../../src/backends/wasm/codegen.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';

/**
 * Generated source stays bounded as the dimension grows: vector sums over large dimensions are
 * loops, not unrolled statements (native, JS, CUDA and wasm). Sizes are measured in characters; no clock.
 */

const BOUND = 50_000;

interface Shape {
  name: string;
  formula: (D: number) => Node;
  kind: ReductionKind;
  k?: number;
}

const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');
const shapes: Shape[] = [
  { name: 'K-NN: ArgKMin of SqDist', formula: (D) => op('SqDist', [x(D), y(D)]), kind: 'ArgKMin', k: 10 },
  {
    name: 'Gaussian sum exp(-|x-y|^2) b',
    formula: (D) => op('Mult', [op('Exp', [op('Minus', [op('SqDist', [x(D), y(D)])])]), Var(2, 1, 'j')]),
    kind: 'Sum',
  },
  {
    name: 'conformance case 15: min of sum exp(-(x+y)^2)',
    formula: (D) => op('Sum', [op('Exp', [op('Minus', [op('Square', [op('Add', [x(D), y(D)])])])])]),
    kind: 'Min_ArgMin',
  },
  {
    name: 'log-sum-exp of a scalar product',
    formula: (D) => op('Scalprod', [x(D), y(D)]),
    kind: 'LogSumExp',
  },
  {
    name: 'diagonal weighted distance, weights a parameter',
    formula: (D) => op('WeightedSqDist', [Var(2, D, 'p'), x(D), y(D)]),
    kind: 'Sum',
  },
];

/** Size of the generated code: characters of source, bytes of a wasm module. */
const generators: [string, (s: KernelSpec) => number][] = [
  ['native', (s) => generateKernel(s, 'k').length],
  // What g++ compiles: the prelude (vector math, GEMM tiles) and the kernel.
  ['native unit', (s) => generateUnit([s]).source.length],
  ['js', (s) => generateJs(s).length],
  ['cuda', (s) => generateCuda(s).sources.main.length],
  ['wasm', (s) => generateWasm(s).bytes.length],
];

function specOf(sh: Shape, D: number, dtype: 'float32' | 'float64'): KernelSpec {
  return buildSpec({ formula: sh.formula(D), kind: sh.kind, k: sh.k, axis: 'j', dtype }).spec;
}

describe('generated source size is bounded independently of D', () => {
  for (const [backend, gen] of generators) {
    for (const sh of shapes) {
      it(`${backend}: ${sh.name}`, () => {
        for (const dtype of ['float32', 'float64'] as const) {
          const base = gen(specOf(sh, 1000, dtype));
          expect(base, `D = 1000, ${dtype}`).toBeLessThanOrEqual(BOUND);
          for (const D of [1024, 4096]) {
            const n = gen(specOf(sh, D, dtype));
            // Only the digits of D change: no per-component code.
            expect(Math.abs(n - base), `D = ${D} vs D = 1000, ${dtype}`).toBeLessThan(100);
          }
        }
      });
    }
  }
});
