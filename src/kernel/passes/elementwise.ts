import { isVar, type Node } from '../../formula/node.js';
import { hasOp, opDef } from '../../formula/opRegistry.js';

/** True for ops that act component by component (dimension-1 operands broadcast). */
export function isElementwiseOp(name: string): boolean {
  if (!hasOp(name)) return false;
  return opDef(name).elementwise === true;
}

/** True when every node above the dimension-1 leaves of `v` is an elementwise op or a variable. */
export function elementwiseTree(v: Node): boolean {
  const stack = [v];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.uid) || n.dim === 1) continue;
    seen.add(n.uid);
    if (isVar(n)) continue;
    if (n.op === 'Zero' || !isElementwiseOp(n.op)) return false;
    for (const a of n.args) {
      if (a.dim !== 1 && a.dim !== n.dim) return false;
      stack.push(a);
    }
  }
  return true;
}

/**
 * The elementwise vector whose components a scalar node sums (Sum, SqNorm2, SqDist, ...: the
 * op's `summand` trait), or undefined.
 */
export function summandOf(n: Node): Node | undefined {
  if (n.args.length === 0 || !hasOp(n.op)) return undefined;
  return opDef(n.op).summand?.(n);
}
