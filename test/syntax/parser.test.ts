import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { IntCst, type Node, op, opNames, Var, Zero } from '../../src/formula/index.js';
import { parseFormula, parseProgram, printFormula, tokenize } from '../../src/syntax/index.js';
import { keopsNames, signatureOf } from '../../src/syntax/signatures.js';

const AL = ['x = Vi(3)', 'y = Vj(3)', 's = Vi(1)', 't = Vj(1)', 'A = Vj(9)', 'p = Pm(1)'];
const x = Var(0, 3, 'i');
const y = Var(1, 3, 'j');
const s = Var(2, 1, 'i');
const t = Var(3, 1, 'j');
const p = Var(5, 1, 'p');

const P = (f: string, aliases = AL) => parseFormula(f, aliases).node;
const add = (a: Node, b: Node) => op('Add', [a, b]);
const sub = (a: Node, b: Node) => op('Subtract', [a, b]);
const mul = (a: Node, b: Node) => op('Mult', [a, b]);
const div = (a: Node, b: Node) => op('Divide', [a, b]);
const neg = (a: Node) => op('Minus', [a]);

describe('tokenizer', () => {
  it('splits identifiers, numbers, operators and delimiters with positions', () => {
    const toks = tokenize('Exp(-x_1 ** 2.5e-3)|[.5, 2.]');
    expect(toks.map((k) => `${k.kind}:${k.text}@${k.pos}`)).toEqual([
      'ident:Exp@0',
      'punct:(@3',
      'punct:-@4',
      'ident:x_1@5',
      'punct:**@9',
      'number:2.5e-3@12',
      'punct:)@18',
      'punct:|@19',
      'punct:[@20',
      'number:.5@21',
      'punct:,@23',
      'number:2.@25',
      'punct:]@27',
      'end:@28',
    ]);
  });
  it('accepts newlines and tabs as spaces', () => {
    expect(P('x\n+\ty')).toBe(add(x, y));
  });
});

describe('precedence and associativity', () => {
  const cases: [string, Node][] = [
    ['x + y*x', add(x, mul(y, x))],
    ['x*y + x', add(mul(x, y), x)],
    ['x - y - x', sub(sub(x, y), x)],
    ['x - (y - x)', sub(x, sub(y, x))],
    ['x / y / x', div(div(x, y), x)],
    ['x / y * x', mul(div(x, y), x)],
    ['-x*y', mul(neg(x), y)],
    ['-(x*y)', neg(mul(x, y))],
    ['x*-y', mul(x, neg(y))],
    ['x - -y', sub(x, neg(y))],
    ['+x', x],
    ['x|y + x', op('Scalprod', [x, add(y, x)])],
    ['x + y | x*y', op('Scalprod', [add(x, y), mul(x, y)])],
    ['(x|y) + s', add(op('Scalprod', [x, y]), s)],
    ['x|y|s', op('Scalprod', [op('Scalprod', [x, y]), s])],
    ['x^2', op('Pow', [x], [2])],
    ['x**3', op('Pow', [x], [3])],
    ['-x^2', neg(op('Pow', [x], [2]))],
    ['x^-1', op('Pow', [x], [-1])],
    ['2*x^2', mul(IntCst(2), op('Pow', [x], [2]))],
    ['x^y', op('Powf', [x, y])],
    ['((x))', x],
    ['s*t - t', sub(mul(s, t), t)],
    ['2*x', mul(IntCst(2), x)],
    ['-2*x', mul(IntCst(-2), x)],
    ['x/2', div(x, IntCst(2))],
  ];
  for (const [f, want] of cases) {
    it(f, () => {
      expect(P(f)).toBe(want);
    });
  }
  it('^ is right-associative', () => {
    // s^2^3 = s^(2^3): the exponent 2^3 is not an integer literal, so the outer power is Powf.
    expect(P('s^2^3')).toBe(op('Powf', [s, op('Pow', [IntCst(2)], [3])]));
  });
});

describe('literals', () => {
  it('float literals become hidden parameters with their values', () => {
    const r = parseFormula('Exp(-0.5*SqDist(x,y)) + 1e-3', AL);
    expect(r.literals.map((l) => l.value)).toEqual([-0.5, 0.001]);
    expect(r.nArgs).toBe(6);
    expect(r.literals.map((l) => l.node)).toEqual([Var(6, 1, 'p'), Var(7, 1, 'p')]);
    expect(r.node).toBe(add(op('Exp', [mul(Var(6, 1, 'p'), op('SqDist', [x, y]))]), Var(7, 1, 'p')));
  });
  it('changing a literal value never changes the IR', () => {
    expect(P('Exp(-0.5*x)')).toBe(P('Exp(-0.75*x)'));
    expect(P('x*0.5 + y*0.5')).toBe(P('x*0.5 + y*2.5'));
  });
  it('Powf exponents that are integers or half-integers with |t| <= 8 are compiled in, not parameters', () => {
    const a = parseFormula('Powf(SqDist(x,y), -1.5) + x ^ 2.5 + 0.25', AL);
    expect(a.literals.map((l) => l.value)).toEqual([0.25]);
    expect(a.literals[0]!.node).toBe(Var(6, 1, 'p'));
    const r2 = op('SqDist', [x, y]);
    expect(a.node).toBe(add(add(op('PowHalf', [r2], [-3]), op('PowHalf', [x], [5])), Var(6, 1, 'p')));
    expect(P('Powf(x, 3.0)')).toBe(op('Pow', [x], [3]));
    const b = parseFormula('Powf(x, 0.3) + x ^ 8.5', AL);
    expect(b.literals.map((l) => l.value)).toEqual([0.3, 8.5]);
    expect(b.node).toBe(add(op('Powf', [x, Var(6, 1, 'p')]), op('Powf', [x, Var(7, 1, 'p')])));
  });
  it('hidden indices come after every user index, inline ones included', () => {
    const r = parseFormula('0.5*Var(7,1,1) + 1.5', ['a = Vi(1)']);
    expect(r.nArgs).toBe(8);
    expect(r.literals.map((l) => varIdx(l.node))).toEqual([8, 9]);
  });
  it('integers become compile-time constants; huge integers are parameters', () => {
    expect(P('x + 3')).toBe(add(x, IntCst(3)));
    const r = parseFormula('x + 99999999999', AL);
    expect(r.literals.map((l) => l.value)).toEqual([99999999999]);
  });
  it('non-finite literals are errors', () => {
    for (const f of ['x + 1e999999', 'x + 1e309', `x + ${'9'.repeat(400)}`]) {
      expect(() => P(f)).toThrow(/number out of range at position 5/);
    }
  });
  it('a sign written before a literal belongs to it; -(0.5) stays a Minus', () => {
    const a = parseFormula('-0.5*x', AL);
    expect(a.literals[0]!.value).toBe(-0.5);
    const b = parseFormula('-(0.5)*x', AL);
    expect(b.literals[0]!.value).toBe(0.5);
    expect(b.node).toBe(mul(neg(b.literals[0]!.node), x));
  });
});

function varIdx(n: Node): number {
  return n.params[0]!;
}

describe('aliases and variables', () => {
  it('all alias forms', () => {
    const r = parseProgram(
      ['a + b + c + d + e'],
      ['a = Vi(3)', 'b=Vj(3)', 'c = Pm(4, 3)', 'd = Var(5, 3, 1)', ' e = Vi( 7 , 3 ) '],
    );
    expect(r.variables.map((v) => [v.name, v.index, v.cat, v.dim])).toEqual([
      ['a', 0, 'i', 3],
      ['b', 1, 'j', 3],
      ['c', 4, 'p', 3],
      ['d', 5, 'j', 3],
      ['e', 7, 'i', 3],
    ]);
    expect(r.nArgs).toBe(8);
  });
  it('inline Var, Vi, Vj, Pm in formulas', () => {
    expect(P('Var(0,3,0) + Vj(1,3) + Pm(5,1)')).toBe(add(add(x, y), p));
    const r = parseFormula('Square(p-Var(3,1,1))*Exp(-SqNorm2(y-x))', [
      'p=Pm(0,1)',
      'x=Vi(1,3)',
      'y=Vj(2,3)',
    ]);
    expect(r.nArgs).toBe(4);
    expect(r.variables.map((v) => `${v.index}${v.cat}${v.dim}`)).toEqual(['0p1', '1i3', '2j3', '3j1']);
  });
  it('IntCst, Zero, IntInv', () => {
    expect(P('x + IntCst(-4)')).toBe(add(x, IntCst(-4)));
    expect(P('x + Zero(3)')).toBe(x);
    expect(P('IntInv(2)*x')).toBe(mul(op('Inv', [IntCst(2)]), x));
  });
  it('Grad calls the symbolic gradient', () => {
    // d/dx <e, x*x> = 2 x e, written by the autodiff engine: compare values symbolically by structure.
    const g = P('Grad(Sum(x*x), x, s)');
    expect(g.dim).toBe(3);
    const zero = P('Grad(Grad(x+Var(1,3,1), x, Var(2,3,0)), x, Var(3,3,0))', ['x=Vi(0,3)']);
    expect(zero).toBe(Zero(3));
  });
});

/** One example per KeOps op name of the syntax table (aliases AL; A is a 3x3 matrix). */
const EXAMPLES: Record<string, string> = {
  Minus: 'Minus(x)',
  Exp: 'Exp(x)',
  Log: 'Log(x)',
  Sqrt: 'Sqrt(x)',
  Rsqrt: 'Rsqrt(x)',
  Inv: 'Inv(x)',
  Square: 'Square(x)',
  Abs: 'Abs(x)',
  Sign: 'Sign(x)',
  Step: 'Step(x)',
  ReLU: 'ReLU(x)',
  Sin: 'Sin(x)',
  Cos: 'Cos(x)',
  SinXDivX: 'SinXDivX(x)',
  Asin: 'Asin(x)',
  Acos: 'Acos(x)',
  Atan: 'Atan(x)',
  Floor: 'Floor(x)',
  XLogX: 'XLogX(x)',
  Sum: 'Sum(x)',
  Max: 'Max(x)',
  Min: 'Min(x)',
  ArgMax: 'ArgMax(x)',
  ArgMin: 'ArgMin(x)',
  SqNorm2: 'SqNorm2(x)',
  Norm2: 'Norm2(x)',
  Normalize: 'Normalize(x)',
  Add: 'Add(x, y)',
  Subtract: 'Subtract(x, y)',
  Mult: 'Mult(x, y)',
  Divide: 'Divide(x, y)',
  Powf: 'Powf(x, y)',
  Atan2: 'Atan2(x, y)',
  SqDist: 'SqDist(x, y)',
  WeightedSqNorm: 'WeightedSqNorm(s, x)',
  Scalprod: 'Scalprod(x, y)',
  MatVecMult: 'MatVecMult(A, x)',
  VecMatMult: 'VecMatMult(x, A)',
  TensorProd: 'TensorProd(x, y)',
  Concat: 'Concat(x, y)',
  Clamp: 'Clamp(x, s, t)',
  IfElse: 'IfElse(x, y, x)',
  Mod: 'Mod(x, s, t)',
  WeightedSqDist: 'WeightedSqDist(s, x, y)',
  Pow: 'Pow(x, 3)',
  Elem: 'Elem(x, 1)',
  ElemT: 'ElemT(s, 4, 2)',
  Extract: 'Extract(x, 1, 2)',
  ExtractT: 'ExtractT(x, 1, 5)',
  SumT: 'SumT(s, 4)',
  ClampInt: 'ClampInt(x, -1, 1)',
  OneHot: 'OneHot(s, 4)',
  Round: 'Round(x, 2)',
  TensorDot: 'TensorDot(x, A, (3,), (3,3), (0,), (0,), (0,))',
  Kron: 'Kron(x, y, (3,), (3,))',
  // complex numbers: Concat(x, s) is a complex vector of 2 components
  ComplexReal: 'ComplexReal(Concat(x, s))',
  ComplexImag: 'ComplexImag(Concat(x, s))',
  Real2Complex: 'Real2Complex(x)',
  Imag2Complex: 'Imag2Complex(x)',
  ComplexExp1j: 'ComplexExp1j(x)',
  Conj: 'Conj(Concat(x, s))',
  ComplexExp: 'ComplexExp(Concat(x, s))',
  ComplexAbs: 'ComplexAbs(Concat(x, s))',
  ComplexSquareAbs: 'ComplexSquareAbs(Concat(x, s))',
  ComplexAngle: 'ComplexAngle(Concat(x, s))',
  ComplexSum: 'ComplexSum(Concat(x, s))',
  ComplexSumT: 'ComplexSumT(Concat(s, t), 3)',
  ComplexAdd: 'ComplexAdd(Concat(x, s), Concat(y, t))',
  ComplexSubtract: 'ComplexSubtract(Concat(x, s), Concat(y, t))',
  ComplexMult: 'ComplexMult(Concat(x, s), Concat(y, t))',
  ComplexScal: 'ComplexScal(Concat(s, t), Concat(x, s))',
  ComplexDivide: 'ComplexDivide(Concat(x, s), Concat(y, t))',
  ComplexRealScal: 'ComplexRealScal(s, Concat(x, t))',
};

describe('every KeOps op name parses', () => {
  it('the table covers every name the parser knows', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(keopsNames().sort());
  });
  for (const [name, f] of Object.entries(EXAMPLES)) {
    it(name, () => {
      const n = P(f);
      // Either the op itself or what its smart constructor simplified it to, with matching dimension.
      const sig = signatureOf(name)!;
      const args = n.op === name ? n.args.length : sig.kinds.filter((k) => k === 'f').length;
      expect(args).toBe(sig.kinds.filter((k) => k === 'f').length);
      expect(P(printFormula(n))).toBe(n);
    });
  }
  it('registered ops outside the table parse with formula arguments then integers', () => {
    for (const name of opNames()) {
      if (['Var', 'IntCst', 'Zero'].includes(name) || keopsNames().includes(name)) continue;
      const sig = signatureOf(name);
      if (!sig) continue;
      const f = `${name}(${sig.kinds.map((k) => (k === 'f' ? 's' : '1')).join(', ')})`;
      let n: Node;
      try {
        n = P(f);
      } catch (e) {
        // Dimension rules may reject dim-1 arguments; the error must still be a positioned LazyTensorError.
        expect(e).toBeInstanceOf(LazyTensorError);
        expect((e as Error).message).toMatch(/at position 1/);
        continue;
      }
      expect(P(printFormula(n))).toBe(n);
    }
  });
});

describe('TensorDot and Kron tuples', () => {
  it('accept (a,b), [a,b], (a,) and a single integer', () => {
    const a = P('TensorDot(x, A, (3,), (3,3), (0,), (0,))');
    expect(P('TensorDot(x, A, [3], [3,3], [0], [0])')).toBe(a);
    expect(P('TensorDot(x, A, 3, (3,3), 0, 0)')).toBe(a);
    expect(a.dim).toBe(3);
    expect(P('Kron(x, y, (3,), (3,))').dim).toBe(9);
  });
  it('round-trip through the printer', () => {
    const a = P('TensorDot(A, A, (3,3), (3,3), (1,), (0,), (1,0))');
    expect(P(printFormula(a))).toBe(a);
  });
});

describe('printer round-trips', () => {
  const formulas = [
    'Exp(-SqDist(x,y)*p) * t',
    'x - (y - x) / (x + y) * -x',
    '-(x*y) + -x*y - x*-y',
    '(x|y) * (x - y | y)',
    'Pow((x|y),2)*((Elem(x,0)*x)+(Elem(x,1)*y))',
    'Square(p-t)*Exp(x+y)',
    'Concat(Extract(x,0,2), SumT(s, 4)) + IntCst(-7)',
    '2*x - 3 + -4*y',
    'x^-2 + Powf(x, y) + Clamp(x, s, t)',
    'IfElse(x - y, Sqrt(Abs(x)), Log(Square(y) + 1))',
  ];
  for (const f of formulas) {
    it(f, () => {
      const n = P(f);
      const printed = printFormula(n);
      expect(P(printed)).toBe(n);
    });
  }
  it('with alias names and literal values', () => {
    const r = parseFormula('Exp(-0.5*SqDist(x,y)) * 2.25 + -(1.5) + 1e-300', AL);
    const names = new Map(r.variables.map((v) => [v.node, v.name!]));
    const literals = new Map(r.literals.map((l) => [l.node, l.value]));
    const text = printFormula(r.node, { names, literals });
    expect(text).not.toMatch(/Var\(/);
    const back = parseFormula(text, AL);
    expect(back.node).toBe(r.node);
    expect(back.literals.map((l) => l.value)).toEqual(r.literals.map((l) => l.value));
  });
  it('refuses to print an exponentially large tree', () => {
    let n: Node = x;
    for (let k = 0; k < 40; k++) n = add(n, mul(n, IntCst(2)));
    expect(() => printFormula(n)).toThrow(LazyTensorError);
  });
});
