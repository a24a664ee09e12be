/**
 * powf with a number exponent: integers and half-integers up to |t| = 8 are compiled in (Pow or
 * PowHalf: multiplications and one sqrt, no exp/log), other numbers stay run-time parameters. The
 * values and the gradient of a gravity-like sum sum_j b_j (|x_i - y_j|^2 + 0.01)^t agree with a
 * dense float64 reference on every backend.
 */
import { describe, expect, it } from 'vitest';
import { generateKernel } from '../../src/backends/native/codegen.js';
import { topoOrder, varCat } from '../../src/formula/node.js';
import { Vi, Vj } from '../../src/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { expectClose } from '../helpers/check.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 6;
const M = 11;
const D = 3;
const r = rng(31);
const X = uniform(r, N * D, -1, 1);
const Y = uniform(r, M * D, -1, 1);
const B = uniform(r, M, 0.5, 2);

const r2 = () =>
  Vi({ data: X, shape: [N, D] })
    .sqdist(Vj({ data: Y, shape: [M, D] }))
    .add(0.01);

/** sum_j b_j s_ij^t and its gradient in x_i: sum_j b_j t s_ij^(t-1) 2 (x_i - y_j), in float64. */
function reference(t: number): { value: Float64Array; grad: Float64Array } {
  const value = new Float64Array(N);
  const grad = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      let s = 0.01;
      for (let k = 0; k < D; k++) s += (X[i * D + k]! - Y[j * D + k]!) ** 2;
      value[i]! += B[j]! * s ** t;
      for (let k = 0; k < D; k++)
        grad[i * D + k]! += B[j]! * t * s ** (t - 1) * 2 * (X[i * D + k]! - Y[j * D + k]!);
    }
  }
  return { value, grad };
}

describe('powf(number)', () => {
  it('compiles integer and half-integer exponents in: PowHalf / Pow nodes, no parameter, no pow call', () => {
    const f = r2().powf(-1.5).formula;
    const ops = topoOrder(f).map((n) => n.op);
    expect(ops).toContain('PowHalf');
    expect(ops).not.toContain('Powf');
    expect(f.op).toBe('PowHalf');
    expect(f.params).toEqual([-3]);
    expect(topoOrder(f).filter((n) => n.op === 'Var' && varCat(n) === 'p')).toHaveLength(1); // the 0.01
    const { spec } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' });
    const code = generateKernel(spec, 'k');
    expect(code).not.toMatch(/pow/);
    expect(code).toContain('__builtin_sqrtf(');
    expect(r2().powf(3).formula.op).toBe('Pow');
    expect(r2().powf(0.5).formula.op).toBe('PowHalf');
    expect(r2().powf(-8).formula.params).toEqual([-8]);
  });

  it('keeps other numbers as run-time parameters (one kernel for every value)', () => {
    for (const t of [0.3, -1.25, 8.5, 9, 1e6]) {
      const f = r2().powf(t).formula;
      expect(f.op, String(t)).toBe('Powf');
      expect(f.args[1]!.op).toBe('Var');
    }
  });

  for (const backend of backendsUnderTest()) {
    for (const t of [-1.5, 0.5, 2.5, -3, -0.5, 0.3]) {
      it(`values and gradient of sum_j b_j r2^${t} on ${backend}`, () => {
        const x = Vi({ data: X, shape: [N, D] });
        const red = x
          .sqdist(Vj({ data: Y, shape: [M, D] }))
          .add(0.01)
          .powf(t)
          .mul(Vj({ data: B, shape: [M, 1] }))
          .reduction('Sum', 'j', { backend });
        const want = reference(t);
        expectClose(red.eval().data, want.value, 1e-11, 1e-12, 'value');
        const e = { data: new Float64Array(N).fill(1), shape: [N, 1] };
        expectClose(red.grad(x, e).eval().data, want.grad, 1e-10, 1e-12, 'grad');
      });
    }
  }
});
