import { isVar, mapDag, type Node, varCat, varIndex } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import { Var } from '../../formula/ops/leaves.js';
import { CHUNK_MIN_DIM, type ChunkSite, findChunkSites } from './loops.js';

/**
 * The sites of a GEMM-like path, shared by the backends that tile them (native: register
 * micro-kernel; cuda: shared-memory tiles): vector reductions of dimension D >= CHUNK_MIN_DIM
 * (`findChunkSites`: an op with the `summand` trait over an elementwise vector) whose summand is
 * arithmetic of variables only, at least one i- and one j-variable among them (SqDist, scalar
 * products, weighted distances, ...). Such a sum is a function of (row, column) alone, so a block
 * of rows × columns can be computed with the feature dimension streamed through once for all of
 * them. Chosen from the IR's shape and traits, never by op name. Backends add their own limits
 * (native: operators only, for its vector types).
 */
export interface PairedSite extends ChunkSite {
  /** The summand rebuilt with dimension-1 variables: the IR of one component. */
  scalar: Node;
}

/** Whether every leaf of `v` is a variable and both an i- and a j-variable occur. */
export function pairsIJ(v: Node): boolean {
  let i = false;
  let j = false;
  const stack = [v];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.uid)) continue;
    seen.add(n.uid);
    if (isVar(n)) {
      if (varCat(n) === 'i') i = true;
      if (varCat(n) === 'j') j = true;
      continue;
    }
    if (n.dim === 1 || n.args.length === 0) return false; // a computed scalar or a constant leaf
    stack.push(...n.args);
  }
  return i && j;
}

/** The vector reductions of `root` that pair an i- with a j-variable (see `PairedSite`), in topological order. */
export function pairedSites(root: Node, minDim = CHUNK_MIN_DIM): PairedSite[] {
  const out: PairedSite[] = [];
  for (const site of findChunkSites(root, minDim)) {
    if (!pairsIJ(site.vector)) continue;
    const scalar = mapDag(
      site.vector,
      (n) => (isVar(n) ? Var(varIndex(n), 1, varCat(n)) : undefined),
      (name, args, params) => op(name, args, params),
    );
    out.push({ ...site, scalar });
  }
  return out;
}
