/**
 * Symbolic reverse-mode differentiation of formula DAGs.
 *
 * `grad(F, v, e)` is KeOps' Grad(F, v, e): the vector-Jacobian product e^T dF/dv, itself a formula
 * (a Node of dimension v.dim). Because the result is IR, gradients of gradients work by recursion.
 */
import { check } from '../errors.js';
import { isVar, isZero, type Node, topoOrder } from '../formula/node.js';
import '../formula/ops/index.js';
import { op } from '../formula/opRegistry.js';
import { Zero } from '../formula/ops/leaves.js';
import './rules/index.js';
import { vjpRule } from './vjpRegistry.js';

export { defineVjp, hasVjp, unbroadcast, type VjpRule, vjpRule } from './vjpRegistry.js';

/**
 * The vector-Jacobian product e^T dF/dv.
 * @param F the formula to differentiate
 * @param v a variable node (`Var(index, dim, cat)`); matched by identity (index, category, dim)
 * @param e the cotangent, a formula of dimension F.dim (often a fresh variable)
 * @returns a formula of dimension v.dim; Zero(v.dim) when F does not depend on v
 */
export function grad(F: Node, v: Node, e: Node): Node {
  check(isVar(v), () => `grad: the variable must be a Var node, got operation '${v.op}'`);
  check(
    e.dim === F.dim,
    () => `grad: the cotangent must have the dimension of the formula (${F.dim}), got ${e.dim}`,
  );
  const order = topoOrder(F);
  // Nodes that depend on v: only those carry cotangents.
  const live = new Set<number>();
  for (const n of order) {
    if (n === v || n.args.some((a) => live.has(a.uid))) live.add(n.uid);
  }
  if (!live.has(F.uid)) return Zero(v.dim);
  const cot = new Map<number, Node>();
  cot.set(F.uid, e);
  for (let idx = order.length - 1; idx >= 0; idx--) {
    const n = order[idx]!;
    if (n === v || !live.has(n.uid)) continue;
    const c = cot.get(n.uid);
    if (!c || isZero(c)) continue;
    const rule = vjpRule(n.op);
    n.args.forEach((a, k) => {
      if (!live.has(a.uid)) return;
      const g = rule(n, c, k);
      if (g.dim !== a.dim) {
        throw new Error(`internal: VJP of ${n.op} (argument ${k}) has dimension ${g.dim}, expected ${a.dim}`);
      }
      if (isZero(g)) return;
      const prev = cot.get(a.uid);
      cot.set(a.uid, prev ? op('Add', [prev, g]) : g);
    });
  }
  return cot.get(v.uid) ?? Zero(v.dim);
}
