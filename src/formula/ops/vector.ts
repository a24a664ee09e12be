import { check } from '../../errors.js';
import { isZero, type Node } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { IntCst, Zero } from './leaves.js';

/** Vector ops: Sum, SqNorm2, SqDist, Elem, Concat. */
defineOp({
  name: 'Sum',
  arity: 1,
  dim: () => 1,
  summand: (n) => n.args[0],
  simplify([a]) {
    const x = a!;
    if (x.dim === 1) return x;
    if (isZero(x)) return Zero(1);
    if (x.op === 'SumT') return op('Mult', [IntCst(x.dim), x.args[0]!]);
    if (x.op === 'ElemT') return x.args[0];
    if (x.op === 'ExtractT') return op('Sum', [x.args[0]!]);
    if (x.op === 'Concat') return op('Add', [op('Sum', [x.args[0]!]), op('Sum', [x.args[1]!])]);
    return undefined;
  },
  emit: (_c, [a]) => [a!.length === 1 ? a![0]! : `(${a!.join(' + ')})`],
});
defineOp({
  name: 'SqNorm2',
  arity: 1,
  dim: () => 1,
  summand: (n) => op('Square', [n.args[0]!]),
  simplify: ([a]) => (isZero(a!) ? Zero(1) : undefined),
  emit: (ctx, [a]) => {
    const terms = a!.map((x) => {
      const t = ctx.let(x);
      return `${t} * ${t}`;
    });
    return [`(${terms.join(' + ')})`];
  },
});
defineOp({
  name: 'SqDist',
  arity: 2,
  summand: (n) => op('Square', [op('Subtract', [n.args[0]!, n.args[1]!])]),
  dim: ([a, b]) => {
    check(a === b || a === 1 || b === 1, () => `SqDist: dimensions must match, got ${a} and ${b}`);
    return 1;
  },
  simplify([a, b]) {
    if (a === b) return Zero(1);
    if (isZero(b!) && a!.dim >= b!.dim) return op('SqNorm2', [a!]);
    if (isZero(a!) && b!.dim >= a!.dim) return op('SqNorm2', [b!]);
    return undefined;
  },
  emit: (ctx, [a, b]) => {
    const dim = Math.max(a!.length, b!.length);
    const terms: string[] = [];
    for (let k = 0; k < dim; k++) {
      const t = ctx.let(`${a!.length === 1 ? a![0] : a![k]} - ${b!.length === 1 ? b![0] : b![k]}`);
      terms.push(`${t} * ${t}`);
    }
    return [`(${terms.join(' + ')})`];
  },
});
defineOp({
  name: 'Elem',
  arity: 1,
  nParams: 1,
  dim: ([d], [k]) => {
    check(k! >= 0 && k! < d!, () => `Elem: index ${k} out of range for a vector of dimension ${d}`);
    return 1;
  },
  simplify([a], [k]) {
    const x = a!;
    const i = k!;
    if (x.dim === 1) return x;
    if (isZero(x)) return Zero(1);
    if (x.op === 'SumT') return x.args[0];
    if (x.op === 'ElemT') return x.params[1] === i ? x.args[0] : Zero(1);
    if (x.op === 'Concat') {
      const [p, q] = x.args as [Node, Node];
      return i < p.dim ? op('Elem', [p], [i]) : op('Elem', [q], [i - p.dim]);
    }
    if (x.op === 'Extract') return op('Elem', [x.args[0]!], [x.params[0]! + i]);
    if (x.op === 'ExtractT') {
      const s = x.params[0]!;
      const inner = x.args[0]!;
      return i >= s && i < s + inner.dim ? op('Elem', [inner], [i - s]) : Zero(1);
    }
    return undefined;
  },
  emit: (_c, [a], [k]) => [a![k!]!],
});
defineOp({
  name: 'Concat',
  arity: 2,
  dim: ([a, b]) => a! + b!,
  simplify: ([a, b]) => (isZero(a!) && isZero(b!) ? Zero(a!.dim + b!.dim) : undefined),
  emit: (_c, [a, b]) => [...a!, ...b!],
});

/** Convenience: the dim-1 components of a node. */
export function components(n: Node): Node[] {
  return Array.from({ length: n.dim }, (_, k) => op('Elem', [n], [k]));
}
