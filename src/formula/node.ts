/**
 * The formula IR: an immutable, hash-consed DAG with static dimensions.
 *
 * A node is identified by (op, integer params, children). Building the same node twice returns the
 * same object, so common subexpressions exist once and `a === b` is structural equality.
 * Float values never live in the IR: a JavaScript number in an expression becomes a parameter
 * variable (cat 'p'), so changing it never changes a kernel's key.
 */

/** Variable categories: indexed by i, indexed by j, or a parameter shared by all pairs. */
export type Cat = 'i' | 'j' | 'p';
export const CAT_CODE: Record<Cat, number> = { i: 0, j: 1, p: 2 };
export const CODE_CAT: readonly Cat[] = ['i', 'j', 'p'];

export interface Node {
  /** Process-local unique id (hash-consing); not stable across processes. */
  readonly uid: number;
  /** Operation name (KeOps name where one exists), e.g. 'Var', 'IntCst', 'Zero', 'Add', 'Exp'. */
  readonly op: string;
  /** Child nodes. */
  readonly args: readonly Node[];
  /** Integer attributes: Var [index, catCode]; IntCst [n]; Elem [k]; Extract [start, len]; Pow [n]; ... */
  readonly params: readonly number[];
  /** Number of scalar components of the value at one (i, j) pair. */
  readonly dim: number;
}

/**
 * The hash-consing table holds its nodes weakly: a node lives as long as something (a
 * LazyTensor, a kernel spec, a parent node) refers to it. Solver loops build fresh variables
 * every step; a strong table would keep every node, and everything cached on it, forever.
 */
const table = new Map<string, WeakRef<Node>>();
const collected = new FinalizationRegistry<string>((key) => {
  // The key may have been re-interned since: drop it only while it still points to a dead node.
  if (table.get(key)?.deref() === undefined) table.delete(key);
});
let nextUid = 1;

/**
 * The raw interning constructor: no validation, no simplification. Use the smart constructors of
 * `ops.ts` (`op(...)`), which check dims and simplify, instead of this.
 */
export function intern(op: string, args: readonly Node[], params: readonly number[], dim: number): Node {
  let key = op;
  for (const p of params) key += `,${p}`;
  key += '|';
  for (const a of args) key += `${a.uid},`;
  const hit = table.get(key)?.deref();
  if (hit) return hit;
  const node: Node = Object.freeze({
    uid: nextUid++,
    op,
    args: Object.freeze([...args]),
    params: Object.freeze([...params]),
    dim,
  });
  table.set(key, new WeakRef(node));
  collected.register(node, key);
  return node;
}

/** Number of live entries of the hash-consing table (diagnostics and leak tests). */
export function internedCount(): number {
  return table.size;
}

/** Leaf helpers. */
export function isVar(n: Node): boolean {
  return n.op === 'Var';
}
export function varIndex(n: Node): number {
  return n.params[0]!;
}
export function varCat(n: Node): Cat {
  return CODE_CAT[n.params[1]!]!;
}
export function isZero(n: Node): boolean {
  return n.op === 'Zero';
}
export function intValue(n: Node): number | undefined {
  return n.op === 'IntCst' ? n.params[0] : undefined;
}

/** Nodes of the DAG in topological order (children before parents), each once. */
export function topoOrder(root: Node | readonly Node[]): Node[] {
  const seen = new Set<number>();
  const out: Node[] = [];
  const stack: [Node, number][] = [];
  const roots = Array.isArray(root) ? (root as readonly Node[]) : [root as Node];
  for (const r of roots) {
    if (seen.has(r.uid)) continue;
    stack.push([r, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [n, k] = top;
      if (k < n.args.length) {
        top[1]++;
        const c = n.args[k]!;
        if (!seen.has(c.uid)) stack.push([c, 0]);
      } else {
        stack.pop();
        if (!seen.has(n.uid)) {
          seen.add(n.uid);
          out.push(n);
        }
      }
    }
  }
  return out;
}

const varsMemo = new WeakMap<Node, readonly Node[]>();

/** Distinct variables of a formula, in order of first appearance (memoised: the IR is immutable). */
export function variablesOf(root: Node | readonly Node[]): Node[] {
  if (Array.isArray(root)) return topoOrder(root).filter(isVar);
  const n = root as Node;
  let v = varsMemo.get(n);
  if (!v) {
    v = topoOrder(n).filter(isVar);
    varsMemo.set(n, v);
  }
  return [...v];
}

/**
 * Canonical, process-independent serialisation of a DAG: one line per node in topological order,
 * children referred to by line number. Identical structures give identical strings.
 */
export function canonicalKey(root: Node | readonly Node[]): string {
  const order = topoOrder(root);
  const pos = new Map<number, number>();
  const parts: string[] = [];
  order.forEach((n, k) => {
    pos.set(n.uid, k);
    parts.push(`${n.op}(${n.params.join(',')};${n.args.map((a) => pos.get(a.uid)).join(',')})`);
  });
  const roots = Array.isArray(root) ? (root as readonly Node[]) : [root as Node];
  return `${parts.join(' ')} -> ${roots.map((r) => pos.get(r.uid)).join(',')}`;
}

/**
 * Rebuilds a DAG bottom-up, replacing nodes for which `f` returns a node (used for variable
 * renumbering and substitution). `rebuild(op, args, params)` must re-create a node from new
 * children (normally the smart constructor `op()` from ops.ts).
 */
export function mapDag(
  root: Node,
  f: (n: Node) => Node | undefined,
  rebuild: (op: string, args: Node[], params: readonly number[]) => Node,
): Node {
  const memo = new Map<number, Node>();
  for (const n of topoOrder(root)) {
    const rep = f(n);
    if (rep) {
      memo.set(n.uid, rep);
      continue;
    }
    if (n.args.length === 0) {
      memo.set(n.uid, n);
      continue;
    }
    const args = n.args.map((a) => memo.get(a.uid)!);
    const same = args.every((a, k) => a === n.args[k]);
    memo.set(n.uid, same ? n : rebuild(n.op, args, n.params));
  }
  return memo.get(root.uid)!;
}
