import { check, LazyTensorError } from '../errors.js';
import { checkDim } from '../limits.js';
import type { EmitCtx } from './dialect.js';
import { intern, type Node } from './node.js';

/**
 * One operation of the IR: its dimension rule, its simplifications and its scalar code generator.
 * Code generators produce one scalar expression per output component, given one expression per
 * component of each argument; they never see user text. Gradient rules live in src/autodiff.
 */
export interface OpDef {
  /** IR name: KeOps' name where one exists ('Exp', 'SqDist', ...). */
  readonly name: string;
  /** Number of node arguments, or -1 for variadic. */
  readonly arity: number;
  /**
   * True when the op acts component by component on its (broadcast) arguments: backends may then
   * emit it as a loop over components instead of unrolling (large dimensions).
   */
  readonly elementwise?: boolean;
  /**
   * For scalar ops that sum the components of an elementwise vector (Sum, SqNorm2, SqDist, ...):
   * that vector, or undefined for this node. Backends may then emit the sum as a loop over
   * components (large dimensions).
   */
  summand?(n: Node): Node | undefined;
  /**
   * True for ops defined by expansion into other ops (complex numbers): `simplify` always returns
   * the expansion, so such a node never exists in a formula and needs neither code nor a gradient
   * rule of its own.
   */
  readonly macro?: boolean;
  /** Number of integer params, or -1 for variable. */
  readonly nParams?: number;
  /** Output dimension from argument dimensions; throws LazyTensorError when they do not fit. */
  dim(argDims: readonly number[], params: readonly number[]): number;
  /** Optional smart-constructor rewrite: return a simpler equivalent node, or undefined. */
  simplify?(args: readonly Node[], params: readonly number[]): Node | undefined;
  /** Scalar code: one expression per output component. Leaves (Var) are handled by the walker. */
  emit(ctx: EmitCtx, args: readonly (readonly string[])[], params: readonly number[], dim: number): string[];
}

const registry = new Map<string, OpDef>();

/** Registers an op (each name once). */
export function defineOp(def: OpDef): OpDef {
  if (registry.has(def.name)) throw new Error(`op ${def.name} defined twice`);
  registry.set(def.name, def);
  return def;
}

/** The definition of a registered op. */
export function opDef(name: string): OpDef {
  const d = registry.get(name);
  if (!d) throw new LazyTensorError(`unknown operation '${name}'`);
  return d;
}

/** True when an op with this IR name exists. */
export function hasOp(name: string): boolean {
  return registry.has(name);
}

/** Names of all registered ops. */
export function opNames(): string[] {
  return [...registry.keys()];
}

/**
 * The smart constructor: validates arity, params and dims, applies the op's simplifications and
 * returns the hash-consed node.
 */
export function op(name: string, args: readonly Node[], params: readonly number[] = []): Node {
  const def = opDef(name);
  check(
    def.arity < 0 || args.length === def.arity,
    () => `${name} expects ${def.arity} argument(s), got ${args.length}`,
  );
  check(
    def.nParams === undefined || def.nParams < 0 || params.length === def.nParams,
    () => `${name} expects ${def.nParams} integer parameter(s), got ${params.length}`,
  );
  for (const p of params) {
    check(Number.isInteger(p), () => `${name}: integer parameter expected, got ${p}`);
  }
  const dim = def.dim(
    args.map((a) => a.dim),
    params,
  );
  checkDim(`${name}: the dimension of the result`, dim);
  if (def.simplify) {
    const s = def.simplify(args, params);
    if (s) {
      if (s.dim !== dim) throw new Error(`internal: ${name} simplified to dim ${s.dim}, expected ${dim}`);
      return s;
    }
  }
  if (def.macro) throw new Error(`internal: macro op ${name} did not expand`);
  return intern(name, args, params, dim);
}
