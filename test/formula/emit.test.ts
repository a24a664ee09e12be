/**
 * Every op emits target-neutral code: math only through `ctx.d.call`, numbers only through
 * `ctx.d.lit`, booleans through `ctx.d.bool`, selections through `ctx.d.select` (checked with a
 * marking dialect), and every op has a gradient rule.
 */
import { describe, expect, it } from 'vitest';
import { hasVjp } from '../../src/autodiff/index.js';
import { CodeBuffer } from '../../src/backends/common/codebuffer.js';
import { emitFormula } from '../../src/backends/common/formula.js';
import type { Dialect } from '../../src/formula/dialect.js';
import { type Node, topoOrder } from '../../src/formula/node.js';
import { op, opDef, opNames } from '../../src/formula/opRegistry.js';
import { encodeKron, encodeTensorDot, IntCst, Var } from '../../src/formula/ops/index.js';

const marking: Dialect = {
  dtype: 'float32',
  lit: (v) => `L(${v})`,
  call: (fn, args) => `CALL_${fn}(${args.join(', ')})`,
  declVal: (n, init) => `VAL ${n} = ${init};`,
  declAcc: (n, init) => `ACC ${n} = ${init};`,
  declInt: (n, init) => `INT ${n} = ${init};`,
  bool: (c) => `B(${c})`,
  select: (c, a, b) => `SEL(${c}, ${a}, ${b})`,
};

const x = Var(0, 3, 'i');
const y = Var(1, 3, 'j');
const s = Var(2, 1, 'p');
const A = Var(3, 6, 'j');
const u = op('Elem', [x], [0]);

/** One node per op (arguments chosen so that no simplification removes it). */
const SAMPLES: Node[] = [
  ...[
    'Add',
    'Subtract',
    'Mult',
    'Divide',
    'Atan2',
    'Powf',
    ...['LessThan', 'LessOrEqual', 'GreaterThan'],
  ].map((n) => op(n, [x, y])),
  ...['GreaterOrEqual', 'Equal', 'NotEqual'].map((n) => op(n, [x, y])),
  ...['Clamp', 'Mod', 'IfElse'].map((n) => op(n, [x, y, s])),
  ...[
    'Minus',
    'Exp',
    'Log',
    'XLogX',
    'Square',
    'Inv',
    'Sqrt',
    'Rsqrt',
    'Sin',
    'Cos',
    'SinXDivX',
    'SinXDivXDiff',
    'Asin',
    'Acos',
    'Atan',
    'Abs',
    'Sign',
    'Step',
    'ReLU',
    'Floor',
    'Sum',
    'Max',
    'Min',
    'ArgMax',
    'ArgMin',
    'SqNorm2',
    'Norm2',
    'Normalize',
  ].map((n) => op(n, [x])),
  op('Pow', [x], [5]),
  op('Pow', [x], [-3]),
  op('Pow', [x], [100]),
  op('PowHalf', [x], [-3]),
  op('PowHalf', [x], [1]),
  op('PowHalf', [x], [201]),
  op('Round', [x], [2]),
  op('Round', [x], [-1]),
  op('Round', [x], [0]),
  op('ClampInt', [x], [-1, 2]),
  op('SumT', [u], [4]),
  op('ElemT', [u], [4, 1]),
  op('Extract', [x], [1, 2]),
  op('ExtractT', [x], [1, 5]),
  op('Concat', [x, y]),
  op('OneHot', [u], [4]),
  op('SqDist', [x, y]),
  op('Scalprod', [x, y]),
  op('WeightedSqNorm', [s, x]),
  op('WeightedSqNorm', [y, x]),
  op('WeightedSqDist', [Var(4, 9, 'p'), x, y]),
  op('MatVecMult', [A, op('Extract', [x], [0, 2])]),
  op('VecMatMult', [op('Extract', [x], [0, 2]), A]),
  op('TensorProd', [x, y]),
  op(
    'TensorDot',
    [A, A],
    encodeTensorDot({ dimsA: [2, 3], dimsB: [3, 2], contA: [1], contB: [0], permute: [1, 0] }),
  ),
  op('Kron', [A, A], encodeKron([2, 3], [3, 2])),
  IntCst(7),
];

describe('target-neutral emission', () => {
  it('covers every registered op', () => {
    const covered = new Set(topoOrder(SAMPLES).map((n) => n.op));
    // Macro ops (complex numbers) expand into other ops and never appear in a formula.
    const missing = opNames().filter((n) => !covered.has(n) && n !== 'Zero' && !opDef(n).macro);
    expect(missing).toEqual([]);
  });

  it('emits math only through the dialect and numbers only as literals', () => {
    for (const n of SAMPLES) {
      const buf = new CodeBuffer(marking);
      const out = emitFormula(buf, n, (slot, k) => `in${slot}_${k}`);
      const text = `${buf.toString()}\n${out.join('\n')}`;
      expect(text, n.op).not.toMatch(/Math\./);
      // Selections go through select(): no C conditional operator in expressions.
      expect(text, n.op).not.toMatch(/\?/);
      // Remove literals and identifiers: no digit may remain (every number went through lit()).
      const stripped = text.replace(/L\([^)]*\)/g, '').replace(/[A-Za-z_][A-Za-z0-9_]*/g, '');
      expect(stripped, `${n.op}: ${text}`).not.toMatch(/[0-9]/);
    }
  });

  it('has a gradient rule for every op', () => {
    expect(opNames().filter((n) => !hasVjp(n) && !opDef(n).macro)).toEqual([]);
  });
});
