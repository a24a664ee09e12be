import { LazyTensorError } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import type { Node } from '../node.js';
import { defineOp } from '../opRegistry.js';

/** Dimension of an elementwise op over its arguments: all equal, or 1 (broadcast). */
export function broadcastDim(name: string, dims: readonly number[]): number {
  let d = 1;
  for (const x of dims) {
    if (x === 1 || x === d) continue;
    if (d === 1) d = x;
    else {
      throw new LazyTensorError(
        `${name}: operand dimensions must match or be 1, got ${dims.map(String).join(' and ')}`,
      );
    }
  }
  return d;
}

/** Component k of an argument broadcast to `dim` (a dimension-1 argument repeats). */
export function comp(arg: readonly string[], k: number): string {
  return arg.length === 1 ? arg[0]! : arg[k]!;
}

/** Maps an elementwise scalar function over broadcast arguments. */
export function mapComponents(
  dim: number,
  args: readonly (readonly string[])[],
  f: (...xs: string[]) => string,
): string[] {
  const out: string[] = [];
  for (let k = 0; k < dim; k++) out.push(f(...args.map((a) => comp(a, k))));
  return out;
}

/** Scalar code of one component of an elementwise op: `x` are already-evaluated operand expressions. */
export type ScalarEmit = (ctx: EmitCtx, ...x: string[]) => string;

/**
 * Registers an elementwise op of `arity` node arguments (dim-1 operands broadcast), with an
 * optional simplification and optional integer params.
 */
export function defineElementwise(
  name: string,
  arity: number,
  scalar: ScalarEmit,
  simplify?: (args: readonly Node[], params: readonly number[], dim: number) => Node | undefined,
  nParams = 0,
): void {
  defineOp({
    name,
    arity,
    nParams,
    elementwise: true,
    dim: (d) => broadcastDim(name, d),
    simplify: simplify
      ? (args, params) =>
          simplify(
            args,
            params,
            broadcastDim(
              name,
              args.map((a) => a.dim),
            ),
          )
      : undefined,
    emit: (ctx, args, _p, dim) => mapComponents(dim, args, (...xs) => scalar(ctx, ...xs)),
  });
}

/** Registers a unary elementwise op. */
export function defineUnary(
  name: string,
  scalar: (ctx: EmitCtx, x: string) => string,
  simplify?: (a: Node) => Node | undefined,
): void {
  defineElementwise(
    name,
    1,
    (ctx, x) => scalar(ctx, x!),
    simplify ? (args) => simplify(args[0]!) : undefined,
  );
}
