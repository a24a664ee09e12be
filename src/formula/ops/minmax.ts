import { check } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import { isZero } from '../node.js';
import { defineOp } from '../opRegistry.js';
import { Zero } from './leaves.js';

/**
 * Reductions over the components of one vector (symbolic, per (i, j) pair): Max, Min, ArgMax,
 * ArgMin. Arg-ops return the index as a float value; ties go to the lowest index.
 */

/**
 * Scans the components keeping the best value (and its index when `wantIndex`); `better` is a
 * strict comparison, so ties keep the lowest index. Returns the value or the index.
 */
function scan(ctx: EmitCtx, xs: readonly string[], better: string, wantIndex: boolean): string {
  let value = ctx.let(xs[0]!);
  let index = ctx.d.lit(0);
  for (let k = 1; k < xs.length; k++) {
    const x = ctx.let(xs[k]!);
    const test = `${x} ${better} ${value}`;
    if (wantIndex) index = ctx.let(ctx.d.select(test, ctx.d.lit(k), index));
    if (!wantIndex || k < xs.length - 1) value = ctx.let(ctx.d.select(test, x, value));
  }
  return wantIndex ? index : value;
}

for (const [name, better, wantIndex] of [
  ['Max', '>', false],
  ['Min', '<', false],
  ['ArgMax', '>', true],
  ['ArgMin', '<', true],
] as const) {
  defineOp({
    name,
    arity: 1,
    dim: () => 1,
    simplify([a]) {
      if (wantIndex) return a!.dim === 1 || isZero(a!) ? Zero(1) : undefined;
      if (a!.dim === 1) return a;
      return isZero(a!) ? Zero(1) : undefined;
    },
    emit: (ctx, [a]) => [scan(ctx, a!, better, wantIndex)],
  });
}

defineOp({
  name: 'OneHot',
  arity: 1,
  nParams: 1,
  dim: ([a], [d]) => {
    check(a === 1, () => `OneHot: the argument must be a scalar (dimension 1), got dimension ${a}`);
    check(d! >= 1, () => `OneHot: the output dimension must be >= 1, got ${d}`);
    return d!;
  },
  emit: (ctx, [a], [d]) => {
    const r = ctx.let(ctx.d.call('floor', [`${a![0]} + ${ctx.d.lit(0.5)}`]));
    return Array.from({ length: d! }, (_, k) => ctx.d.bool(`${r} == ${ctx.d.lit(k)}`));
  },
});
