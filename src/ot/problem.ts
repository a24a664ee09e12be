import { check } from '../errors.js';
import type { Ranges } from '../lazy/ranges.js';
import type { Cost } from './cost.js';
import { type Cloud, type PointsInput, readCloud, readWeights, type WeightsInput } from './input.js';
import type { ResolvedOptions } from './options.js';
import type { PairOps } from './pairs.js';
import { checkEpsilonRange, checkPointExtent, reachRho } from './scale.js';
import { epsilonSchedule, maxDiameter } from './schedule.js';

/**
 * Builds the pair operators of a (rows, cols) problem; `swap` for the transposed cross problem;
 * `ranges` to keep only some (row, column) blocks (a truncated kernel, unbatched clouds; the
 * transposed problem takes `transposeRanges(ranges)`).
 */
export type PairFactory = (rows: Cloud, cols: Cloud, swap: boolean, ranges?: Ranges) => PairOps;

/**
 * Everything a Sinkhorn or Hausdorff computation needs (what an OT backend, e.g. a multiscale
 * solver, receives): the clouds, their weights, the resolved options, the cost (parsed once per
 * call) and the factory of pair operators built on that cost.
 */
export interface SinkhornProblem {
  x: Cloud;
  y: Cloud;
  a: Float64Array;
  b: Float64Array;
  opts: ResolvedOptions;
  /** The transport cost of `opts` (p and custom formula), built once for the whole call. */
  cost: Cost;
  makePair: PairFactory;
  backend: string;
}

/** ε-schedule parameters of a problem for a cost exponent p: the ε list and ρ (unbalanced). */
export function scalingParameters(pr: SinkhornProblem, p: number): { epsList: number[]; rho?: number } {
  const { opts } = pr;
  const extent = maxDiameter(pr.x, pr.y);
  // A degenerate cloud (all points equal) has diameter 0: the schedule then starts at blur.
  const diameter = opts.diameter ?? (extent > 0 ? extent : opts.blur);
  const epsList = epsilonSchedule(p, diameter, opts.blur, opts.scaling);
  checkEpsilonRange(p, opts.blur, diameter, extent, pr.x.dtype);
  return { epsList, rho: reachRho(p, opts.reach) };
}

/** The two sides of a problem: the clouds and their weights (float64). */
export interface ProblemSides {
  x: Cloud;
  y: Cloud;
  a: Float64Array;
  b: Float64Array;
}

/**
 * Reads x and y as the two sides of one problem, with their weights (default uniform): same
 * dimension, batch size and dtype, squared distances finite in that dtype. `who` names the
 * caller in the errors.
 */
export function readSides(
  x: PointsInput,
  y: PointsInput,
  weights: { a?: WeightsInput; b?: WeightsInput },
  who: string,
): ProblemSides {
  const cx = readCloud(x, `${who}: x`);
  const cy = readCloud(y, `${who}: y`);
  check(cx.d === cy.d, () => `${who}: x and y must have the same dimension D, got ${cx.d} and ${cy.d}`);
  check(
    cx.batched === cy.batched && cx.B === cy.B,
    () =>
      `${who}: x and y must have the same batch size, got shapes [${cx.shape.join(', ')}] and [${cy.shape.join(', ')}]`,
  );
  check(
    cx.dtype === cy.dtype,
    () => `${who}: x and y must have the same dtype, got ${cx.dtype} and ${cy.dtype}`,
  );
  checkPointExtent(cx, cy);
  return {
    x: cx,
    y: cy,
    a: readWeights(weights.a, cx, `${who}: a`),
    b: readWeights(weights.b, cy, `${who}: b`),
  };
}
