import type { EmitCtx } from '../../formula/dialect.js';
import { type Node, topoOrder, varIndex } from '../../formula/node.js';
import { opDef } from '../../formula/opRegistry.js';

/**
 * Emits the scalar code of a formula DAG in topological order (each shared subexpression once)
 * and returns one expression per component of the root. `loadVar(slot, k)` gives the expression
 * of component k of slot `slot` (the backend decides the memory layout). Every node's components
 * are hoisted into locals, so expressions stay small and nothing is computed twice.
 */
export function emitFormula(
  ctx: EmitCtx,
  root: Node,
  loadVar: (slot: number, k: number) => string,
): string[] {
  const values = new Map<number, string[]>();
  for (const n of topoOrder(root)) {
    if (n.op === 'Var') {
      const s = varIndex(n);
      values.set(
        n.uid,
        Array.from({ length: n.dim }, (_, k) => loadVar(s, k)),
      );
      continue;
    }
    const args = n.args.map((a) => values.get(a.uid)!);
    const raw = opDef(n.op).emit(ctx, args, n.params, n.dim);
    if (raw.length !== n.dim)
      throw new Error(`internal: ${n.op} emitted ${raw.length} components, dim is ${n.dim}`);
    values.set(
      n.uid,
      raw.map((e) => ctx.let(e)),
    );
  }
  return values.get(root.uid)!;
}
