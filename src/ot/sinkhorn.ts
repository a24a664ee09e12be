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
  /** Final ε (= blur^p) and the number of ε steps run (schedule + extra steps at the final ε). */
  eps: number;
  iterations: number;
  /** Steps run at the final ε after the schedule (tol / maxIter). */
  extraIterations: number;
  /**
   * L1 marginal error before the final extrapolation: the largest over the problems of the loop
   * and the batches of Σ_i |Σ_j π_ij − a_i| (unbalanced: against a_i e^{−f_i/ρ}).
   */
  marginalError: number;
}

/** Potentials to start from (e.g. extrapolated from a coarser level), instead of the initial softmins. */
export interface SinkhornInit {
  fBA: Float64Array;
  gAB: Float64Array;
  fAA?: Float64Array;
  gBB?: Float64Array;
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
  /** Keep iterating at the final ε until the marginal error is ≤ tol (at most maxIter extra steps). */
  tol?: number;
  maxIter?: number;
  /** Start from these potentials (at epsList[0]) instead of the initial softmins. */
  init?: SinkhornInit;
  /** Skip the final extrapolation (a coarse level of a multiscale solve). */
  noExtrapolation?: boolean;
}

/** Default most extra steps at the final ε when only tol is given. */
export const DEFAULT_MAX_EXTRA_ITERATIONS = 10000;

/**
 * L1 marginal error of one problem, largest over the B batches: row masses
 * w_i exp((f_i − s_i)/ε) against w_i (balanced) or w_i e^{−f_i/ρ}, with s = the undamped softmin
 * of the other potential (`damped` = λ s).
 */
function marginalError(
  logw: Float64Array,
  f: Float64Array,
  damped: Float64Array,
  eps: number,
  rho: number | undefined,
  B: number,
): number {
  const lam = dampening(eps, rho);
  const n = f.length / B;
  let worst = 0;
  for (let b = 0; b < B; b++) {
    let e = 0;
    for (let i = b * n; i < (b + 1) * n; i++) {
      const w = Math.exp(logw[i]!);
      const mass = Math.exp(logw[i]! + (f[i]! - damped[i]! / lam) / eps);
      e += Math.abs(mass - (rho === undefined ? w : w * Math.exp(-f[i]! / rho)));
    }
    if (!(e <= worst)) worst = e;
  }
  return worst;
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
  const { aLog, bLog, epsList, rho, debias, init } = o;
  const B = xy.B;
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
  let [gAB, fBA, fAA, gBB] = (
    init ? [init.gAB, init.fBA, init.fAA, init.gBB] : step(eps, aLog, bLog, aLog, bLog)
  ) as [Float64Array, Float64Array, Float64Array?, Float64Array?];
  let error = Number.POSITIVE_INFINITY;
  /** One averaged step at ε; returns the marginal error of the potentials it started from. */
  const averagedStep = (e: number) => {
    eps = e;
    const [gtAB, ftBA, ftAA, gtBB] = step(
      eps,
      shifted(aLog, fBA, eps),
      shifted(bLog, gAB, eps),
      debias ? shifted(aLog, fAA!, eps) : undefined,
      debias ? shifted(bLog, gBB!, eps) : undefined,
    );
    let err = Math.max(
      marginalError(aLog, fBA, ftBA!, eps, rho, B),
      marginalError(bLog, gAB, gtAB!, eps, rho, B),
    );
    if (debias)
      err = Math.max(
        err,
        marginalError(aLog, fAA!, ftAA!, eps, rho, B),
        marginalError(bLog, gBB!, gtBB!, eps, rho, B),
      );
    gAB = average(gAB, gtAB!);
    fBA = average(fBA, ftBA!);
    if (debias) {
      fAA = average(fAA!, ftAA!);
      gBB = average(gBB!, gtBB!);
    }
    return err;
  };
  for (const e of epsList) error = averagedStep(e);
  /**
   * One step at the final ε after the schedule: alternating (Gauss–Seidel) cross updates, f from g
   * then g from the new f (about twice as fast as averaged steps near the fixed point), and an
   * averaged update of the symmetric potentials. Returns the marginal error of the cross problem
   * before the g update (the f update meets the row marginals) and of the symmetric ones.
   */
  const alternatingStep = () => {
    const lam = dampening(eps, rho);
    const jobs: PairJob[] = [{ pair: xy, h: shifted(bLog, gAB, eps) }];
    if (debias)
      jobs.push({ pair: xx!, h: shifted(aLog, fAA!, eps) }, { pair: yy!, h: shifted(bLog, gBB!, eps) });
    const [ft, ftAA, gtBB] = softmins(eps, jobs).map((v) => scaled(v, lam));
    let err = 0;
    if (debias) {
      err = Math.max(
        marginalError(aLog, fAA!, ftAA!, eps, rho, B),
        marginalError(bLog, gBB!, gtBB!, eps, rho, B),
      );
      fAA = average(fAA!, ftAA!);
      gBB = average(gBB!, gtBB!);
    }
    fBA = ft!;
    const [gt] = softmins(eps, [{ pair: yx, h: shifted(aLog, fBA, eps) }]).map((v) => scaled(v, lam));
    err = Math.max(err, marginalError(bLog, gAB, gt!, eps, rho, B));
    gAB = gt!;
    return err;
  };
  let extra = 0;
  if (o.tol !== undefined || o.maxIter !== undefined) {
    const tol = o.tol ?? 0;
    const most = o.maxIter ?? DEFAULT_MAX_EXTRA_ITERATIONS;
    // The error of a step is measured on the potentials it started from: the loop stops once the
    // potentials it holds are within tol (one measurement late, never early).
    while (extra < most && !(error <= tol)) {
      error = alternatingStep();
      extra++;
    }
  }
  const iterations = epsList.length + extra;
  if (o.noExtrapolation) {
    const state: SinkhornState = {
      gAB,
      fBA,
      hXY: new Float64Array(0),
      hYX: new Float64Array(0),
      eps,
      iterations,
      extraIterations: extra,
      marginalError: error,
    };
    if (debias) {
      state.fAA = fAA;
      state.gBB = gBB;
    }
    return state;
  }

  // Final extrapolation: the potentials whose derivatives give the gradients.
  const hYX = shifted(aLog, fBA, eps);
  const hXY = shifted(bLog, gAB, eps);
  const hXX = debias ? shifted(aLog, fAA!, eps) : undefined;
  const hYY = debias ? shifted(bLog, gBB!, eps) : undefined;
  const last = step(eps, hYX, hXY, hXX, hYY);
  const state: SinkhornState = {
    gAB: last[0]!,
    fBA: last[1]!,
    hXY,
    hYX,
    eps,
    iterations,
    extraIterations: extra,
    marginalError: error,
  };
  if (debias) {
    state.hXX = hXX;
    state.hYY = hYY;
    state.fAA = last[2];
    state.gBB = last[3];
  }
  return state;
}
