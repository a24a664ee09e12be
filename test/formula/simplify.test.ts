/** Smart-constructor simplifications (structural equality is `===` thanks to hash-consing) and dim errors. */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/index.js';
import { LazyTensorError } from '../../src/errors.js';
import { intValue, isZero } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { encodeKron, encodeTensorDot, IntCst, Var, Zero } from '../../src/formula/ops/index.js';

const x = Var(0, 3, 'i');
const y = Var(1, 3, 'j');
const s = Var(2, 1, 'j');

describe('simplifications', () => {
  it('absorbs zeros and ones, folds integers, canonicalises integer factors', () => {
    expect(op('Add', [x, Zero(3)])).toBe(x);
    expect(op('Mult', [x, Zero(1)])).toBe(Zero(3));
    expect(op('Mult', [IntCst(2), IntCst(3)])).toBe(IntCst(6));
    expect(op('Mult', [x, IntCst(1)])).toBe(x);
    expect(op('Mult', [x, IntCst(2)])).toBe(op('Mult', [IntCst(2), x]));
    expect(op('Mult', [IntCst(2), op('Mult', [IntCst(3), x])])).toBe(op('Mult', [IntCst(6), x]));
    expect(op('Mult', [IntCst(-1), x])).toBe(op('Minus', [x]));
    expect(op('Minus', [op('Minus', [x])])).toBe(x);
    expect(op('Subtract', [x, x])).toBe(Zero(3));
    expect(op('Add', [x, op('Minus', [y])])).toBe(op('Subtract', [x, y]));
    expect(op('Divide', [IntCst(6), IntCst(3)])).toBe(IntCst(2));
    expect(op('Divide', [IntCst(1), IntCst(3)]).op).toBe('Divide');
    expect(op('Divide', [x, IntCst(-1)])).toBe(op('Minus', [x]));
  });

  it('simplifies unary ops on constants and zeros', () => {
    expect(op('Square', [IntCst(-3)])).toBe(IntCst(9));
    expect(op('Exp', [Zero(1)])).toBe(IntCst(1));
    expect(op('Exp', [Zero(3)])).toBe(op('SumT', [IntCst(1)], [3]));
    expect(op('Log', [IntCst(1)])).toBe(Zero(1));
    expect(op('Sin', [Zero(3)])).toBe(Zero(3));
    expect(op('Cos', [Zero(2)])).toBe(op('SumT', [IntCst(1)], [2]));
    expect(op('SinXDivX', [Zero(1)])).toBe(IntCst(1));
    expect(op('Abs', [IntCst(-4)])).toBe(IntCst(4));
    expect(op('Abs', [op('Minus', [x])])).toBe(op('Abs', [x]));
    expect(op('Sign', [IntCst(-4)])).toBe(IntCst(-1));
    expect(op('Step', [IntCst(-4)])).toBe(IntCst(0));
    expect(op('ReLU', [IntCst(5)])).toBe(IntCst(5));
    expect(op('Rsqrt', [Zero(3)])).toBe(Zero(3));
    expect(op('XLogX', [Zero(3)])).toBe(Zero(3));
    expect(op('Round', [IntCst(7)], [2])).toBe(IntCst(7));
    expect(op('ClampInt', [IntCst(7)], [-1, 2])).toBe(IntCst(2));
    expect(op('Clamp', [x, IntCst(-1), IntCst(1)])).toBe(op('ClampInt', [x], [-1, 1]));
    expect(op('LessThan', [IntCst(1), IntCst(2)])).toBe(IntCst(1));
    expect(op('Equal', [IntCst(1), IntCst(2)])).toBe(IntCst(0));
    expect(op('IfElse', [IntCst(-1), x, y])).toBe(y);
    expect(op('IfElse', [IntCst(0), s, y])).toBe(op('SumT', [s], [3]));
  });

  it('simplifies integer powers', () => {
    expect(op('Pow', [x], [1])).toBe(x);
    expect(op('Pow', [x], [2])).toBe(op('Square', [x]));
    expect(op('Pow', [x], [-1])).toBe(op('Inv', [x]));
    expect(op('Pow', [x], [0])).toBe(op('SumT', [IntCst(1)], [3]));
    expect(op('Pow', [IntCst(2)], [10])).toBe(IntCst(1024));
    expect(op('Pow', [Zero(3)], [5])).toBe(Zero(3));
    expect(op('Powf', [x, IntCst(3)])).toBe(op('Pow', [x], [3]));
    // Half-integer constants (k / 2, also negated or over -2) become PowHalf(x; k); even k gives Pow.
    const half = (k: number, d = 2) => op('Divide', [IntCst(k), IntCst(d)]);
    expect(op('Powf', [x, half(-3)])).toBe(op('PowHalf', [x], [-3]));
    expect(op('Powf', [x, op('Minus', [half(5)])])).toBe(op('PowHalf', [x], [-5]));
    expect(op('Powf', [x, half(7, -2)])).toBe(op('PowHalf', [x], [-7]));
    expect(op('PowHalf', [x], [6])).toBe(op('Pow', [x], [3]));
    expect(op('Powf', [x, half(1, 3)]).op).toBe('Powf');
  });

  it('simplifies vector and slicing ops', () => {
    expect(op('Sum', [s])).toBe(s);
    expect(op('Sum', [op('SumT', [s], [4])])).toBe(op('Mult', [IntCst(4), s]));
    expect(op('Sum', [Zero(3)])).toBe(Zero(1));
    const c = op('Concat', [x, s]);
    expect(op('Elem', [c], [3])).toBe(s);
    expect(op('Elem', [c], [1])).toBe(op('Elem', [x], [1]));
    expect(op('Extract', [c], [0, 3])).toBe(x);
    expect(op('Extract', [x], [0, 3])).toBe(x);
    expect(op('Extract', [x], [2, 1])).toBe(op('Elem', [x], [2]));
    expect(op('Elem', [op('ElemT', [s], [4, 2])], [2])).toBe(s);
    expect(op('Elem', [op('ElemT', [s], [4, 2])], [1])).toBe(Zero(1));
    expect(op('ExtractT', [x], [0, 3])).toBe(x);
    expect(op('Extract', [op('ExtractT', [x], [2, 7])], [2, 3])).toBe(x);
    expect(op('SumT', [s], [1])).toBe(s);
    expect(op('Max', [s])).toBe(s);
    expect(op('ArgMax', [s])).toBe(Zero(1));
    expect(op('SqDist', [x, x])).toBe(Zero(1));
    expect(op('Scalprod', [x, x])).toBe(op('SqNorm2', [x]));
    expect(op('Scalprod', [s, s])).toBe(op('Mult', [s, s]));
    expect(op('Norm2', [s])).toBe(op('Abs', [s]));
    expect(op('TensorProd', [x, s])).toBe(op('Mult', [x, s]));
    expect(op('MatVecMult', [x, s])).toBe(op('Mult', [x, s]));
    expect(op('MatVecMult', [x, y])).toBe(op('Scalprod', [x, y]));
  });

  it('canonicalises TensorDot and Kron', () => {
    const a = Var(0, 6, 'i');
    const b = Var(1, 6, 'j');
    const explicit = encodeTensorDot({
      dimsA: [2, 3],
      dimsB: [3, 2],
      contA: [1],
      contB: [0],
      permute: [0, 1],
    });
    const implicit = encodeTensorDot({ dimsA: [2, 3], dimsB: [3, 2], contA: [1], contB: [0], permute: [] });
    expect(implicit).toEqual([2, 2, 3, 2, 3, 2, 1, 1, 0, 0]);
    // A hand-written identity permutation gives the same node as the canonical empty one.
    const withPerm = [2, 2, 3, 2, 3, 2, 1, 1, 0, 2, 0, 1];
    expect(op('TensorDot', [a, b], withPerm)).toBe(op('TensorDot', [a, b], implicit));
    expect(op('TensorDot', [a, b], explicit)).toBe(op('TensorDot', [a, b], implicit));
    const outer = encodeTensorDot({ dimsA: [2, 3], dimsB: [3, 2], contA: [], contB: [], permute: [] });
    expect(op('TensorDot', [a, b], outer)).toBe(op('TensorProd', [a, b]));
    const full = encodeTensorDot({ dimsA: [2, 3], dimsB: [2, 3], contA: [0, 1], contB: [0, 1], permute: [] });
    expect(op('TensorDot', [a, b], full)).toBe(op('Scalprod', [a, b]));
    expect(op('Kron', [a, b], encodeKron([6], [6]))).toBe(op('TensorProd', [a, b]));
    expect(op('Kron', [Zero(6), b], encodeKron([2, 3], [3, 2]))).toBe(Zero(36));
  });

  it('gives Zero gradients for formulas that do not depend on the variable', () => {
    const e = Var(5, 1, 'i');
    expect(grad(op('SqNorm2', [y]), x, e)).toBe(Zero(3));
    expect(grad(op('Sign', [x]), x, Var(6, 3, 'i'))).toBe(Zero(3));
    // Grad(Grad(x + y, x, e1), x, e2) = 0 (conformance case 6)
    const g1 = grad(op('Add', [x, y]), x, Var(2, 3, 'i'));
    expect(g1).toBe(Var(2, 3, 'i'));
    expect(grad(g1, x, Var(3, 3, 'i'))).toBe(Zero(3));
    expect(intValue(IntCst(4))).toBe(4);
    expect(isZero(grad(op('Floor', [x]), x, Var(6, 3, 'i')))).toBe(true);
  });
});

describe('dimension and parameter errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'Add 2 vs 3',
      () => op('Add', [Var(0, 2, 'i'), y]),
      /Add: operand dimensions must match or be 1, got 2 and 3/,
    ],
    [
      'Clamp 2 vs 3',
      () => op('Clamp', [Var(0, 2, 'i'), y, s]),
      /Clamp: operand dimensions must match or be 1, got 2 and 3 and 1/,
    ],
    ['Elem range', () => op('Elem', [x], [3]), /Elem: index 3 out of range for a vector of dimension 3/],
    [
      'Extract range',
      () => op('Extract', [x], [2, 2]),
      /Extract: components \[2, 4\) out of range for a vector of dimension 3/,
    ],
    [
      'ExtractT fit',
      () => op('ExtractT', [x], [2, 4]),
      /ExtractT: a vector of dimension 3 at offset 2 does not fit in dimension 4/,
    ],
    [
      'SumT scalar',
      () => op('SumT', [x], [4]),
      /SumT: the argument must be a scalar \(dimension 1\), got dimension 3/,
    ],
    [
      'ElemT range',
      () => op('ElemT', [s], [3, 3]),
      /ElemT: index 3 out of range for an output of dimension 3/,
    ],
    ['OneHot scalar', () => op('OneHot', [x], [4]), /OneHot: the argument must be a scalar/],
    [
      'Scalprod dims',
      () => op('Scalprod', [x, Var(3, 2, 'j')]),
      /Scalprod: dimensions must match, got 3 and 2/,
    ],
    ['SqDist dims', () => op('SqDist', [x, Var(3, 2, 'j')]), /SqDist: dimensions must match, got 3 and 2/],
    [
      'MatVecMult dims',
      () => op('MatVecMult', [Var(3, 7, 'j'), x]),
      /MatVecMult: the matrix dimension \(7\) must be a multiple of the vector dimension \(3\)/,
    ],
    [
      'VecMatMult dims',
      () => op('VecMatMult', [x, Var(3, 7, 'j')]),
      /VecMatMult: the matrix dimension \(7\)/,
    ],
    [
      'WeightedSqNorm dims',
      () => op('WeightedSqNorm', [Var(3, 4, 'j'), x]),
      /WeightedSqNorm: the weight must have dimension 1, D or D\*D .* D = 3 \(1, 3 or 9\), got 4/,
    ],
    [
      'WeightedSqDist dims',
      () => op('WeightedSqDist', [Var(3, 2, 'j'), x, y]),
      /WeightedSqDist: the weight must have dimension/,
    ],
    [
      'ClampInt bounds',
      () => op('ClampInt', [x], [2, 1]),
      /ClampInt: the lower bound must not exceed the upper bound, got \[2, 1\]/,
    ],
    ['Pow param', () => op('Pow', [x], [1.5]), /Pow: integer parameter expected, got 1.5/],
    ['Pow arity', () => op('Pow', [x], []), /Pow expects 1 integer parameter\(s\), got 0/],
    ['Atan2 arity', () => op('Atan2', [x]), /Atan2 expects 2 argument\(s\), got 1/],
    ['unknown op', () => op('Frobnicate', [x]), /unknown operation 'Frobnicate'/],
    [
      'TensorDot size',
      () =>
        op(
          'TensorDot',
          [x, y],
          encodeTensorDot({ dimsA: [2, 2], dimsB: [3], contA: [], contB: [], permute: [] }),
        ),
      /TensorDot: a has dimension 3, its shape \[2,2\] needs 4/,
    ],
    [
      'TensorDot contraction',
      () =>
        op(
          'TensorDot',
          [Var(0, 6, 'i'), y],
          encodeTensorDot({ dimsA: [2, 3], dimsB: [3], contA: [0], contB: [0], permute: [] }),
        ),
      /TensorDot: contracted axis 0 of a \(size 2\) and axis 0 of b \(size 3\) differ/,
    ],
    [
      'TensorDot permutation',
      () =>
        op(
          'TensorDot',
          [Var(0, 6, 'i'), y],
          encodeTensorDot({ dimsA: [2, 3], dimsB: [3], contA: [1], contB: [0], permute: [1, 1] }),
        ),
      /TensorDot: permute must be a permutation of 1 axes, got \[1,1\]/,
    ],
    ['TensorDot malformed', () => op('TensorDot', [x, y], [1, 3, 1]), /TensorDot: malformed parameters/],
    [
      'Kron axes',
      () => op('Kron', [Var(0, 6, 'i'), y], encodeKron([2, 3], [3])),
      /Kron: both operands need the same number of axes, got \[2,3\] and \[3\]/,
    ],
    [
      'Kron size',
      () => op('Kron', [x, y], encodeKron([2, 2], [3, 1])),
      /Kron: a has dimension 3, its shape \[2,2\] needs 4/,
    ],
    [
      'grad var',
      () => grad(x, op('Exp', [x]), Var(5, 3, 'i')),
      /grad: the variable must be a Var node, got operation 'Exp'/,
    ],
    [
      'grad cotangent',
      () => grad(x, x, Var(5, 2, 'i')),
      /grad: the cotangent must have the dimension of the formula \(3\), got 2/,
    ],
  ];
  for (const [name, f, msg] of cases) {
    it(name, () => {
      expect(f).toThrow(LazyTensorError);
      expect(f).toThrow(msg);
    });
  }
});
