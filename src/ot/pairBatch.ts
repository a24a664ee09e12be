import { reduceBlockDiagonal } from '../lazy/blockDiagonal.js';
import type { FloatArray } from '../ndarray.js';
import type { Cost } from './cost.js';
import { OnlinePair, type PairOps } from './pairs.js';

/** One pair problem of a batch and its column vector h (B·m values). */
export interface PairJob {
  pair: PairOps;
  h: Float64Array;
}

/**
 * Softmins of several pair problems at one ε (results in job order). Online pairs of one
 * problem (same cost, dtype, batch and engine) run as ONE block-diagonal engine reduction
 * (reduceBlockDiagonal: one diagonal block per (problem, batch), or the kept blocks of a pair
 * with ranges). A Sinkhorn iteration then costs one call instead of four: the per-call overhead
 * (argument checks, thread wake-up, kernel launch) is paid once, and small problems fill the
 * threads.
 */
export function softmins(eps: number, jobs: readonly PairJob[]): Float64Array[] {
  return runGrouped(
    jobs,
    (j) => j.pair.softmin(eps, j.h),
    (pairs, js) =>
      reduceBlockDiagonal(
        pairs.map((p, t) => ({ formula: p.logits(eps, js[t]!.h), ranges: p.ranges })),
        'LogSumExp',
        'j',
        { backend: pairs[0]!.engine.compute },
      ).map((r) => mapped(r.values!.data, (x) => -eps * x)),
    () => true,
  );
}

/** softGrad of several pair problems at one ε (results in job order), fused like `softmins`. */
export function softGrads(eps: number, jobs: readonly PairJob[]): Float64Array[] {
  return runGrouped(
    jobs,
    (j) => j.pair.softGrad(eps, j.h),
    (pairs, js) =>
      reduceBlockDiagonal(
        pairs.map((p, t) => ({
          formula: p.logits(eps, js[t]!.h),
          weight: p.cost.gradient!(p.U, p.V),
          ranges: p.ranges,
        })),
        'SumSoftMaxWeight',
        'j',
        { backend: pairs[0]!.engine.compute },
      ).map((r) => mapped(r.values!.data, (x) => x)),
    // Custom costs differentiate through the engine's autodiff, one pair at a time.
    (p) => p.cost.gradient !== undefined,
  );
}

function mapped(out: FloatArray, f: (x: number) => number): Float64Array {
  const r = new Float64Array(out.length);
  for (let k = 0; k < out.length; k++) r[k] = f(out[k]!);
  return r;
}

/**
 * Splits the jobs into fusable groups (online pairs with the same cost, engine, dtype and batch,
 * and the same orientation when the cost may be asymmetric) and runs each group as one call.
 */
function runGrouped(
  jobs: readonly PairJob[],
  single: (job: PairJob) => Float64Array,
  fused: (pairs: OnlinePair[], jobs: readonly PairJob[]) => Float64Array[],
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
    const res =
      js.length === 1
        ? [single(js[0]!)]
        : fused(
            js.map((j) => j.pair as OnlinePair),
            js,
          );
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
  // Built-in costs are symmetric: a transposed pair builds the same formula (see OnlinePair).
  const orientation = p.cost.kind === 'custom' ? String(p.swap) : '';
  return [c, orientation, p.dtype, p.B, p.d, p.batched, p.engine.compute ?? ''].join('|');
}
