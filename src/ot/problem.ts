import type { Ranges } from '../lazy/ranges.js';
import type { Cost } from './cost.js';
import type { Cloud } from './input.js';
import type { ResolvedOptions } from './options.js';
import type { PairOps } from './pairs.js';
import { checkEpsilonRange, reachRho } from './scale.js';
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
