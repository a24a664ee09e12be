/**
 * The steps of a k-means run shared by plain Lloyd (lloyd.ts) and the bounded variant
 * (hamerly.ts): the problem record, the full assignment (one Min_ArgMin reduction), the
 * re-seeding of empty clusters, the weighted means and the outer loop of iterations (the
 * per-cluster sums of the update step: fused with the assignment by the engine for plain Lloyd,
 * clusterSums.ts kept up to date by incrementalSums.ts for Hamerly's).
 */
import { type LazyTensor, type ReduceOptions, reduce, Vj } from '../lazy/index.js';
import { allocFloat, type FloatArray } from '../ndarray.js';
import type { Points } from './input.js';

/** The data of one k-means problem, shared by the restarts. */
export interface Problem {
  p: Points;
  K: number;
  /** Sample weights; undefined when all are 1 (no N-sized array of ones). */
  w: Float64Array | undefined;
  X: LazyTensor;
  eng: ReduceOptions;
}

/** What a run returns (kmeans.ts packages it): labels and inertia are those of centroids `c`. */
export interface RunResult {
  labels: Int32Array;
  /** Centroids [K·D] in float64 (the data dtype rounds them in the result). */
  c: Float64Array;
  inertia: number;
  iterations: number;
  converged: boolean;
}

/**
 * The assignment step of a run: the Min_ArgMin reduction of ‖x_i − c_j‖² over j, bound once to
 * the data and to a centroid array that each call overwrites, writing into the run's own arrays
 * (the labels returned by a run are these: each run has its own).
 */
export interface Assignment {
  /**
   * Nearest centroid of every point, into `labels` (default: the `labels` below), and its squared
   * distance, into `d2`, for centroids c [K·D].
   */
  (c: Float64Array, labels?: Int32Array): void;
  d2: FloatArray;
  labels: Int32Array;
  /**
   * With `withSums`: every cluster's weighted sums for the labels just written ([K·(D+1)] as
   * `clusterSums` sets them, bit for bit), computed by the same engine call (the `groupSums`
   * option: natively on the native backend, without a pass of JavaScript over the points).
   */
  sums?: Float64Array;
}

export function assignment(pr: Problem, withSums = false): Assignment {
  const { n, d, dtype, data } = pr.p;
  const cData = allocFloat(dtype, pr.K * d);
  const F = pr.X.sqdist(Vj({ data: cData, shape: [pr.K, d] }));
  const own: Int32Array = new Int32Array(n);
  const sums = withSums ? new Float64Array(pr.K * (d + 1)) : undefined;
  const into: { values: FloatArray; indices: Int32Array; groups?: Float64Array } = {
    values: allocFloat(dtype, n),
    indices: own,
    groups: sums,
  };
  const groupSums = withSums
    ? { values: { data, shape: [n, d] }, weights: pr.w && { data: pr.w, shape: [n] } }
    : undefined;
  const run = (c: Float64Array, labels = own) => {
    cData.set(c);
    into.indices = labels;
    reduce({
      formula: F.formula,
      kind: 'Min_ArgMin',
      axis: 'j',
      data: F.vars,
      opts: pr.eng,
      into,
      groupSums,
    });
  };
  return Object.assign(run, { d2: into.values, labels: own, sums });
}

/** A point moved to an empty cluster by `reseedEmpty`. */
export interface Move {
  point: number;
  from: number;
  to: number;
}

/**
 * Gives every cluster without weight in `acc` (as `clusterSums` of clusterSums.ts sets it) the point farthest from
 * its centroid (largest d², then lowest index; each point at most once), moving its weight out of
 * its old cluster's row. Returns the moves (`labels` is left alone).
 */
export function reseedEmpty(pr: Problem, labels: Int32Array, d2: FloatArray, acc: Float64Array): Move[] {
  const { K, w } = pr;
  const { n, d, data } = pr.p;
  const r = d + 1;
  const weightOf = (i: number) => (w ? w[i]! : 1);
  const moves: Move[] = [];
  let taken: Uint8Array | undefined;
  for (let k = 0; k < K; k++) {
    if (acc[k * r + d]! > 0) continue;
    taken ??= new Uint8Array(n);
    let far = -1;
    for (let i = 0; i < n; i++) {
      if (weightOf(i) > 0 && !taken[i] && (far < 0 || d2[i]! > d2[far]!)) far = i;
    }
    if (far < 0) continue;
    taken[far] = 1;
    const old = labels[far]!;
    const wi = weightOf(far);
    acc[old * r + d]! -= wi;
    acc[k * r + d] = wi;
    for (let c = 0; c < d; c++) {
      const v = wi * data[far * d + c]!;
      acc[old * r + c]! -= v;
      acc[k * r + c] = v;
    }
    moves.push({ point: far, from: old, to: k });
  }
  return moves;
}

/** The weighted mean of each cluster of `acc` (float64); a cluster without weight keeps `prev`. */
export function means(acc: Float64Array, prev: Float64Array, K: number, d: number): Float64Array {
  const r = d + 1;
  const out = Float64Array.from(prev);
  for (let k = 0; k < K; k++) {
    const m = acc[k * r + d]!;
    if (m > 0) for (let c = 0; c < d; c++) out[k * d + c] = acc[k * r + c]! / m;
  }
  return out;
}

/** Σ_k ‖a_k − b_k‖² (the centroid shift of scikit-learn's stopping rule). */
export function shift(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return s;
}

/** What the loop of a run (`iterate`) asks of its assignment and update steps. */
export interface RunSteps {
  /** The cluster sums (as `clusterSums`, no cluster empty unless no point can fill it) for centroids c. */
  sums(c: Float64Array): Float64Array;
  /** Called with each new set of centroids (before the stopping test). */
  moved?(c: Float64Array): void;
}

/**
 * The outer loop of a run: new centroids are the means of the sums for the current ones, until
 * their shift is at most `tolAbs` (converged) or after `maxIter` iterations. Returns the last
 * centroids.
 */
export function iterate(
  pr: Problem,
  init: Float64Array,
  maxIter: number,
  tolAbs: number,
  steps: RunSteps,
): { c: Float64Array; iterations: number; converged: boolean } {
  const { K, p } = pr;
  let c = init;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    const next = means(steps.sums(c), c, K, p.d);
    const s = shift(next, c);
    c = next;
    iterations++;
    steps.moved?.(c);
    if (s <= tolAbs) {
      converged = true;
      break;
    }
  }
  return { c, iterations, converged };
}
