import { check, LazyTensorError } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import { isZero } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { Zero } from './leaves.js';
import { broadcastDim, comp } from './util.js';

/**
 * Norms and scalar products: Scalprod(a, b) (KeOps '|'), Norm2, Normalize (0 at 0),
 * WeightedSqNorm(s, x) and WeightedSqDist(s, x, y) where s has dimension 1 (isotropic), D
 * (diagonal) or D*D (full matrix, row-major; symmetric in KeOps, any matrix here: x^T S x).
 */

defineOp({
  name: 'Scalprod',
  arity: 2,
  summand: ({ args: [a, b] }) => (a!.dim === b!.dim ? op('Mult', [a!, b!]) : undefined),
  dim: ([a, b]) => {
    check(a === b, () => `Scalprod: dimensions must match, got ${a} and ${b}`);
    return 1;
  },
  simplify([a, b]) {
    if (isZero(a!) || isZero(b!)) return Zero(1);
    if (a!.dim === 1) return op('Mult', [a!, b!]);
    if (a === b) return op('SqNorm2', [a!]);
    return undefined;
  },
  emit: (_c, [a, b]) => [`(${a!.map((x, k) => `${x} * ${b![k]}`).join(' + ')})`],
});

/** sqrt of a sum of squares. */
function sqnorm(ctx: EmitCtx, xs: readonly string[]): string {
  return ctx.let(
    xs
      .map((x) => {
        const t = ctx.let(x);
        return `${t} * ${t}`;
      })
      .join(' + '),
  );
}

defineOp({
  name: 'Norm2',
  arity: 1,
  dim: () => 1,
  simplify: ([a]) => (isZero(a!) ? Zero(1) : a!.dim === 1 ? op('Abs', [a!]) : undefined),
  emit: (ctx, [a]) => [ctx.d.call('sqrt', [sqnorm(ctx, a!)])],
});

defineOp({
  name: 'Normalize',
  arity: 1,
  dim: (d) => d[0]!,
  simplify: ([a]) => (isZero(a!) ? a : a!.op === 'Normalize' ? a : undefined),
  emit: (ctx, [a]) => {
    const s = sqnorm(ctx, a!);
    const l = ctx.d.lit;
    const r = ctx.let(ctx.d.select(`${s} == ${l(0)}`, l(0), `${l(1)} / ${ctx.d.call('sqrt', [s])}`));
    return a!.map((x) => `(${x} * ${r})`);
  },
});

/** The kind of weight of a weighted norm: 'iso' (dim 1), 'diag' (dim D) or 'full' (dim D*D). */
export function weightKind(name: string, sDim: number, xDim: number): 'iso' | 'diag' | 'full' {
  if (sDim === 1) return 'iso';
  if (sDim === xDim) return 'diag';
  if (sDim === xDim * xDim) return 'full';
  throw new LazyTensorError(
    `${name}: the weight must have dimension 1, D or D*D for vectors of dimension D = ${xDim} (1, ${xDim} or ${xDim * xDim}), got ${sDim}`,
  );
}

/** Emits s-weighted squared norm of the components `xs`. */
function emitWeighted(ctx: EmitCtx, s: readonly string[], xs: readonly string[]): string {
  const D = xs.length;
  const kind = weightKind('WeightedSqNorm', s.length, D);
  const t = xs.map((x) => ctx.let(x));
  if (kind === 'iso') return `(${s[0]} * (${t.map((x) => `${x} * ${x}`).join(' + ')}))`;
  if (kind === 'diag') return `(${t.map((x, k) => `${s[k]} * ${x} * ${x}`).join(' + ')})`;
  const terms: string[] = [];
  for (let k = 0; k < D; k++) {
    const row = t.map((x, l) => `${s[k * D + l]} * ${x}`).join(' + ');
    terms.push(`${t[k]} * (${row})`);
  }
  return `(${terms.join(' + ')})`;
}

defineOp({
  name: 'WeightedSqNorm',
  arity: 2,
  // s of dimension 1 or D (diagonal); the D*D matrix form is not a componentwise sum.
  summand: ({ args: [s, x] }) =>
    s!.dim === 1 || s!.dim === x!.dim ? op('Mult', [s!, op('Square', [x!])]) : undefined,
  dim: ([s, x]) => {
    weightKind('WeightedSqNorm', s!, x!);
    return 1;
  },
  simplify: ([s, x]) => (isZero(s!) || isZero(x!) ? Zero(1) : undefined),
  emit: (ctx, [s, x]) => [emitWeighted(ctx, s!, x!)],
});

defineOp({
  name: 'WeightedSqDist',
  arity: 3,
  summand: ({ args: [s, x, y] }) =>
    s!.dim === 1 || s!.dim === x!.dim
      ? op('Mult', [s!, op('Square', [op('Subtract', [x!, y!])])])
      : undefined,
  dim: ([s, x, y]) => {
    const D = broadcastDim('WeightedSqDist', [x!, y!]);
    weightKind('WeightedSqDist', s!, D);
    return 1;
  },
  simplify([s, x, y]) {
    if (isZero(s!) || x === y) return Zero(1);
    if (isZero(y!) && x!.dim >= y!.dim) return op('WeightedSqNorm', [s!, x!]);
    return undefined;
  },
  emit: (ctx, [s, x, y]) => {
    const D = Math.max(x!.length, y!.length);
    const diff = Array.from({ length: D }, (_, k) => `${comp(x!, k)} - ${comp(y!, k)}`);
    return [emitWeighted(ctx, s!, diff)];
  },
});
