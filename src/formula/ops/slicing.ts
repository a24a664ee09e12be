import { check } from '../../errors.js';
import { isZero, type Node } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { Zero } from './leaves.js';

/**
 * Slicing and placement ops (the transposes of one another, used by the gradient rules):
 * SumT(x, [d]) broadcasts a scalar to dimension d; ElemT(x, [n, k]) places a scalar at component
 * k of a zero vector of dimension n; Extract(x, [start, len]) takes components start..start+len-1;
 * ExtractT(x, [start, dim]) places x at offset start of a zero vector of dimension dim.
 */

defineOp({
  name: 'SumT',
  arity: 1,
  nParams: 1,
  dim: ([a], [d]) => {
    check(a === 1, () => `SumT: the argument must be a scalar (dimension 1), got dimension ${a}`);
    check(d! >= 1, () => `SumT: the output dimension must be >= 1, got ${d}`);
    return d!;
  },
  simplify([a], [d]) {
    if (d === 1) return a;
    if (isZero(a!)) return Zero(d!);
    return undefined;
  },
  emit: (_c, [a], [d]) => new Array<string>(d!).fill(a![0]!),
});

defineOp({
  name: 'ElemT',
  arity: 1,
  nParams: 2,
  dim: ([a], [n, k]) => {
    check(a === 1, () => `ElemT: the argument must be a scalar (dimension 1), got dimension ${a}`);
    check(n! >= 1, () => `ElemT: the output dimension must be >= 1, got ${n}`);
    check(k! >= 0 && k! < n!, () => `ElemT: index ${k} out of range for an output of dimension ${n}`);
    return n!;
  },
  simplify([a], [n]) {
    if (n === 1) return a;
    if (isZero(a!)) return Zero(n!);
    return undefined;
  },
  emit: (ctx, [a], [n, k]) => {
    const out = new Array<string>(n!).fill(ctx.d.lit(0));
    out[k!] = a![0]!;
    return out;
  },
});

defineOp({
  name: 'Extract',
  arity: 1,
  nParams: 2,
  dim: ([a], [start, len]) => {
    check(
      start! >= 0 && len! >= 1 && start! + len! <= a!,
      () => `Extract: components [${start}, ${start! + len!}) out of range for a vector of dimension ${a}`,
    );
    return len!;
  },
  simplify([a], [start, len]) {
    const x = a!;
    if (start === 0 && len === x.dim) return x;
    if (isZero(x)) return Zero(len!);
    if (x.op === 'Concat') {
      const [p, q] = x.args as [Node, Node];
      if (start! + len! <= p.dim) return op('Extract', [p], [start!, len!]);
      if (start! >= p.dim) return op('Extract', [q], [start! - p.dim, len!]);
    }
    if (x.op === 'ExtractT' && x.params[0] === start && x.args[0]!.dim === len) return x.args[0];
    if (x.op === 'SumT' && len === 1) return x.args[0];
    if (len === 1) return op('Elem', [x], [start!]);
    return undefined;
  },
  emit: (_c, [a], [start, len]) => a!.slice(start!, start! + len!),
});

defineOp({
  name: 'ExtractT',
  arity: 1,
  nParams: 2,
  dim: ([a], [start, dim]) => {
    check(
      start! >= 0 && start! + a! <= dim!,
      () => `ExtractT: a vector of dimension ${a} at offset ${start} does not fit in dimension ${dim}`,
    );
    return dim!;
  },
  simplify([a], [start, dim]) {
    if (start === 0 && dim === a!.dim) return a;
    if (isZero(a!)) return Zero(dim!);
    if (a!.dim === 1) return op('ElemT', [a!], [dim!, start!]);
    return undefined;
  },
  emit: (ctx, [a], [start, dim]) => {
    const out = new Array<string>(dim!).fill(ctx.d.lit(0));
    a!.forEach((x, k) => {
      out[start! + k] = x;
    });
    return out;
  },
});
