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
 * - A node with children is stored on its youngest child (the one with the highest uid), keyed by
 *   (op, params, children): the entry lives exactly as long as that child does, and a node built
 *   in a loop from a fresh child dies with it. No WeakRef and no weak-table entry is made (the
 *   entries are a private field of the child: one node, or a map once there are several).
 * - Variables made fresh by a LazyTensor (`freshVarNode`) have an index no other node has, so they
 *   need no lookup at all; their variants (the same index in another category or dimension:
 *   transposition, batching) are found through the family the first one starts.
 * - Other leaves (variables with an explicit index, constants) are few and long-lived: they go
 *   into a table that holds them weakly.
 */
const leafTable = new Map<string, WeakRef<Node>>();
const collected = new FinalizationRegistry<string>((key) => {
  // The key may have been re-interned since: drop it only while it still points to a dead node.
  if (leafTable.get(key)?.deref() === undefined) leafTable.delete(key);
});
let nextUid = 1;

const EMPTY: readonly never[] = Object.freeze([]);

/** The interning key of a node with children: op, params and the children's uids. */
function internKey(op: string, args: readonly Node[], params: readonly number[]): string {
  let key = op;
  for (const p of params) key += `,${p}`;
  key += '|';
  for (const a of args) key += `${a.uid},`;
  return key;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The one implementation of Node: frozen, with private interning state. */
class IrNode implements Node {
  readonly uid: number;
  readonly op: string;
  readonly args: readonly Node[];
  readonly params: readonly number[];
  readonly dim: number;
  /** Interned nodes whose youngest child this is: none, one, or a map by `internKey`. */
  #derived: Node | Map<string, Node> | undefined = undefined;
  /** Fresh variables: the variants of this index, by `${catCode},${dim}` (shared by all of them). */
  #family: Map<string, Node> | undefined = undefined;
  /** Its distinct variables (see `variablesOf`), once asked for. */
  #vars: readonly Node[] | undefined = undefined;
  /** One value cached by a layer above (see `nodeCache`). */
  #cache: unknown = undefined;
  /** Walk marks (see `newWalk`): the walk that last reached this node, and its position there. */
  #walk = 0;
  #walkPos = 0;

  constructor(op: string, args: readonly Node[], params: readonly number[], dim: number) {
    this.uid = nextUid++;
    this.op = op;
    this.args = args.length === 0 ? EMPTY : Object.freeze(args.slice());
    this.params = params.length === 0 ? EMPTY : Object.freeze(params.slice());
    this.dim = dim;
    Object.freeze(this);
  }

  /** The interned node (op, args, params) anchored on this node, or undefined. */
  static findDerived(anchor: IrNode, op: string, args: readonly Node[], params: readonly number[]) {
    const d = anchor.#derived;
    if (d === undefined) return undefined;
    if (d instanceof Map) return d.get(internKey(op, args, params));
    return d.op === op && sameNodes(d.args, args) && sameNumbers(d.params, params) ? d : undefined;
  }

  static addDerived(anchor: IrNode, node: Node): void {
    const d = anchor.#derived;
    if (d === undefined) {
      anchor.#derived = node;
      return;
    }
    const m = d instanceof Map ? d : new Map([[internKey(d.op, d.args, d.params), d]]);
    m.set(internKey(node.op, node.args, node.params), node);
    anchor.#derived = m;
  }

  static vars(n: IrNode): readonly Node[] {
    n.#vars ??= topoOrder(n).filter(isVar);
    return n.#vars;
  }

  static cache(n: IrNode): unknown {
    return n.#cache;
  }

  static setCache(n: IrNode, v: unknown): void {
    n.#cache = v;
  }

  static walkPos(n: IrNode, walk: number): number {
    return n.#walk === walk ? n.#walkPos : -1;
  }

  static setWalkPos(n: IrNode, walk: number, pos: number): void {
    n.#walk = walk;
    n.#walkPos = pos;
  }

  static family(v: IrNode): Map<string, Node> | undefined {
    return v.#family;
  }

  static setFamily(v: IrNode, family: Map<string, Node>): void {
    v.#family = family;
  }
}

function makeNode(op: string, args: readonly Node[], params: readonly number[], dim: number): Node {
  return new IrNode(op, args, params, dim);
}

/**
 * The raw interning constructor: no validation, no simplification. Use the smart constructors of
 * `ops.ts` (`op(...)`), which check dims and simplify, instead of this.
 */
export function intern(op: string, args: readonly Node[], params: readonly number[], dim: number): Node {
  if (args.length === 0) {
    let key = op;
    for (const p of params) key += `,${p}`;
    key += '|';
    const hit = leafTable.get(key)?.deref();
    if (hit) return hit;
    const node = makeNode(op, args, params, dim);
    leafTable.set(key, new WeakRef(node));
    collected.register(node, key);
    return node;
  }
  let anchor = args[0]!;
  for (const a of args) if (a.uid > anchor.uid) anchor = a;
  const hit = IrNode.findDerived(anchor as IrNode, op, args, params);
  if (hit) return hit;
  const node = makeNode(op, args, params, dim);
  IrNode.addDerived(anchor as IrNode, node);
  return node;
}

/** Placeholder family of a fresh variable that has no variant yet (never written to). */
const FRESH_MARK: Map<string, Node> = new Map();

/**
 * A variable leaf for an index that the caller guarantees no other variable uses (see
 * src/lazy/vars.ts): made without any table lookup, so nothing outlives it.
 */
export function freshVarNode(index: number, catCode: number, dim: number): Node {
  const node = new IrNode('Var', EMPTY, [index, catCode, dim], dim);
  // Marked fresh; the family map itself is made only when a variant is asked for.
  IrNode.setFamily(node, FRESH_MARK);
  return node;
}

/**
 * The variable of the same index as `v` with another category or dimension: a member of v's
 * family when v was made by `freshVarNode`, else undefined (use the table constructor `Var`).
 */
export function freshVarVariant(v: Node, catCode: number, dim: number): Node | undefined {
  let family = IrNode.family(v as IrNode);
  if (!family) return undefined;
  if (family === FRESH_MARK) {
    family = new Map([[`${v.params[1]},${v.dim}`, v]]);
    IrNode.setFamily(v as IrNode, family);
  }
  const key = `${catCode},${dim}`;
  let node = family.get(key);
  if (!node) {
    node = makeNode('Var', [], [v.params[0]!, catCode, dim], dim);
    family.set(key, node);
    IrNode.setFamily(node as IrNode, family);
  }
  return node;
}

/**
 * One value that a layer above caches on `n` (the kernel layer: the last spec asked of this
 * formula), held by the node itself: it lives exactly as long as the node, without a weak-table
 * entry per node. One owner only (src/kernel/spec.ts).
 */
export function nodeCache(n: Node): unknown {
  return IrNode.cache(n as IrNode);
}

/** Sets the value `nodeCache(n)` returns. */
export function setNodeCache(n: Node, v: unknown): void {
  IrNode.setCache(n as IrNode, v);
}

let lastWalk = 0;

/**
 * A new walk id for `walkPos`/`setWalkPos`: a walk over a DAG that numbers its nodes without a
 * Map (the mark lives on the node). Walks must not nest (they are synchronous and call nothing).
 */
export function newWalk(): number {
  // Never wraps (2^53 walks would take centuries), so a stale mark can never look current.
  return ++lastWalk;
}

/** The position `setWalkPos` gave `n` in walk `walk`, or -1 when that walk has not reached it. */
export function walkPos(n: Node, walk: number): number {
  return IrNode.walkPos(n as IrNode, walk);
}

/** Marks `n` as reached by walk `walk`, at position `pos`. */
export function setWalkPos(n: Node, walk: number, pos: number): void {
  IrNode.setWalkPos(n as IrNode, walk, pos);
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
  // Marks on the nodes instead of a set, two parallel stacks instead of a pair per node.
  const walk = newWalk();
  const out: Node[] = [];
  const nodes: Node[] = [];
  const next: number[] = [];
  const roots = Array.isArray(root) ? (root as readonly Node[]) : [root as Node];
  for (const r of roots) {
    if (walkPos(r, walk) >= 0) continue;
    nodes.push(r);
    next.push(0);
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const n = nodes[top]!;
      const k = next[top]!;
      if (k < n.args.length) {
        next[top] = k + 1;
        const c = n.args[k]!;
        if (walkPos(c, walk) < 0) {
          nodes.push(c);
          next.push(0);
        }
      } else {
        nodes.pop();
        next.pop();
        if (walkPos(n, walk) < 0) {
          setWalkPos(n, walk, out.length);
          out.push(n);
        }
      }
    }
  }
  return out;
}

/** Distinct variables of a formula, in order of first appearance (memoised: the IR is immutable). */
export function variablesOf(root: Node | readonly Node[]): Node[] {
  if (Array.isArray(root)) return topoOrder(root).filter(isVar);
  return [...IrNode.vars(root as IrNode)];
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
