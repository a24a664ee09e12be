import { type LazyTensor, Pm, Vi, Vj } from '../lazy/index.js';
import type { Ranges } from '../lazy/ranges.js';
import { allocFloat, type FloatArray } from '../ndarray.js';
import type { Cost } from './cost.js';
import { OnlinePair, type PairOps } from './pairs.js';

/** One pair problem of a batch and its column vector h (B·m values). */
export interface PairJob {
  pair: PairOps;
  h: Float64Array;
}

/**
 * Softmins of several pair problems at one ε (results in job order). Online pairs of one
 * problem (same cost, dtype, batch and engine) run as ONE block-diagonal engine reduction: the
 * row clouds stacked, the column clouds stacked, one diagonal block per (problem, batch). A
 * Sinkhorn iteration then costs one call instead of four: the per-call overhead (argument
 * checks, thread wake-up, kernel launch) is paid once, and small problems fill the threads.
 */
export function softmins(eps: number, jobs: readonly PairJob[]): Float64Array[] {
  return runGrouped(
    jobs,
    (j) => j.pair.softmin(eps, j.h),
    (f, js) => f.softmin(eps, js),
    () => true,
  );
}

/** softGrad of several pair problems at one ε (results in job order), fused like `softmins`. */
export function softGrads(eps: number, jobs: readonly PairJob[]): Float64Array[] {
  return runGrouped(
    jobs,
    (j) => j.pair.softGrad(eps, j.h),
    (f, js) => f.softGrad(eps, js),
    // Custom costs differentiate through the engine's autodiff, one pair at a time.
    (p) => p.cost.gradient !== undefined,
  );
}

/**
 * Splits the jobs into fusable groups (online pairs with the same cost, engine, dtype and batch,
 * and the same orientation when the cost may be asymmetric) and runs each group as one call.
 */
function runGrouped(
  jobs: readonly PairJob[],
  single: (job: PairJob) => Float64Array,
  fused: (f: FusedPairs, jobs: readonly PairJob[]) => Float64Array[],
  fusable: (p: OnlinePair) => boolean,
): Float64Array[] {
  const out: Float64Array[] = new Array(jobs.length);
  const groups = new Map<string, number[]>();
  jobs.forEach((job, k) => {
    const p = job.pair;
    if (!(p instanceof OnlinePair) || !fusable(p)) {
      out[k] = single(job);
      return;
    }
    const key = groupKey(p);
    const g = groups.get(key);
    if (g) g.push(k);
    else groups.set(key, [k]);
  });
  for (const ks of groups.values()) {
    const js = ks.map((k) => jobs[k]!);
    const res = js.length === 1 ? [single(js[0]!)] : fused(fusedFor(js.map((j) => j.pair as OnlinePair)), js);
    ks.forEach((k, t) => {
      out[k] = res[t]!;
    });
  }
  return out;
}

const costIds = new WeakMap<Cost, number>();
let nextCostId = 0;

function groupKey(p: OnlinePair): string {
  let c = costIds.get(p.cost);
  if (c === undefined) {
    c = nextCostId++;
    costIds.set(p.cost, c);
  }
  // Built-in costs are symmetric: a transposed pair computes the same matrix entries.
  const orientation = p.cost.kind === 'custom' ? String(p.swap) : '';
  return [c, orientation, p.dtype, p.B, p.d, p.batched, p.engine.compute ?? ''].join('|');
}

/** Fused problems by their first pair, then by the list of pair ids. */
const fusedCache = new WeakMap<OnlinePair, Map<string, FusedPairs>>();

function fusedFor(pairs: OnlinePair[]): FusedPairs {
  const first = pairs[0]!;
  let byIds = fusedCache.get(first);
  if (!byIds) {
    byIds = new Map();
    fusedCache.set(first, byIds);
  }
  const key = pairs.map((p) => p.id).join(',');
  let f = byIds.get(key);
  if (!f) {
    f = new FusedPairs(pairs);
    byIds.set(key, f);
  }
  return f;
}

/**
 * Several online pair problems as one block-diagonal problem: rows = the row clouds stacked
 * (pair-major, then batch), columns likewise, one diagonal block per (pair, batch).
 */
class FusedPairs {
  private readonly U: LazyTensor;
  private readonly V: LazyTensor;
  private readonly C: LazyTensor;
  private readonly ranges: Ranges;
  private readonly cols: number;

  constructor(private readonly pairs: readonly OnlinePair[]) {
    const { B, d, dtype } = pairs[0]!;
    const rows = pairs.reduce((s, p) => s + B * p.n, 0);
    this.cols = pairs.reduce((s, p) => s + B * p.m, 0);
    const u = allocFloat(dtype, rows * d);
    const v = allocFloat(dtype, this.cols * d);
    const nb = pairs.length * B;
    const rowBlocks = new Int32Array(2 * nb);
    const colBlocks = new Int32Array(2 * nb);
    const slices = new Int32Array(nb);
    let r = 0;
    let c = 0;
    let blk = 0;
    for (const p of pairs) {
      u.set(p.rows.data, r * d);
      v.set(p.cols.data, c * d);
      for (let b = 0; b < B; b++, blk++) {
        rowBlocks[2 * blk] = r + b * p.n;
        rowBlocks[2 * blk + 1] = r + (b + 1) * p.n;
        colBlocks[2 * blk] = c + b * p.m;
        colBlocks[2 * blk + 1] = c + (b + 1) * p.m;
        slices[blk] = blk + 1;
      }
      r += B * p.n;
      c += B * p.m;
    }
    // Block b pairs row block b with column interval b, in both orientations.
    this.ranges = {
      ranges_i: rowBlocks,
      slices_i: slices,
      redranges_j: colBlocks,
      ranges_j: colBlocks,
      slices_j: slices,
      redranges_i: rowBlocks,
    };
    this.U = Vi({ data: u, shape: [rows, d] });
    this.V = Vj({ data: v, shape: [this.cols, d] });
    const first = pairs[0]!;
    this.C =
      first.swap && first.cost.kind === 'custom'
        ? first.cost.build(this.V, this.U)
        : first.cost.build(this.U, this.V);
  }

  private get opts() {
    return { backend: this.pairs[0]!.engine.compute, ranges: this.ranges };
  }

  /** F_ij = h_j − C_ij/ε over the stacked problem, h the jobs' vectors stacked. */
  private logits(eps: number, jobs: readonly PairJob[]): LazyTensor {
    const h = allocFloat(this.pairs[0]!.dtype, this.cols);
    let off = 0;
    for (const j of jobs) {
      h.set(j.h, off);
      off += j.h.length;
    }
    return Vj({ data: h, shape: [this.cols, 1] }).sub(this.C.mul(Pm(1 / eps)));
  }

  softmin(eps: number, jobs: readonly PairJob[]): Float64Array[] {
    const out = this.logits(eps, jobs).logsumexp('j', this.opts).data;
    return this.split(out, 1, (x) => -eps * x);
  }

  softGrad(eps: number, jobs: readonly PairJob[]): Float64Array[] {
    const first = this.pairs[0]!;
    const grad = first.cost.gradient!(this.U, this.V);
    const out = this.logits(eps, jobs).sumSoftmaxWeight(grad, 'j', this.opts).data;
    return this.split(out, first.d, (x) => x);
  }

  /** Cuts the stacked rows back into one Float64Array per pair (B·n·E values each). */
  private split(out: FloatArray, E: number, f: (x: number) => number): Float64Array[] {
    const B = this.pairs[0]!.B;
    let off = 0;
    return this.pairs.map((p) => {
      const len = B * p.n * E;
      const r = new Float64Array(len);
      for (let k = 0; k < len; k++) r[k] = f(out[off + k]!);
      off += len;
      return r;
    });
  }
}
