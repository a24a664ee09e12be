import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { parseFormula, parseProgram } from '../../src/syntax/index.js';

const AL = ['x = Vi(3)', 'y = Vj(3)', 's = Vi(1)', 'g = Pm(1)'];

/** Parses and returns the error (fails the test when there is none or it is not a LazyTensorError). */
function errorOf(f: () => unknown): LazyTensorError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LazyTensorError);
    return e as LazyTensorError;
  }
  throw new Error('expected a LazyTensorError, nothing was thrown');
}

/** Checks the "at position N" part and that the caret line points at column N. */
function expectPosition(e: Error, pos: number): void {
  expect(e.message).toContain(`at position ${pos} in '`);
  const lines = e.message.split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[2]!.indexOf('^') - 2).toBe(pos - 1);
}

// [formula, expected fragment of the message, 1-based position]
const CATALOGUE: [string, RegExp, number][] = [
  ['Exp(-SqDist(x,y)', /expected ',' or '\)' \(the arguments of Exp\( at position 4 are not closed\)/, 17],
  ['x +', /expected an expression .*found the end of the formula/, 4],
  ['* x', /expected an expression .*found '\*'/, 1],
  ['x y', /expected an operator or the end of the formula .*found the name 'y'/, 3],
  ['Exp x', /expected an operator/, 5],
  ['Exp()', /Exp expects 1 argument\(s\): a formula; got 0/, 1],
  ['Exp(x, y)', /Exp expects 1 argument\(s\): a formula; got 2/, 1],
  ['SqDist(x)', /SqDist expects 2 argument\(s\)/, 1],
  ['Pow(x, 0.5)', /expected an integer for argument 2 of Pow .*found the number 0.5 \(Powf/, 8],
  ['Pow(x, y)', /expected an integer for argument 2 of Pow .*found a formula/, 8],
  ['Elem(x, 3)', /Elem: index 3 out of range for a vector of dimension 3/, 1],
  ['x + SqDist(x, s2)', /unknown variable .*'s2' \(did you mean 's'\?\); declared: x, y, s, g/, 15],
  ['x + (y', /the parenthesis at position 5 is not closed/, 7],
  ['x + y)', /unbalanced parenthesis/, 6],
  ['Foo(x)', /unknown operation .*'Foo'/, 1],
  ['x + Exq(y)', /unknown operation .*'Exq' \(did you mean 'Exp'\?\)/, 5],
  ['x + 1e', /malformed number .*expected digits after the exponent of '1e'/, 7],
  ['x + 1.2.3', /malformed number .*unexpected '\.' after '1\.2'/, 8],
  ['2x', /malformed number .*unexpected 'x' after '2'/, 2],
  ['x $ y', /unexpected character .*'\$' is not part of KeOps formula syntax/, 3],
  ['x; y', /unexpected character .*';'/, 2],
  ['x + "y"', /unexpected character .*'"'/, 5],
  ["x + 'y'", /unexpected character .*"'"|unexpected character/, 5],
  ['x + `y`', /unexpected character .*'`'/, 5],
  ['x + é', /unexpected character .*U\+00E9/, 5],
  ['Vi(3)', /Vi\(dim\) is only allowed in aliases; write Vi\(index, dim\)/, 1],
  ['x + Var(0,2,0)', /variable 0 is declared twice differently: Vi\(0, 3\) and Vi\(0, 2\)/, 9],
  ['Var(0,3,7)', /integer out of range .*the category must be in \[0, 2\], got 7/, 9],
  ['x + (1,2)', /expected a formula .*found a tuple/, 5],
  ['Grad(x, x+y, y)', /expected a variable .*second argument of Grad/, 10],
  ['Grad(x, x)', /Grad expects 3 arguments/, 1],
  ['Grad(x, x, s)', /Grad: grad: the cotangent must have the dimension of the formula \(3\), got 1/, 1],
  ['Exp', /expected '\(' after Exp .*'Exp' is an operation, not a variable/, 1],
  ['x(1)', /not an operation .*'x' is a variable, not a function/, 1],
  ['x,y', /expected an operator or the end of the formula .*found ','/, 2],
  ['', /expected an expression .*found the end of the formula/, 1],
  ['TensorDot(x, y, (3,), (3,), (0,0), (0,))', /contracted axes of a \(2\) and b \(1\) must be as many/, 1],
  ['Kron(x,y,(2,),(3,))', /Kron: a has dimension 3/, 1],
  ['Extract(x, 2, 5)', /Extract: components \[2, 7\) out of range/, 1],
  ['x + y[0]', /expected an operator or the end of the formula .*found '\['/, 6],
  ['x = y', /found '='/, 3],
  ['x + Vi(4,99999999)', /the variable dimension must be in \[1, 10000\], got 99999999/, 10],
  ['Zero(0)', /the dimension must be in \[1, 10000\]/, 6],
  ['IntCst(1.5)', /expected an integer for IntCst .*found the number 1.5/, 8],
  ['x^99999999999', /the exponent must be in \[-2147483647, 2147483647\]/, 3],
  ['OneHot(s, 200000)', /OneHot: the dimension of the result is 200000, over the limit MAX_DIM = 10000/, 1],
  ['x + s2 + 1e999999', /number out of range .*'1e999999' is not a finite double/, 10],
  ['x - y + SqDist(x, Var(5,2,1))', /SqDist: dimensions must match, got 3 and 2/, 9],
  ['x + Sqrt(x, 2)', /Sqrt expects 1 argument/, 5],
  ['ClampInt(x, 0.5, 1)', /expected an integer for argument 2 of ClampInt/, 13],
];

describe('error catalogue: every malformed formula names the problem and the position', () => {
  for (const [f, re, pos] of CATALOGUE) {
    it(JSON.stringify(f), () => {
      const e = errorOf(() => parseFormula(f, AL));
      expect(e.message.split('\n')[0]).toMatch(re);
      expectPosition(e, pos);
    });
  }
});

// [aliases, expected fragment, 1-based position in the offending alias]
const ALIAS_ERRORS: [string[], RegExp, number][] = [
  [['x = Vi(3'], /expected ',' or '\)' in Vi\(\.\.\.\)/, 9],
  [['x == Vi(3)'], /expected Vi, Vj, Pm or Var .*found '='/, 4],
  [['x = Vk(3)'], /expected Vi, Vj, Pm or Var .*found the name 'Vk'/, 5],
  [['x = Vi(1,2,3)'], /Vi expects \(dim\) or \(index, dim\), got 3 integers/, 5],
  [['x = Var(0,3)'], /Var expects 3 integers \(index, dim, cat\), got 2/, 5],
  [['x = Vi(3)', 'x = Vj(3)'], /alias 'x' is declared twice/, 1],
  [['Exp = Vi(3)'], /alias name 'Exp' is the name of an operation/, 1],
  [['x = Vi(0,3)', 'y = Vj(0,3)'], /variable 0 is declared twice differently: Vi\(0, 3\) and Vj\(0, 3\)/, 1],
  [['x = Vi(-1,3)'], /expected a non-negative integer/, 9],
  [['x = Vi(0)'], /variable dimension must be an integer in \[1, 10000\], got 0/, 1],
  [['x = Var(0,3,3)'], /invalid category .*expected 0 \(i\), 1 \(j\) or 2 \(parameter\), got 3/, 13],
  [['= Vi(3)'], /expected an alias name/, 1],
  [['x = Vi(3) + 1'], /expected the end of the alias .*found '\+'/, 11],
  [['x = Vi(2.5)'], /expected a non-negative integer .*found the number '2\.5'/, 8],
  [['x = Vi(3);process.exit(1)'], /unexpected character .*';'/, 10],
];

describe('alias errors', () => {
  for (const [aliases, re, pos] of ALIAS_ERRORS) {
    it(JSON.stringify(aliases), () => {
      const e = errorOf(() => parseFormula('x', aliases));
      expect(e.message.split('\n')[0]).toMatch(re);
      expectPosition(e, pos);
    });
  }
  it('non-string aliases and formulas', () => {
    expect(() => parseFormula('x', [3 as unknown as string])).toThrow(/alias 1 must be a string/);
    expect(() => parseFormula(null as unknown as string, [])).toThrow(/expected a formula string/);
    expect(() => parseProgram(['x'], 'x = Vi(3)' as unknown as string[])).toThrow(
      /aliases: expected an array/,
    );
  });
});

describe('messages stay short and printable', () => {
  it('shows a window around the position of a long formula', () => {
    const f = `${'x + '.repeat(2000)}x $ ${'y + '.repeat(2000)}y`;
    const e = errorOf(() => parseFormula(f, AL));
    expect(e.message.length).toBeLessThan(400);
    expect(e.message).toContain(`at position ${4 * 2000 + 3} in '...`);
    const lines = e.message.split('\n');
    expect(lines[1]![lines[2]!.indexOf('^')]).toBe('$');
  });
  it('replaces control characters so the caret stays aligned', () => {
    const e = errorOf(() => parseFormula('x\n+\u0007y', AL));
    expect(e.message).toContain('U+0007');
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('  x?+?y');
    expect(lines[2]!.indexOf('^') - 2).toBe(3);
  });
  it('rejects formulas over the length limit without scanning them', () => {
    expect(() => parseFormula('x'.repeat(100_001), AL)).toThrow(
      /formula too long .*100001 characters, over the limit MAX_FORMULA_LENGTH = 100000/,
    );
    expect(() => parseFormula('x'.repeat(1_000_000), AL)).toThrow(/formula too long .*1000000 characters/);
  });
});
