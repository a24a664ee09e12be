import { check } from '../../errors.js';
import type { Node } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { Zero } from './leaves.js';

/**
 * Complex numbers as KeOps writes them: a complex vector of k components is a real vector of
 * dimension 2k, (re_0, im_0, re_1, im_1, ...). Every op here is a macro: its smart constructor
 * returns the expansion into real ops (Elem, Concat, arithmetic, Exp/Cos/Sin, Atan2), so complex
 * formulas run on every backend and get exact gradients (of any order) from the real VJP rules.
 * A complex scalar (dimension 2) broadcasts against a complex vector in the binary ops.
 *
 * Ops: ComplexReal, ComplexImag (2k -> k); Real2Complex, Imag2Complex, ComplexExp1j (k -> 2k);
 * Conj, ComplexExp (2k -> 2k); ComplexAbs, ComplexSquareAbs, ComplexAngle (2k -> k);
 * ComplexAdd, ComplexSubtract, ComplexMult, ComplexDivide (2k, 2k -> 2k);
 * ComplexScal (complex scalar 2, 2k -> 2k); ComplexRealScal (real scalar 1, 2k -> 2k);
 * ComplexSum (2k -> 2); ComplexSumT(f; k) (2 -> 2k).
 */

/** k for an argument of dimension 2k; a clear error otherwise. */
function complexCount(name: string, d: number, what: string): number {
  check(
    d >= 2 && d % 2 === 0,
    () =>
      `${name}: the ${what} must be complex (an even dimension 2k, re/im interleaved), got dimension ${d}`,
  );
  return d / 2;
}

/** k of the result of a binary op: equal counts, or one complex scalar broadcast. */
function binaryCount(name: string, a: number, b: number): number {
  const ka = complexCount(name, a, 'first argument');
  const kb = complexCount(name, b, 'second argument');
  check(
    ka === kb || ka === 1 || kb === 1,
    () =>
      `${name}: complex dimensions must match or one must be a complex scalar (dimension 2), got ${a} and ${b}`,
  );
  return Math.max(ka, kb);
}

const re = (f: Node, t: number): Node => op('Elem', [f], [f.dim === 2 ? 0 : 2 * t]);
const im = (f: Node, t: number): Node => op('Elem', [f], [f.dim === 2 ? 1 : 2 * t + 1]);

function concat(parts: readonly Node[]): Node {
  return parts.reduce((acc, p) => op('Concat', [acc, p]));
}

/** The complex vector with the given (re, im) components, k = parts.length. */
function complexOf(k: number, part: (t: number) => [Node, Node]): Node {
  return concat(Array.from({ length: k }, (_, t) => part(t)).flat());
}

/** The real vector of k components. */
function realOf(k: number, part: (t: number) => Node): Node {
  return concat(Array.from({ length: k }, (_, t) => part(t)));
}

const add = (a: Node, b: Node) => op('Add', [a, b]);
const sub = (a: Node, b: Node) => op('Subtract', [a, b]);
const mul = (a: Node, b: Node) => op('Mult', [a, b]);
const sqAbs = (f: Node, t: number) => add(op('Square', [re(f, t)]), op('Square', [im(f, t)]));

function defineMacro(
  name: string,
  arity: number,
  dim: (argDims: readonly number[], params: readonly number[]) => number,
  expand: (args: readonly Node[], params: readonly number[]) => Node,
  nParams = 0,
): void {
  defineOp({
    name,
    arity,
    nParams,
    macro: true,
    dim,
    simplify: expand,
    emit: () => {
      throw new Error(`internal: ${name} is expanded when the formula is built`);
    },
  });
}

defineMacro(
  'ComplexReal',
  1,
  ([d]) => complexCount('ComplexReal', d!, 'argument'),
  ([f]) => realOf(f!.dim / 2, (t) => re(f!, t)),
);
defineMacro(
  'ComplexImag',
  1,
  ([d]) => complexCount('ComplexImag', d!, 'argument'),
  ([f]) => realOf(f!.dim / 2, (t) => im(f!, t)),
);
defineMacro(
  'Real2Complex',
  1,
  ([d]) => 2 * d!,
  ([f]) => complexOf(f!.dim, (t) => [op('Elem', [f!], [t]), Zero(1)]),
);
defineMacro(
  'Imag2Complex',
  1,
  ([d]) => 2 * d!,
  ([f]) => complexOf(f!.dim, (t) => [Zero(1), op('Elem', [f!], [t])]),
);
defineMacro(
  'ComplexExp1j',
  1,
  ([d]) => 2 * d!,
  ([f]) =>
    complexOf(f!.dim, (t) => {
      const x = op('Elem', [f!], [t]);
      return [op('Cos', [x]), op('Sin', [x])];
    }),
);
defineMacro(
  'Conj',
  1,
  ([d]) => 2 * complexCount('Conj', d!, 'argument'),
  ([f]) => complexOf(f!.dim / 2, (t) => [re(f!, t), op('Minus', [im(f!, t)])]),
);
defineMacro(
  'ComplexExp',
  1,
  ([d]) => 2 * complexCount('ComplexExp', d!, 'argument'),
  ([f]) =>
    complexOf(f!.dim / 2, (t) => {
      const e = op('Exp', [re(f!, t)]);
      const y = im(f!, t);
      return [mul(e, op('Cos', [y])), mul(e, op('Sin', [y]))];
    }),
);
defineMacro(
  'ComplexSquareAbs',
  1,
  ([d]) => complexCount('ComplexSquareAbs', d!, 'argument'),
  ([f]) => realOf(f!.dim / 2, (t) => sqAbs(f!, t)),
);
defineMacro(
  'ComplexAbs',
  1,
  ([d]) => complexCount('ComplexAbs', d!, 'argument'),
  ([f]) => realOf(f!.dim / 2, (t) => op('Sqrt', [sqAbs(f!, t)])),
);
defineMacro(
  'ComplexAngle',
  1,
  ([d]) => complexCount('ComplexAngle', d!, 'argument'),
  ([f]) => realOf(f!.dim / 2, (t) => op('Atan2', [im(f!, t), re(f!, t)])),
);
defineMacro(
  'ComplexSum',
  1,
  ([d]) => {
    complexCount('ComplexSum', d!, 'argument');
    return 2;
  },
  ([f]) => {
    const k = f!.dim / 2;
    return op('Concat', [op('Sum', [realOf(k, (t) => re(f!, t))]), op('Sum', [realOf(k, (t) => im(f!, t))])]);
  },
);
defineMacro(
  'ComplexSumT',
  1,
  ([d], [k]) => {
    check(
      d === 2,
      () => `ComplexSumT: the argument must be a complex scalar (dimension 2), got dimension ${d}`,
    );
    check(k! >= 1, () => `ComplexSumT: the number of complex components must be >= 1, got ${k}`);
    return 2 * k!;
  },
  ([f], [k]) => complexOf(k!, () => [re(f!, 0), im(f!, 0)]),
  1,
);

/** Binary complex ops: the result's (re, im) at component t from the operands' components. */
function defineBinary(
  name: string,
  part: (ar: Node, ai: Node, br: Node, bi: Node) => [Node, Node],
  check2?: (a: number, b: number) => void,
): void {
  defineMacro(
    name,
    2,
    ([a, b]) => {
      check2?.(a!, b!);
      return 2 * binaryCount(name, a!, b!);
    },
    ([a, b]) =>
      complexOf(Math.max(a!.dim, b!.dim) / 2, (t) => part(re(a!, t), im(a!, t), re(b!, t), im(b!, t))),
  );
}

defineBinary('ComplexAdd', (ar, ai, br, bi) => [add(ar, br), add(ai, bi)]);
defineBinary('ComplexSubtract', (ar, ai, br, bi) => [sub(ar, br), sub(ai, bi)]);
const product = (ar: Node, ai: Node, br: Node, bi: Node): [Node, Node] => [
  sub(mul(ar, br), mul(ai, bi)),
  add(mul(ar, bi), mul(ai, br)),
];
defineBinary('ComplexMult', product);
defineBinary('ComplexScal', product, (a) =>
  check(
    a === 2,
    () => `ComplexScal: the first argument must be a complex scalar (dimension 2), got dimension ${a}`,
  ),
);
defineBinary('ComplexDivide', (ar, ai, br, bi) => {
  const d = add(op('Square', [br]), op('Square', [bi]));
  return [op('Divide', [add(mul(ar, br), mul(ai, bi)), d]), op('Divide', [sub(mul(ai, br), mul(ar, bi)), d])];
});

defineMacro(
  'ComplexRealScal',
  2,
  ([a, b]) => {
    check(
      a === 1,
      () => `ComplexRealScal: the first argument must be a real scalar (dimension 1), got dimension ${a}`,
    );
    return 2 * complexCount('ComplexRealScal', b!, 'second argument');
  },
  ([a, b]) => mul(a!, b!),
);
