/**
 * The state of one Hamerly run (hamerly.ts): labels, per-point bounds (hamerlyBounds.ts), cluster
 * sums kept up to date (incrementalSums.ts) and the reductions on the points whose bounds fail
 * (hamerlyReductions.ts). A class, as those: its loops keep V8's optimised code from one run to
 * the next.
 */
import { allocFloat, type FloatArray } from '../ndarray.js';
import {
  boundsTest,
  centroidMoves,
  decideRows,
  rowSqDist,
  scaledRoots,
  slackOf,
  TIE,
} from './hamerlyBounds.js';
import { Separation, SubsetReductions } from './hamerlyReductions.js';
import { IncrementalSums } from './incrementalSums.js';
import { type Assignment, assignment, type Problem, reseedEmpty } from './kmeansSteps.js';

/** Σ_i w_i ‖x_i − c_{labels i}‖² in float64 (Infinity when a term overflows the data dtype). */
function weightedInertia(
  labels: Int32Array,
  w: Float64Array | undefined,
  data: FloatArray,
  c: Float64Array,
  d: number,
): number {
  let total = 0;
  let worst = 0;
  for (let i = 0; i < labels.length; i++) {
    const q = rowSqDist(data, i, c, labels[i]!, d);
    if (q > worst) worst = q;
    total += w ? w[i]! * q : q;
  }
  // A squared distance beyond the dtype overflowed in the reductions (as plain Lloyd's inertia).
  return worst > (data instanceof Float32Array ? F32_MAX : Number.MAX_VALUE)
    ? Number.POSITIVE_INFINITY
    : total;
}

/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** One Hamerly run: the bounds, the labels and the cluster sums. */
export class HamerlyRun {
  private readonly d: number;
  private readonly data: FloatArray;
  private readonly up: number;
  private readonly down: number;
  private readonly assign: Assignment;
  readonly labels: Int32Array;
  /** Upper bounds on each point's distance to its centroid. */
  private readonly u: Float64Array;
  /** Lower bounds on each point's distance to every other centroid (0 at first: tests s only). */
  private readonly l: Float64Array;
  /** Points to assign again. */
  private readonly idx: Int32Array;
  /** Per point of idx after decideRows: its old label when it moved, else STAY or TIE. */
  private readonly moved: Int32Array;
  readonly sums: IncrementalSums;
  /** The centroids as the reductions see them (rounded to the dtype), in the dtype and float64. */
  private readonly cData: FloatArray;
  private readonly cr: Float64Array;
  /** cr at the previous update. */
  private readonly crPrev: Float64Array;
  /** Bound on each centroid's move since the previous update. */
  private readonly delta: Float64Array;
  /** Bound on the moves of the centroids other than each one. */
  private readonly lower: Float64Array;
  private readonly sub: SubsetReductions;
  private readonly sep: Separation;

  constructor(private readonly pr: Problem) {
    const { K, p } = pr;
    const { n, d, dtype } = p;
    const slack = slackOf(dtype, d);

    this.d = d;
    this.data = p.data;
    this.up = 1 + slack;
    this.down = 1 - slack;
    this.assign = assignment(pr);
    this.labels = this.assign.labels;
    this.u = new Float64Array(n);
    this.l = new Float64Array(n);
    this.idx = new Int32Array(n);
    this.moved = new Int32Array(n);
    this.sums = new IncrementalSums(pr);
    this.cData = allocFloat(dtype, K * d);
    this.cr = new Float64Array(K * d);
    this.crPrev = new Float64Array(K * d);
    this.delta = new Float64Array(K);
    this.lower = new Float64Array(K);
    this.sub = new SubsetReductions(pr, this.labels, this.cData);
    this.sep = new Separation(pr, this.cr, this.down);
  }

  /** Sets the centroids c (float64) as the reductions see them. */
  private setCentroids(c: Float64Array): void {
    this.crPrev.set(this.cr);
    this.cData.set(c);
    this.cr.set(this.cData);
  }

  /**
   * Exact assignment of every point to centroids c (one full Min_ArgMin): labels, d2, upper
   * bounds, sums from scratch; lower bounds back to 0 (a tie may have changed a label).
   */
  assignAll(c: Float64Array): void {
    this.setCentroids(c);
    this.assign(c);
    scaledRoots(this.assign.d2, this.u, this.up);
    this.l.fill(0);
    this.sums.rebuild(this.labels);
  }

  /** Before an update step: sums with no empty cluster (re-seeded as plain Lloyd), not drifted. */
  prepareSums(c: Float64Array): Float64Array {
    const sums = this.sums;
    if (sums.hasEmpty()) {
      // Re-seeding needs every point's squared distance, as plain Lloyd's.
      this.assignAll(c);
      for (const mv of reseedEmpty(this.pr, this.labels, this.assign.d2, sums.acc)) {
        sums.countMove(mv.from, mv.to);
        this.labels[mv.point] = mv.to;
        // Its new centroid need not be its nearest, and its old one is now an other one: assign
        // it again at the next update.
        this.u[mv.point] = Number.POSITIVE_INFINITY;
        this.l[mv.point] = 0;
      }
    } else if (sums.drifted()) sums.rebuild(this.labels);
    return sums.acc;
  }

  /** Assigns the points to new centroids c, the labels being exact for the previous ones. */
  update(c: Float64Array): void {
    this.setCentroids(c);
    const { cr, d, up } = this;
    const delta = this.delta;
    const lower = this.lower;
    centroidMoves(cr, this.crPrev, d, up, delta, lower);
    const s = this.sep.update();
    const { labels, u, l, data } = this;
    const m = boundsTest(labels, u, l, delta, lower, s, data, cr, d, up, this.idx);
    if (m > 0) this.decide(m);
  }

  /**
   * Applies decideRows' moves (moved[q] ≥ 0: idx[q] left that cluster for its label) to the sums,
   * and gathers the ties at the front of idx (returns how many).
   */
  private moveAll(idx: Int32Array, m: number, moved: Int32Array): number {
    const { labels, sums } = this;
    let ties = 0;
    for (let q = 0; q < m; q++) {
      const i = idx[q]!;
      const a = moved[q]!;
      if (a >= 0) sums.move(i, a, labels[i]!);
      else if (a === TIE) idx[ties++] = i;
    }
    return ties;
  }

  /**
   * Assigns the points idx[0..m) (u holds their exact distance to their centroid, times `up`):
   * one reduction gives each its nearest other centroid j; the point moves to j or stays, with
   * both bounds exact, unless the two distances are within the slack (a near tie, which plain
   * Min_ArgMin then decides, as in plain Lloyd).
   */
  private decide(m: number): void {
    const { labels, u, l, up, down } = this;
    const idx = this.idx;
    const sub = this.sub;
    sub.others(idx, m);
    const moved = this.moved;
    if (decideRows(idx, m, labels, u, l, sub.values, sub.indices, up, down, moved) === 0) {
      this.moveAll(idx, m, moved);
      return;
    }
    const ties = this.moveAll(idx, m, moved);
    sub.nearest(idx, ties);
    for (let q = 0; q < ties; q++) {
      const i = idx[q]!;
      const b = sub.indices[q]!;
      const a = labels[i]!;
      if (b !== a) {
        labels[i] = b;
        this.sums.move(i, a, b);
      }
      u[i] = Math.sqrt(sub.values[q]!) * up;
    }
  }

  /** Σ w_i ‖x_i − c_{label i}‖² for the current centroids (labels being exact). */
  inertia(): number {
    return weightedInertia(this.labels, this.pr.w, this.data, this.cr, this.d);
  }
}
