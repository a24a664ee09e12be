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
 * Interning must not keep nodes alive, and must stay flat in a synchronous loop: a solver that
 * builds fresh variables every step without ever yielding to the event loop. A WeakRef made
 * during a job keeps its target alive until the job ends (the engine's KeepDuringJob set), so a
 * WeakRef per node would hold every node of such a loop. Instead:
 *
 * - A node with children is stored in a WeakMap under its youngest child (the one with the highest
 *   uid), keyed by (op, params, children): the entry lives exactly as long as that child does,
 *   and a node built in a loop from a fresh child dies with it. No WeakRef is made.
 * - Variables made fresh by a LazyTensor (`freshVarNode`) have an index no other node has, so they
 *   need no lookup at all; their variants (the same index in another category or dimension:
 *   transposition, batching) are found through the family the first one starts.
 * - Other leaves (variables with an explicit index, constants) are few and long-lived: they go
 *   into a table that holds them weakly.
 */
const byAnchor = new WeakMap<Node, Map<string, Node>>();
const leafTable = new Map<string, WeakRef<Node>>();
const collected = new FinalizationRegistry<string>((key) => {
  // The key may have been re-interned since: drop it only while it still points to a dead node.
  if (leafTable.get(key)?.deref() === undefined) leafTable.delete(key);
});
let nextUid = 1;

function makeNode(op: string, args: readonly Node[], params: readonly number[], dim: number): Node {
  return Object.freeze({
    uid: nextUid++,
    op,
    args: Object.freeze([...args]),
    params: Object.freeze([...params]),
    dim,
  });
}

/**
 * The raw interning constructor: no validation, no simplification. Use the smart constructors of
 * `ops.ts` (`op(...)`), which check dims and simplify, instead of this.
 */
export function intern(op: string, args: readonly Node[], params: readonly number[], dim: number): Node {
  let key = op;
  for (const p of params) key += `,${p}`;
  key += '|';
  if (args.length === 0) {
    const hit = leafTable.get(key)?.deref();
    if (hit) return hit;
    const node = makeNode(op, args, params, dim);
    leafTable.set(key, new WeakRef(node));
    collected.register(node, key);
    return node;
  }
  let anchor = args[0]!;
  for (const a of args) {
    key += `${a.uid},`;
    if (a.uid > anchor.uid) anchor = a;
  }
  let entries = byAnchor.get(anchor);
  if (!entries) {
    entries = new Map();
    byAnchor.set(anchor, entries);
  }
  const hit = entries.get(key);
  if (hit) return hit;
  const node = makeNode(op, args, params, dim);
  entries.set(key, node);
  return node;
}

/** Variants of one fresh variable index, by `${catCode},${dim}` (shared by all of them). */
const familyOf = new WeakMap<Node, Map<string, Node>>();

/**
 * A variable leaf for an index that the caller guarantees no other variable uses (see
 * src/lazy/vars.ts): made without any table lookup, so nothing outlives it.
 */
export function freshVarNode(index: number, catCode: number, dim: number): Node {
  const node = makeNode('Var', [], [index, catCode, dim], dim);
  familyOf.set(node, new Map([[`${catCode},${dim}`, node]]));
  return node;
}

/**
 * The variable of the same index as `v` with another category or dimension: a member of v's
 * family when v was made by `freshVarNode`, else undefined (use the table constructor `Var`).
 */
export function freshVarVariant(v: Node, catCode: number, dim: number): Node | undefined {
  const family = familyOf.get(v);
  if (!family) return undefined;
  const key = `${catCode},${dim}`;
  let node = family.get(key);
  if (!node) {
    node = makeNode('Var', [], [v.params[0]!, catCode, dim], dim);
    family.set(key, node);
    familyOf.set(node, family);
  }
  return node;
}

/** Number of live entries of the leaf table (diagnostics and leak tests). */
export function internedCount(): number {
  return leafTable.size;
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
