import { type PairJob, softmins } from './pairBatch.js';
import type { PairOps } from './pairs.js';
import { dampening } from './schedule.js';

/** The four pair problems of a (debiased) Sinkhorn loop: OT(α,β) both ways, OT(α,α), OT(β,β). */
export interface SinkhornPairs {
  /** Rows x, columns y: updates f (on x) from g. */
  xy: PairOps;
  /** Rows y, columns x: updates g (on y) from f. */
  yx: PairOps;
  /** Symmetric problems, needed when debiasing. */
  xx?: PairOps;
  yy?: PairOps;
}

/** Potentials at the end of the loop (after the final extrapolation) and what produced them. */
export interface SinkhornState {
  /** OT(α,β) potentials: f_ba on x, g_ab on y. */
  fBA: Float64Array;
  gAB: Float64Array;
  /** Symmetric potentials (debiased only): f_aa on x, g_bb on y. */
  fAA?: Float64Array;
  gBB?: Float64Array;
  /** The column vectors h fed to the final softmins (for the gradients): h = log w + potential/ε. */
  hXY: Float64Array;
  hYX: Float64Array;
  hXX?: Float64Array;
  hYY?: Float64Array;
  /** Final ε (= blur^p) and the number of ε steps run. */
  eps: number;
  iterations: number;
}

/** Options of the loop. */
export interface SinkhornLoopOptions {
  /** log a (B·N) and log b (B·M), zero weights clamped to −100000. */
  aLog: Float64Array;
  bLog: Float64Array;
  epsList: readonly number[];
  /** ρ = reach^p, undefined for balanced OT. */
  rho?: number;
  debias: boolean;
}

/** h = logw + f/ε, elementwise. */
function shifted(logw: Float64Array, f: Float64Array, eps: number): Float64Array {
  const h = new Float64Array(f.length);
  for (let k = 0; k < f.length; k++) h[k] = logw[k]! + f[k]! / eps;
  return h;
}

function scaled(v: Float64Array, s: number): Float64Array {
  if (s !== 1) for (let k = 0; k < v.length; k++) v[k] = v[k]! * s;
  return v;
}

function average(a: Float64Array, b: Float64Array): Float64Array {
  for (let k = 0; k < a.length; k++) a[k] = 0.5 * (a[k]! + b[k]!);
  return a;
}

/**
 * The Sinkhorn loop exactly as GeomLoss runs it: initial softmins at ε_0, then for every ε of the
 * schedule one symmetric ("averaged") update of the four potentials, each damped by 1/(1+ε/ρ);
 * then a last extrapolation step at the final ε (cross updates in parallel). The updates of one
 * step read only the previous potentials, so each step's softmins run as one batch (one engine
 * call for online pairs, see pairBatch.ts).
 */
export function sinkhornLoop(pairs: SinkhornPairs, o: SinkhornLoopOptions): SinkhornState {
  const { xy, yx, xx, yy } = pairs;
  const { aLog, bLog, epsList, rho, debias } = o;
  /** Softmins of one step, damped: [yx, xy] and, debiased, [xx, yy] after them. */
  const step = (
    eps: number,
    hYX: Float64Array,
    hXY: Float64Array,
    hXX?: Float64Array,
    hYY?: Float64Array,
  ) => {
    const jobs: PairJob[] = [
      { pair: yx, h: hYX },
      { pair: xy, h: hXY },
    ];
    if (debias) jobs.push({ pair: xx!, h: hXX! }, { pair: yy!, h: hYY! });
    const lam = dampening(eps, rho);
    return softmins(eps, jobs).map((v) => scaled(v, lam));
  };

  let eps = epsList[0]!;
  let [gAB, fBA, fAA, gBB] = step(eps, aLog, bLog, aLog, bLog) as [
    Float64Array,
    Float64Array,
    Float64Array?,
    Float64Array?,
  ];
  for (const e of epsList) {
    eps = e;
    const [gtAB, ftBA, ftAA, gtBB] = step(
      eps,
      shifted(aLog, fBA, eps),
      shifted(bLog, gAB, eps),
      debias ? shifted(aLog, fAA!, eps) : undefined,
      debias ? shifted(bLog, gBB!, eps) : undefined,
    );
    gAB = average(gAB, gtAB!);
    fBA = average(fBA, ftBA!);
    if (debias) {
      fAA = average(fAA!, ftAA!);
      gBB = average(gBB!, gtBB!);
    }
  }

  // Final extrapolation: the potentials whose derivatives give the gradients.
  const hYX = shifted(aLog, fBA, eps);
  const hXY = shifted(bLog, gAB, eps);
  const hXX = debias ? shifted(aLog, fAA!, eps) : undefined;
  const hYY = debias ? shifted(bLog, gBB!, eps) : undefined;
  const last = step(eps, hYX, hXY, hXX, hYY);
  const state: SinkhornState = { gAB: last[0]!, fBA: last[1]!, hXY, hYX, eps, iterations: epsList.length };
  if (debias) {
    state.hXX = hXX;
    state.hYY = hYY;
    state.fAA = last[2];
    state.gBB = last[3];
  }
  return state;
}
