import { check } from '../../errors.js';
import type { FloatArray } from '../../ndarray.js';
import { type SparsePlan, sparsePlan } from './sparsePlan.js';
import { SpanningTree } from './tree.js';
import { checkBalanced, checkWeights } from './validate.js';

/** Result of an exact (linear programming) optimal transport solve. */
export interface ExactOTResult {
  /** Σ_ij π_ij C_ij at the optimum. */
  value: number;
  /** Dual potentials: f_i + g_j ≤ C_ij for every pair, with equality where π_ij > 0. */
  f: Float64Array;
  g: Float64Array;
  /** The optimal plan: at most N + M − 1 non-zero entries (a vertex of the transport polytope). */
  plan: SparsePlan;
  /** Number of simplex pivots. */
  iterations: number;
  /** False when `maxIter` stopped the solver before optimality. */
  converged: boolean;
}

/** Options of `networkSimplex`. */
export interface NetworkSimplexOptions {
  /** Pivot limit (default 100·(N+M)·⌈log2(N·M)⌉ + 10000). */
  maxIter?: number;
}

/**
 * Exact optimal transport between discrete measures a (N) and b (M) for the dense cost matrix C
 * (N×M, row-major): minimises Σ π_ij C_ij over π ≥ 0 with row sums a and column sums b. The
 * costs are taken as given (no units are assumed). Primal network simplex on the complete
 * bipartite graph with an artificial root (big-M start), block search pricing and strongly
 * feasible trees (Cunningham's leaving-arc rule, no cycling), in float64.
 * Masses must be equal (relative tolerance 1e-6; b is rescaled onto a's total mass).
 */
export function networkSimplex(
  a: FloatArray | number[],
  b: FloatArray | number[],
  C: FloatArray | number[],
  opts: NetworkSimplexOptions = {},
): ExactOTResult {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['C', C],
  ] as const)
    check(
      Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array,
      () =>
        `networkSimplex: ${name} must be a number[], Float64Array or Float32Array, got ${v === null ? 'null' : typeof v}`,
    );
  check(
    opts.maxIter === undefined || (Number.isInteger(opts.maxIter) && opts.maxIter >= 0),
    () => `networkSimplex: maxIter must be an integer ≥ 0, got ${String(opts.maxIter)}`,
  );
  const n = a.length;
  const m = b.length;
  checkWeights(a, 'a', n);
  checkWeights(b, 'b', m);
  check(
    C.length === n * m,
    () => `networkSimplex: the cost matrix must hold N·M = ${n * m} values, got ${C.length}`,
  );
  for (let k = 0; k < C.length; k++) {
    check(Number.isFinite(C[k]), () => `networkSimplex: cost entry ${k} is not finite (${C[k]})`);
  }
  const scale = checkBalanced(a, b, 'networkSimplex');

  // Active nodes: only points of positive mass enter the graph.
  const src: number[] = [];
  const snk: number[] = [];
  for (let i = 0; i < n; i++) if (a[i]! > 0) src.push(i);
  for (let j = 0; j < m; j++) if (b[j]! > 0) snk.push(j);
  const ns = src.length;
  const nt = snk.length;
  const nArcs = ns * nt;

  // Compact cost matrix over active nodes, shifted to be non-negative.
  let cmin = Number.POSITIVE_INFINITY;
  let cmax = Number.NEGATIVE_INFINITY;
  const cost = new Float64Array(nArcs);
  for (let s = 0; s < ns; s++) {
    const row = src[s]! * m;
    for (let t = 0; t < nt; t++) {
      const c = C[row + snk[t]!]!;
      cost[s * nt + t] = c;
      if (c < cmin) cmin = c;
      if (c > cmax) cmax = c;
    }
  }
  for (let k = 0; k < nArcs; k++) cost[k] = cost[k]! - cmin;
  const nNodes = ns + nt;
  const root = nNodes;
  const art = (cmax - cmin + 1) * (nNodes + 1);
  // The artificial arcs' cost bounds every potential: it must be finite (else ∞ − ∞ = NaN).
  check(
    Number.isFinite(art),
    () =>
      `networkSimplex: the costs span [${cmin}, ${cmax}]: the solver's bound (max − min + 1)·(N + M + 1) overflows ` +
      'float64; rescale the costs',
  );
  const tol = 64 * Number.EPSILON * art;

  // Initial tree: every node hangs from the root by an artificial arc (id nArcs + node).
  const T = new SpanningTree(nNodes + 1);
  T.depth[root] = 0;
  for (let v = 0; v < nNodes; v++) {
    T.parent[v] = root;
    T.pred[v] = nArcs + v;
    T.depth[v] = 1;
    T.addChild(root, v);
    if (v < ns) {
      T.up[v] = 1; // v -> root, cost 0
      T.flow[v] = a[src[v]!]!;
      T.pi[v] = 0;
    } else {
      T.up[v] = 0; // root -> v, cost art
      T.flow[v] = b[snk[v - ns]!]! * scale;
      T.pi[v] = -art;
    }
  }
  const inTree = new Uint8Array(nArcs);

  const maxIter = opts.maxIter ?? 100 * nNodes * Math.ceil(Math.log2(nArcs + 2)) + 10000;
  const block = Math.max(10, Math.ceil(Math.sqrt(nArcs)));
  const { pi } = T;
  let next = 0; // pricing position
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    // Block search: the most negative reduced cost in the first block that has one.
    let best = -1;
    let bestRc = -tol;
    let scanned = 0;
    let k = next;
    let s = Math.floor(k / nt);
    let t = k - s * nt;
    while (scanned < nArcs) {
      const end = Math.min(scanned + block, nArcs);
      for (; scanned < end; scanned++) {
        if (inTree[k] === 0) {
          const rc = cost[k]! - pi[s]! + pi[ns + t]!;
          if (rc < bestRc) {
            bestRc = rc;
            best = k;
          }
        }
        k++;
        t++;
        if (t === nt) {
          t = 0;
          s++;
          if (k === nArcs) {
            k = 0;
            s = 0;
          }
        }
      }
      if (best >= 0) break;
    }
    if (best < 0) {
      converged = true;
      break;
    }
    next = k;
    pivot(T, best, bestRc, ns, nt, inTree, nArcs);
    iterations++;
  }

  // Read the solution back.
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  for (let s = 0; s < ns; s++) f[src[s]!] = pi[s]! - pi[root]! + cmin;
  for (let t = 0; t < nt; t++) g[snk[t]!] = -(pi[ns + t]! - pi[root]!);
  const rows: number[] = [];
  const cols: number[] = [];
  const mass: number[] = [];
  let value = 0;
  let fa = 0;
  let gb = 0;
  for (let v = 0; v < nNodes; v++) {
    const arc = T.pred[v]!;
    if (arc >= nArcs || T.flow[v]! <= 0) continue;
    const s = Math.floor(arc / nt);
    const i = src[s]!;
    const j = snk[arc - s * nt]!;
    const fl = T.flow[v]! / scale;
    rows.push(i);
    cols.push(j);
    mass.push(fl);
    value += fl * C[i * m + j]!;
  }
  // Symmetric normalisation of the potentials: <a, f> = <b, g>.
  let ma = 0;
  for (const i of src) {
    fa += a[i]! * f[i]!;
    ma += a[i]!;
  }
  for (const j of snk) gb += b[j]! * g[j]!;
  const shift = (gb - fa) / (2 * ma);
  for (const i of src) f[i] = f[i]! + shift;
  for (const j of snk) g[j] = g[j]! - shift;
  completeZeroMass(f, g, a, b, C, snk);
  return { value, f, g, plan: sparsePlan(n, m, rows, cols, mass), iterations, converged };
}

/** One pivot: entering arc `k` (reduced cost rc < 0), Cunningham's leaving arc, tree update. */
function pivot(
  T: SpanningTree,
  k: number,
  rc: number,
  ns: number,
  nt: number,
  inTree: Uint8Array,
  nArcs: number,
): void {
  const s = Math.floor(k / nt);
  const u = s; // source of the entering arc
  const v = ns + (k - s * nt); // target
  const w = T.join(u, v);
  const { parent, up, flow } = T;
  // Flow goes u -> v, then up from v to w, then down from w to u. Blocking arcs: those whose
  // flow decreases. Ties go to the last blocking arc met when walking the cycle from w.
  let delta = Number.POSITIVE_INFINITY;
  let leave = -1; // node whose pred arc leaves
  let leaveOnUSide = false;
  for (let x = v; x !== w; x = parent[x]!) {
    if (up[x] === 0 && flow[x]! <= delta) {
      delta = flow[x]!;
      leave = x;
    }
  }
  for (let x = u; x !== w; x = parent[x]!) {
    if (up[x] === 1 && flow[x]! < delta) {
      delta = flow[x]!;
      leave = x;
      leaveOnUSide = true;
    }
  }
  if (delta > 0) {
    for (let x = v; x !== w; x = parent[x]!) flow[x] = up[x] === 1 ? flow[x]! + delta : flow[x]! - delta;
    for (let x = u; x !== w; x = parent[x]!) flow[x] = up[x] === 1 ? flow[x]! - delta : flow[x]! + delta;
  }
  const out = T.pred[leave]!;
  if (out < nArcs) inTree[out] = 0;
  inTree[k] = 1;
  if (leaveOnUSide) {
    // The cut subtree holds u: hang it from v, u -> v points up.
    T.reroot(leave, u, v, k, 1, delta);
    T.shiftSubtree(u, rc);
  } else {
    T.reroot(leave, v, u, k, 0, delta);
    T.shiftSubtree(v, -rc);
  }
}

/** Potentials of zero-mass points by c-transform (the tightest feasible values). */
function completeZeroMass(
  f: Float64Array,
  g: Float64Array,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  C: ArrayLike<number>,
  snk: number[],
): void {
  const n = f.length;
  const m = g.length;
  for (let i = 0; i < n; i++) {
    if (a[i]! > 0) continue;
    let best = Number.POSITIVE_INFINITY;
    for (const j of snk) best = Math.min(best, C[i * m + j]! - g[j]!);
    f[i] = best;
  }
  for (let j = 0; j < m; j++) {
    if (b[j]! > 0) continue;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) best = Math.min(best, C[i * m + j]! - f[i]!);
    g[j] = best;
  }
}
