/** KeOps conventions at special points, evaluated through the JS backend (one j, one row per value). */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/index.js';
import type { Node } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/index.js';
import { sumJ } from './helpers.js';

const x = Var(0, 1, 'i');
/** F at each scalar value (rows of x), with a dummy j of size 1. */
const at = (F: Node, xs: number[]) => Array.from(sumJ(F, { i0: new Float64Array(xs) }, xs.length, 1));

describe('special values', () => {
  it('0 conventions: XLogX(0) = 0, Rsqrt(0) = 0, SinXDivX(0) = 1, Sign(0) = 0, Step(0) = 1, Pow(0, 0) = 1', () => {
    expect(at(op('XLogX', [x]), [0, 1, Math.E])).toEqual([0, 0, Math.E]);
    expect(at(op('Rsqrt', [x]), [0, 4])).toEqual([0, 0.5]);
    expect(at(op('SinXDivX', [x]), [0])).toEqual([1]);
    expect(at(op('Sign', [x]), [-2, 0, 3])).toEqual([-1, 0, 1]);
    expect(at(op('Step', [x]), [-2, 0, 3])).toEqual([0, 1, 1]);
    expect(at(op('ReLU', [x]), [-2, 0, 3])).toEqual([0, 0, 3]);
    expect(at(op('Pow', [op('Mult', [x, x])], [3]), [0, 2])).toEqual([0, 64]);
    expect(at(op('Powf', [x, op('Mult', [x, x])]), [0, 2])).toEqual([1, 16]);
  });

  it('integer powers: repeated squaring, negative and large exponents', () => {
    const xs = [0.5, 1.25, -1.1];
    for (const n of [3, 5, 7, 8, 13, 64, 65, 100, -1, -3, -65]) {
      const got = at(op('Pow', [x], [n]), xs);
      got.forEach((v, k) => {
        expect(Math.abs(v - xs[k]! ** n) / Math.abs(xs[k]! ** n)).toBeLessThan(1e-14);
      });
    }
  });

  it('Round rounds half away from zero (C round), with decimals', () => {
    expect(at(op('Round', [x], [0]), [-2.5, -0.5, 0.5, 2.5, 1.4999, -1.4999])).toEqual([-3, -1, 1, 3, 1, -1]);
    expect(at(op('Round', [x], [1]), [0.25, -0.25, 1.04])).toEqual([0.3, -0.3, 1]);
    expect(at(op('Round', [x], [-2]), [1250, -1249])).toEqual([1300, -1200]);
  });

  it('Mod, Floor, ClampInt and comparisons', () => {
    const y = Var(1, 1, 'p');
    const F = op('Mod', [x, op('Add', [y, y]), y]); // n = 2y, offset d = y
    const got = Array.from(
      sumJ(F, { i0: new Float64Array([-3, 0.5, 4.25]), p1: new Float64Array([0.5]) }, 3, 1),
    );
    // x - 1 * floor((x - 0.5) / 1)
    expect(got).toEqual([-3 - Math.floor(-3.5), 0.5 - Math.floor(0), 4.25 - Math.floor(3.75)]);
    expect(at(op('ClampInt', [x], [-1, 2]), [-5, 0.5, 7])).toEqual([-1, 0.5, 2]);
    expect(at(op('Floor', [x]), [-0.5, 2.5])).toEqual([-1, 2]);
  });

  it('ArgMax/ArgMin ties go to the lowest index; OneHot out of range is all zeros', () => {
    const v = Var(0, 4, 'i');
    const rows = new Float64Array([1, 3, 3, 0, 2, 2, 2, 2, -1, -5, -5, 7]);
    expect(Array.from(sumJ(op('ArgMax', [v]), { i0: rows }, 3, 1))).toEqual([1, 0, 3]);
    expect(Array.from(sumJ(op('ArgMin', [v]), { i0: rows }, 3, 1))).toEqual([3, 0, 1]);
    expect(Array.from(sumJ(op('Max', [v]), { i0: rows }, 3, 1))).toEqual([3, 2, 7]);
    expect(at(op('OneHot', [x], [3]), [-1, 0.4, 1.6, 2.49, 3])).toEqual([
      0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0,
    ]);
  });

  it('gradients at 0 follow KeOps: Sqrt, Norm2 and Normalize give 0, SinXDivX gives 0', () => {
    const v = Var(0, 2, 'i');
    const e1 = Var(5, 1, 'i');
    const e2 = Var(6, 2, 'i');
    const data = { i0: new Float64Array([0, 0]), i5: new Float64Array([1]), i6: new Float64Array([1, 1]) };
    expect(Array.from(sumJ(grad(op('Norm2', [v]), v, e1), data, 1, 1))).toEqual([0, 0]);
    expect(Array.from(sumJ(grad(op('Normalize', [v]), v, e2), data, 1, 1))).toEqual([0, 0]);
    expect(Array.from(sumJ(op('Normalize', [v]), data, 1, 1))).toEqual([0, 0]);
    const d1 = { i0: new Float64Array([0]), i5: new Float64Array([1]) };
    expect(Array.from(sumJ(grad(op('Sqrt', [x]), x, e1), d1, 1, 1))).toEqual([0]);
    expect(Array.from(sumJ(grad(op('SinXDivX', [x]), x, e1), d1, 1, 1))).toEqual([0]);
  });
});
