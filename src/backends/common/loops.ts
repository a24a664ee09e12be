import { isVar, mapDag, type Node, topoOrder, varCat, varIndex } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import { Var } from '../../formula/ops/leaves.js';
import { elementwiseTree, summandOf } from '../../kernel/passes/elementwise.js';
import type { CodeBuffer } from './codebuffer.js';
import { emitFormula } from './formula.js';

/**
 * Large-D support shared by every backend: a vector reduction (a scalar op with the `summand`
 * trait: Sum, SqNorm2, SqDist, scalar products, diagonal weighted norms) of an elementwise
 * expression of dimension D >= CHUNK_MIN_DIM is emitted as a run-time loop over the components,
 * CHUNK_UNROLL at a time, instead of D unrolled statements. The generated source, its compile
 * time and the registers it needs then stay bounded whatever D is. The loop body is the IR of one
 * component: the elementwise subtree rebuilt with dimension-1 variables, emitted by the shared
 * `emitFormula`. The syntax of the loop head is the backend's (`LoopSyntax`).
 */
export const CHUNK_MIN_DIM = 32;
export const CHUNK_UNROLL = 8;

/** How a backend writes the head of a counted loop (C: `for (int k = ...`, JS: `for (let k = ...`). */
export interface LoopSyntax {
  /** `for (<int k = 0>; k < end; k += step) {`: the declaration of the index `k` starting at 0. */
  declIndex(k: string): string;
  /** A line placed before the loop (a pragma), or undefined. */
  pragma?: string;
  /**
   * Independent partial sums (1 by default), added pairwise after the loop: one running sum is a
   * chain of dependent adds whose latency, not throughput, sets the speed.
   */
  partials?: number;
  /**
   * The declaration of a running sum starting at 0 (default: the dialect's `declVal` of 0); the
   * wasm backend declares a SIMD vector in its column-vectorised loop.
   */
  declSum?(name: string): string;
}

/** C and CUDA loops. */
export const C_LOOP: LoopSyntax = { declIndex: (k) => `int ${k} = 0` };

/** A vector reduction emitted as a loop. */
export interface ChunkSite {
  node: Node;
  /** The elementwise vector being summed. */
  vector: Node;
  dim: number;
}

/** The vector reductions of a formula that are emitted as loops, in topological order. */
export function findChunkSites(root: Node, minDim = CHUNK_MIN_DIM): ChunkSite[] {
  const out: ChunkSite[] = [];
  for (const n of topoOrder(root)) {
    if (n.dim !== 1 || n.args.length === 0) continue;
    const v = summandOf(n);
    if (!v || v.dim < minDim || !elementwiseTree(v)) continue;
    out.push({ node: n, vector: v, dim: v.dim });
  }
  return out;
}

/** Slots whose components a loop reads at a run-time index (they cannot live in registers). */
export function dynamicSlots(root: Node, minDim = CHUNK_MIN_DIM): Set<number> {
  const s = new Set<number>();
  for (const site of findChunkSites(root, minDim)) for (const k of vectorSlots(site.vector)) s.add(k);
  return s;
}

/** Dimension-1 nodes under `v` that are reached without crossing another dimension-1 node. */
function scalarLeaves(v: Node): Node[] {
  const out: Node[] = [];
  const seen = new Set<number>();
  const stack = [v];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.uid)) continue;
    seen.add(n.uid);
    if (n.dim === 1) out.push(n);
    else stack.push(...n.args);
  }
  return out;
}

/**
 * How the backend reads slot components: `load(slot, k)` with a compile-time component, and
 * `loadAt(slot, kExpr)` with a run-time index expression (only for slots in `dynamicSlots`).
 */
export interface SlotLoader {
  load(slot: number, k: number): string;
  loadAt(slot: number, kExpr: string): string;
}

/**
 * Emits a formula like `emitFormula`, except that its large vector reductions become loops over
 * the components. Returns one expression per component of `root`. `pre` maps the uid of a site
 * whose value the backend computed otherwise (the native GEMM path) to that value's expression.
 */
export function emitWithChunks(
  buf: CodeBuffer,
  root: Node,
  nSlots: number,
  loader: SlotLoader,
  minDim = CHUNK_MIN_DIM,
  unroll = CHUNK_UNROLL,
  syntax: LoopSyntax = C_LOOP,
  pre?: ReadonlyMap<number, string>,
): string[] {
  const sites = findChunkSites(root, minDim);
  if (sites.length === 0) return emitFormula(buf, root, loader.load);
  // Placeholder variables (indices >= nSlots) stand for values computed before the formula.
  const placeholders: string[] = [];
  const ph = (expr: string): Node => {
    placeholders.push(expr);
    return Var(nSlots + placeholders.length - 1, 1, 'p');
  };
  const loadAny = (s: number, k: number) => (s >= nSlots ? placeholders[s - nSlots]! : loader.load(s, k));
  const done = new Map<number, Node>();
  for (const site of sites) {
    const known = pre?.get(site.node.uid);
    if (known !== undefined) {
      done.set(site.node.uid, ph(known));
      continue;
    }
    // Dimension-1 leaves: variables, earlier loops, or scalar subformulas computed here first.
    const leafPh = new Map<number, Node>();
    for (const leaf of scalarLeaves(site.vector)) {
      const prev = done.get(leaf.uid);
      if (prev) leafPh.set(leaf.uid, prev);
      else if (isVar(leaf)) leafPh.set(leaf.uid, ph(loader.load(varIndex(leaf), 0)));
      else {
        const sub = mapDag(leaf, (n) => done.get(n.uid), rebuild);
        const [e] = emitFormula(buf, sub, loadAny);
        leafPh.set(leaf.uid, ph(buf.let(e!)));
      }
    }
    const scalar = mapDag(
      site.vector,
      (n) => leafPh.get(n.uid) ?? (isVar(n) ? Var(varIndex(n), 1, varCat(n)) : undefined),
      rebuild,
    );
    const d = site.dim;
    const full = d - (d % unroll);
    const kc = buf.fresh('kc');
    const nAcc = Math.max(1, Math.min(syntax.partials ?? 1, unroll));
    const accs = Array.from({ length: nAcc }, () => buf.fresh('ck'));
    for (const a of accs) buf.stmt(syntax.declSum?.(a) ?? buf.d.declVal(a, buf.d.lit(0)));
    const body = (kExpr: (u: number) => string, count: number) => {
      for (let u = 0; u < count; u++) {
        const [e] = emitFormula(buf, scalar, (s, k) =>
          s >= nSlots ? placeholders[s - nSlots]! : k === 0 ? loader.loadAt(s, kExpr(u)) : '0',
        );
        buf.stmt(`${accs[u % nAcc]} += ${e};`);
      }
    };
    if (full > 0) {
      if (syntax.pragma) buf.stmt(syntax.pragma);
      buf.stmt(`for (${syntax.declIndex(kc)}; ${kc} < ${full}; ${kc} += ${unroll}) {`);
      body((u) => (u === 0 ? kc : `${kc} + ${u}`), unroll);
      buf.stmt('}');
    }
    if (d > full) {
      buf.stmt('{');
      body((u) => String(full + u), d - full);
      buf.stmt('}');
    }
    let level = accs;
    while (level.length > 1) {
      const next: string[] = [];
      for (let k = 0; k < level.length; k += 2)
        next.push(k + 1 < level.length ? buf.let(`${level[k]} + ${level[k + 1]}`) : level[k]!);
      level = next;
    }
    const acc = level[0]!;
    done.set(site.node.uid, ph(acc));
  }
  const outer = mapDag(root, (n) => done.get(n.uid), rebuild);
  return emitFormula(buf, outer, loadAny);
}

/**
 * Emits `count` components of the elementwise vector `vec` (see `elementwiseTree`) at run-time
 * indices `index(0..count-1)`: the IR of one component, emitted `count` times. Dimension-1 leaves
 * are computed once, before.
 */
export function emitComponentsAt(
  buf: CodeBuffer,
  vec: Node,
  nSlots: number,
  loader: SlotLoader,
  index: (u: number) => string,
  count: number,
  syntax: LoopSyntax = C_LOOP,
): string[] {
  const placeholders: string[] = [];
  const leafPh = new Map<number, Node>();
  for (const leaf of scalarLeaves(vec)) {
    const expr = isVar(leaf)
      ? loader.load(varIndex(leaf), 0)
      : buf.let(emitWithChunks(buf, leaf, nSlots, loader, CHUNK_MIN_DIM, CHUNK_UNROLL, syntax)[0]!);
    placeholders.push(expr);
    leafPh.set(leaf.uid, Var(nSlots + placeholders.length - 1, 1, 'p'));
  }
  const scalar = mapDag(
    vec,
    (n) => leafPh.get(n.uid) ?? (isVar(n) ? Var(varIndex(n), 1, varCat(n)) : undefined),
    rebuild,
  );
  const out: string[] = [];
  for (let u = 0; u < count; u++) {
    const [e] = emitFormula(buf, scalar, (s) =>
      s >= nSlots ? placeholders[s - nSlots]! : loader.loadAt(s, index(u)),
    );
    out.push(buf.let(e!));
  }
  return out;
}

/** Slots of the vector variables above the scalar leaves of `vec` (read at a run-time index). */
export function vectorSlots(vec: Node): number[] {
  const out = new Set<number>();
  const stack = [vec];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.dim === 1) continue;
    if (isVar(n)) out.add(varIndex(n));
    else stack.push(...n.args);
  }
  return [...out];
}

function rebuild(name: string, args: Node[], params: readonly number[]): Node {
  return op(name, args, params);
}
