/**
 * The cluster sums of Hamerly's run (hamerlyRun.ts), kept up to date as points change cluster
 * instead of being summed again at every iteration, and summed from scratch again (clusterSums.ts,
 * the engine's order) when the moved mass makes their rounding drift or a cluster empties. Hamerly
 * knows which points it reassigns; plain Lloyd gets its sums from the engine with every
 * assignment (the `groupSums` option: lloyd.ts).
 */
import type { FloatArray } from '../ndarray.js';
import { clusterSums, sumsScratch } from './clusterSums.js';
import type { Problem } from './kmeansSteps.js';

/**
 * Sums moved out and in this often their cluster's mass are recomputed from scratch (the
 * incremental updates each add about ε64 of the moved mass to the sums' rounding).
 */
const REBUILD_CHURN = 16;

/**
 * Moves point i from cluster a to cluster b in the sums (acc as clusterSums, counts of points of
 * positive weight, churn: mass moved since the last rebuild).
 */
function moveSums(
  i: number,
  a: number,
  b: number,
  w: Float64Array | undefined,
  data: FloatArray,
  d: number,
  acc: Float64Array,
  counts: Int32Array,
  churn: Float64Array,
): void {
  const wi = w ? w[i]! : 1;
  if (wi === 0) return;
  const r = d + 1;
  for (let c = 0; c < d; c++) {
    const v = wi * data[i * d + c]!;
    acc[a * r + c]! -= v;
    acc[b * r + c]! += v;
  }
  acc[a * r + d]! -= wi;
  acc[b * r + d]! += wi;
  counts[a]!--;
  counts[b]!++;
  churn[a]! += wi;
  churn[b]! += wi;
  // An emptied cluster holds exactly nothing (no rounding left to read as a tiny mass).
  if (counts[a] === 0) acc.fill(0, a * r, a * r + r);
}

/**
 * counts[k] = the number of points of label k and positive weight: without weights, the masses of
 * acc (integers, exact in float64); else by a pass over the labels.
 */
function countPositive(
  labels: Int32Array,
  w: Float64Array | undefined,
  acc: Float64Array,
  r: number,
  counts: Int32Array,
): void {
  if (!w) {
    for (let k = 0; k < counts.length; k++) counts[k] = acc[k * r + r - 1]!;
    return;
  }
  counts.fill(0);
  for (let i = 0; i < labels.length; i++) if (w[i]! > 0) counts[labels[i]!]!++;
}

/** Every cluster's weighted sums and mass, updated point by point. */
export class IncrementalSums {
  /** [K·(D+1)]: cluster k's D weighted sums, then its mass (as clusterSums). */
  readonly acc: Float64Array;
  /** Points of positive weight per cluster (empty when 0, as its mass). */
  private readonly counts: Int32Array;
  /** Mass moved in and out of each cluster since its sums were computed from scratch. */
  private readonly churn: Float64Array;
  /** clusterSums' scratch. */
  private readonly scratch: Float64Array;

  constructor(private readonly pr: Problem) {
    const { K, p } = pr;
    this.acc = new Float64Array(K * (p.d + 1));
    this.scratch = sumsScratch(K, p.d);
    this.counts = new Int32Array(K);
    this.churn = new Float64Array(K);
  }

  /** Sums from scratch for `labels`. */
  rebuild(labels: Int32Array): void {
    const { p, w } = this.pr;
    clusterSums(p.data, p.d, w, labels, this.acc, this.scratch);
    countPositive(labels, w, this.acc, p.d + 1, this.counts);
    this.churn.fill(0);
  }

  /** Whether a cluster holds no point of positive weight. */
  hasEmpty(): boolean {
    return this.counts.includes(0);
  }

  /** Whether some cluster's moved mass exceeds REBUILD_CHURN times its own mass. */
  drifted(): boolean {
    const { acc, churn } = this;
    const { d } = this.pr.p;
    const r = d + 1;
    for (let k = 0; k < churn.length; k++) {
      if (churn[k]! > REBUILD_CHURN * Math.abs(acc[k * r + d]!)) return true;
    }
    return false;
  }

  /** Moves point i from cluster a to cluster b. */
  move(i: number, a: number, b: number): void {
    const { w, p } = this.pr;
    moveSums(i, a, b, w, p.data, p.d, this.acc, this.counts, this.churn);
  }

  /** Counts a point moved from cluster a to b whose sums the caller moved (as reseedEmpty does). */
  countMove(a: number, b: number): void {
    this.counts[a]!--;
    this.counts[b]!++;
  }
}
