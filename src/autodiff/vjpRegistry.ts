import { LazyTensorError } from '../errors.js';
import type { Node } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';

/**
 * A vector-Jacobian product rule: given a node n = op(args), the cotangent `c` of n (dim n.dim)
 * and an argument index k, returns the contribution c^T d n / d args[k], a node of dimension
 * args[k].dim. Rules build IR with the smart constructor, so results simplify as they are built.
 */
export type VjpRule = (n: Node, c: Node, k: number) => Node;

const rules = new Map<string, VjpRule>();

/** Registers the VJP rule of an op (each op once). */
export function defineVjp(name: string, rule: VjpRule): void {
  if (rules.has(name)) throw new Error(`VJP rule for ${name} defined twice`);
  rules.set(name, rule);
}

/** The VJP rule of an op; a LazyTensorError if the op is not differentiable symbolically. */
export function vjpRule(name: string): VjpRule {
  const r = rules.get(name);
  if (!r) throw new LazyTensorError(`no gradient rule for operation '${name}'`);
  return r;
}

/** True when a VJP rule exists for this op. */
export function hasVjp(name: string): boolean {
  return rules.has(name);
}

/**
 * Sums a cotangent back to an operand that was broadcast: an operand of dimension 1 used against
 * dimension-D operands receives Sum(c).
 */
export function unbroadcast(c: Node, argDim: number): Node {
  if (c.dim === argDim) return c;
  if (argDim === 1) return op('Sum', [c]);
  throw new Error(`internal: cannot unbroadcast a cotangent of dimension ${c.dim} to ${argDim}`);
}

/** Registers the same rule for several ops. */
export function defineVjps(names: readonly string[], rule: VjpRule): void {
  for (const n of names) defineVjp(n, rule);
}
