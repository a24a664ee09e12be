import { intValue, isZero } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { IntCst, Zero } from './leaves.js';
import { broadcastDim, mapComponents } from './util.js';

/**
 * Arithmetic: Add, Subtract, Mult, Divide, Minus, with broadcasting of dimension-1 operands,
 * zero/one absorption, integer constant folding, and a canonical form for integer factors
 * (IntCst first, nested integer factors merged). Every rewrite is exact in IEEE arithmetic.
 */

defineOp({
  name: 'Add',
  elementwise: true,
  arity: 2,
  dim: (d) => broadcastDim('Add', d),
  simplify([a, b]) {
    const dim = broadcastDim('Add', [a!.dim, b!.dim]);
    if (isZero(a!) && b!.dim === dim) return b;
    if (isZero(b!) && a!.dim === dim) return a;
    const x = intValue(a!);
    const y = intValue(b!);
    if (x !== undefined && y !== undefined) return IntCst(x + y);
    if (b!.op === 'Minus') return op('Subtract', [a!, b!.args[0]!]);
    if (a!.op === 'Minus') return op('Subtract', [b!, a!.args[0]!]);
    return undefined;
  },
  emit: (_c, args, _p, dim) => mapComponents(dim, args, (x, y) => `(${x} + ${y})`),
});

defineOp({
  name: 'Subtract',
  elementwise: true,
  arity: 2,
  dim: (d) => broadcastDim('Subtract', d),
  simplify([a, b]) {
    const dim = broadcastDim('Subtract', [a!.dim, b!.dim]);
    if (isZero(b!) && a!.dim === dim) return a;
    if (isZero(a!) && b!.dim === dim) return op('Minus', [b!]);
    if (a === b) return Zero(dim);
    const x = intValue(a!);
    const y = intValue(b!);
    if (x !== undefined && y !== undefined) return IntCst(x - y);
    if (b!.op === 'Minus') return op('Add', [a!, b!.args[0]!]);
    return undefined;
  },
  emit: (_c, args, _p, dim) => mapComponents(dim, args, (x, y) => `(${x} - ${y})`),
});

defineOp({
  name: 'Mult',
  elementwise: true,
  arity: 2,
  dim: (d) => broadcastDim('Mult', d),
  simplify([a, b]) {
    const dim = broadcastDim('Mult', [a!.dim, b!.dim]);
    if (isZero(a!) || isZero(b!)) return Zero(dim);
    const x = intValue(a!);
    const y = intValue(b!);
    if (x !== undefined && y !== undefined) return IntCst(x * y);
    // Integer factors go first: Mult(x, IntCst k) -> Mult(IntCst k, x).
    if (y !== undefined) return op('Mult', [b!, a!]);
    if (x === 1 && b!.dim === dim) return b;
    if (x === 0) return Zero(dim);
    if (x === -1 && b!.dim === dim) return op('Minus', [b!]);
    if (x !== undefined && b!.op === 'Mult') {
      const z = intValue(b!.args[0]!);
      if (z !== undefined) return op('Mult', [IntCst(x * z), b!.args[1]!]);
    }
    if (x !== undefined && b!.op === 'Minus') return op('Mult', [IntCst(-x), b!.args[0]!]);
    if (a!.op === 'Minus' && b!.op === 'Minus') return op('Mult', [a!.args[0]!, b!.args[0]!]);
    return undefined;
  },
  emit: (_c, args, _p, dim) => mapComponents(dim, args, (x, y) => `(${x} * ${y})`),
});

defineOp({
  name: 'Divide',
  elementwise: true,
  arity: 2,
  dim: (d) => broadcastDim('Divide', d),
  simplify([a, b]) {
    const dim = broadcastDim('Divide', [a!.dim, b!.dim]);
    if (isZero(a!) && !isZero(b!)) return Zero(dim);
    const x = intValue(a!);
    const y = intValue(b!);
    if (x !== undefined && y !== undefined && y !== 0 && x % y === 0) return IntCst(x / y);
    if (y === 1 && a!.dim === dim) return a;
    if (y === -1 && a!.dim === dim) return op('Minus', [a!]);
    return undefined;
  },
  emit: (_c, args, _p, dim) => mapComponents(dim, args, (x, y) => `(${x} / ${y})`),
});

defineOp({
  name: 'Minus',
  elementwise: true,
  arity: 1,
  dim: (d) => d[0]!,
  simplify([a]) {
    if (isZero(a!)) return a;
    if (a!.op === 'Minus') return a!.args[0];
    const x = intValue(a!);
    if (x !== undefined) return IntCst(-x);
    if (a!.op === 'Mult') {
      const k = intValue(a!.args[0]!);
      if (k !== undefined) return op('Mult', [IntCst(-k), a!.args[1]!]);
    }
    return undefined;
  },
  emit: (_c, [a]) => a!.map((x) => `(-${x})`),
});
