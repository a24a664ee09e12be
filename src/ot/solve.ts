import { check } from '../errors.js';
import type { NDArray } from '../ndarray.js';
import { makeCost } from './cost.js';
import type { PointsInput } from './input.js';
import { multiscaleSolver, toUserOrder } from './multiscale.js';
import { resolveOptions, type SamplesLossOptions, SOLVE_OT_OPTIONS } from './options.js';
import { DensePair, OnlinePair, type PairOps } from './pairs.js';
import { LazyPlan, type PlanOrder } from './plan.js';
import { readSides, type SinkhornProblem } from './problem.js';
import type { Convergence } from './result.js';
import { pairFactory, pickBackend } from './samplesLoss.js';
import { runSinkhorn, type SinkhornRun } from './sinkhornDivergence.js';
import { biasedValue } from './valueTerm.js';

/** Options of `solveOT`: those of samplesLoss for the Sinkhorn loss (no debiasing: a plan is an OT_ε plan). */
export type SolveOTOptions = Omit<SamplesLossOptions, 'loss' | 'debias'>;

/** An entropic OT solution with its plan kept lazy. */
export interface OTResult {
  /** OT_ε(α, β) in GeomLoss units (its `debias: false` value). */
  value: number;
  /** Dual potentials f on x [N] and g on y [M]. */
  f: NDArray<Float64Array>;
  g: NDArray<Float64Array>;
  /**
   * L1 marginal errors Σ_i |Σ_j π_ij − a_i| and Σ_j |Σ_i π_ij − b_j| (unbalanced: against the
   * fixed-point marginals a_i e^{−f_i/ρ} and b_j e^{−g_j/ρ}).
   */
  marginalErrors: { a: number; b: number };
  /** The plan π_ij = a_i b_j exp((f_i + g_j − C_ij)/ε), in the log domain. */
  plan: LazyPlan;
  /** Final ε = blur^p and number of ε steps. */
  eps: number;
  iterations: number;
  backend: string;
  /**
   * How the loop converged: levels (one for 'online' / 'tensorized'; coarse to fine for
   * 'multiscale'), iterations and pairs visited per level, marginal error, extra iterations.
   */
  convergence: Convergence;
}

function online(p: PairOps): OnlinePair {
  return p instanceof DensePair ? p.online : (p as OnlinePair);
}

/**
 * Entropic optimal transport between two point clouds (GeomLoss' loop, units and options) that
 * returns the dual potentials, the marginal errors and a lazy plan (matvec, barycentric map,
 * matching, top-K partners, masses, dense()). Unbatched inputs.
 */
export function solveOT(x: PointsInput, y: PointsInput, options: SolveOTOptions = {}): OTResult {
  check(typeof options === 'object' && options !== null, 'solveOT: options must be an object');
  const opts = resolveOptions(options, 'solveOT', SOLVE_OT_OPTIONS);
  opts.debias = false;
  const sides = readSides(x, y, options, 'solveOT');
  const { x: cx, y: cy, a, b } = sides;
  check(!cx.batched && !cy.batched, 'solveOT: expected unbatched point clouds [N, D] and [M, D]');
  const backend = pickBackend(opts, cx, cy);
  check(
    backend === 'tensorized' || backend === 'online' || backend === 'multiscale',
    () => `solveOT: backend '${backend}' is not available yet`,
  );
  const cost = makeCost(opts.p, opts.cost, cx.d);
  const pairBackend = backend === 'multiscale' ? 'online' : backend;
  const problem: SinkhornProblem = {
    ...sides,
    opts,
    cost,
    makePair: pairFactory(opts, pairBackend, cost),
    backend,
  };
  let run: SinkhornRun;
  let f: Float64Array;
  let g: Float64Array;
  let plan: LazyPlan;
  if (backend === 'multiscale') {
    // The solve and the plan's reductions run on the sorted points and the kept blocks of the
    // finest level; potentials and every plan input/output are in the user's order.
    const ms = multiscaleSolver(problem, 'solveOT');
    run = ms.run(ms.sorted, false);
    const order: PlanOrder = {
      rows: ms.hx.perm,
      cols: ms.hy.perm,
      full: new OnlinePair(cx, cy, cost, false, { compute: opts.compute }),
    };
    const { st } = run;
    plan = new LazyPlan(
      online(run.pairs.xy),
      online(run.pairs.yx),
      run.aLog,
      run.bLog,
      st.fBA,
      st.gAB,
      st.eps,
      order,
    );
    f = toUserOrder(st.fBA, ms.hx.perm);
    g = toUserOrder(st.gAB, ms.hy.perm);
  } else {
    run = runSinkhorn(problem, false);
    const { st } = run;
    f = st.fBA;
    g = st.gAB;
    plan = new LazyPlan(online(run.pairs.xy), online(run.pairs.yx), run.aLog, run.bLog, f, g, st.eps);
  }
  const { st, rho } = run;
  const eps = st.eps;
  // value = ⟨α, φ(f)⟩ + ⟨β, φ(g)⟩, the biased OT_ε value term.
  const value = Float64Array.of(biasedValue(a, f, b, g, eps, rho));
  const err = (mass: Float64Array, w: Float64Array, pot: Float64Array) => {
    let e = 0;
    for (let k = 0; k < mass.length; k++)
      e += Math.abs(mass[k]! - w[k]! * (rho === undefined ? 1 : Math.exp(-pot[k]! / rho)));
    return e;
  };
  const marginalErrors = { a: err(plan.rowMasses(), a, f), b: err(plan.colMasses(), b, g) };
  if (opts.cost !== undefined) {
    // A custom cost is only known through its values: infinite or NaN at some pair, it makes the
    // potentials or the plan's masses non-finite.
    const bad = [value[0]!, marginalErrors.a, marginalErrors.b, ...f, ...g].find((v) => !Number.isFinite(v));
    check(
      bad === undefined,
      () =>
        `solveOT: the result is not finite (${bad}) with the custom cost ` +
        `${typeof opts.cost === 'string' ? `'${opts.cost}'` : '(a function)'}: the cost must be finite for every pair of points`,
    );
  }
  return {
    value: value[0]!,
    f: { data: f, shape: [cx.n] },
    g: { data: g, shape: [cy.n] },
    marginalErrors,
    plan,
    eps,
    iterations: st.iterations,
    backend,
    convergence: run.convergence ?? {
      marginalError: st.marginalError,
      extraIterations: st.extraIterations,
      levels: [{ points: [cx.n, cy.n], iterations: st.iterations, pairsVisited: 1 }],
    },
  };
}
