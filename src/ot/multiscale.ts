import { check, LazyTensorError } from '../errors.js';
import { type Kept, keptRanges, transposeKept, unitRanges } from '../lazy/keptRanges.js';
import { transposeRanges } from '../lazy/ranges.js';
import { type HausdorffPairs, hausdorffResult } from './hausdorff.js';
import {
  type Clustering,
  chooseClustering,
  dropLevel,
  finestMean,
  GRID_MAX_DIM,
  gridHierarchies,
  type Hierarchy,
  kmeansHierarchies,
  labelHierarchy,
} from './hierarchy.js';
import { truncate } from './keptPairs.js';
import { softmins } from './pairBatch.js';
import { perBatch } from './perBatch.js';
import { type SinkhornProblem, scalingParameters } from './problem.js';
import type { LevelReport, SamplesLossResult, SamplesLossValue } from './result.js';
import { dampening, logWeights, maxDiameter } from './schedule.js';
import { type SinkhornInit, type SinkhornPairs, sinkhornLoop } from './sinkhorn.js';
import { checkEqualMasses, type SinkhornRun, sinkhornSamples } from './sinkhornDivergence.js';

/**
 * Multiscale Sinkhorn (GeomLoss' kernel truncation, over as many levels as the sizes call for):
 * both clouds are clustered into nested grids (cells of width s, 2s, 4s, ..., or the user's
 * labels); the ε-schedule runs coarse to fine, level j taking the ε in (w_j^p, w_{j+1}^p]. At the
 * end of a level the potentials are extrapolated to the next finer level by a soft C-transform on
 * the coarse measures (restricted to the kept pairs), the kernel is truncated to the cluster pairs
 * with f_k + g_l > C(x̃_k, ỹ_l) − truncate·ε, and the finer level runs on the children of the kept
 * pairs only (block-sparse ranges). The work per level is proportional to the pairs kept.
 */

function unpermute(v: ArrayLike<number>, perm: Int32Array, width: number, out: Float64Array | Float32Array) {
  perm.forEach((src, dst) => {
    for (let k = 0; k < width; k++) out[src * width + k] = v[dst * width + k]!;
  });
  return out;
}

/**
 * A cluster level runs the ε down to its cell width^p included (GeomLoss' jump to the finer scale
 * at the first ε below cluster_scale^p), so that the points run only the last steps (at the
 * default scaling 0.5 with the default grids: the final ε, or the last two) on a kernel truncated
 * at an ε close to blur^p. The slack under 1 absorbs rounding: at scaling 0.5 the schedule's σ and
 * the default cell widths are both the diameter times powers of 2.
 */
const HANDOVER = 1 - 1e-6;

/**
 * Splits the ε-schedule between the levels (0 = points): cluster level j (cell width w_j) takes the
 * ε in ((c·w_j)^p, (c·w_{j+1})^p] (c = HANDOVER), the coarsest every ε above its width, the points
 * the rest. Levels left without a step are dropped (from both hierarchies); the points keep at
 * least the final ε.
 */
function splitSchedule(
  epsList: number[],
  widths: number[],
  p: number,
  hx0: Hierarchy,
  hy0: Hierarchy,
): { lists: number[][]; hx: Hierarchy; hy: Hierarchy } {
  const hx = { ...hx0, levels: hx0.levels.map((l) => ({ ...l })) };
  const hy = { ...hy0, levels: hy0.levels.map((l) => ({ ...l })) };
  const top = widths.length;
  const lists: number[][] = Array.from({ length: top + 1 }, () => []);
  for (const e of epsList) {
    let j = 0;
    while (j < top && e > (HANDOVER * widths[j]!) ** p) j++;
    lists[j]!.push(e);
  }
  if (lists[0]!.length === 0) {
    const from = lists.findIndex((l) => l.length > 0);
    lists[0]!.push(lists[from]!.pop()!);
  }
  for (let j = top; j >= 1; j--)
    if (lists[j]!.length === 0) {
      lists.splice(j, 1);
      dropLevel(hx, j);
      dropLevel(hy, j);
    }
  return { lists, hx, hy };
}

/**
 * The hierarchies of both clouds: the user's labels; else nested grids (clusterScale given,
 * clustering 'grid', or 'auto' in D ≤ GRID_MAX_DIM where the grid keeps clusters of
 * MIN_CLUSTER_SIZE points or more); else nested k-means clusters.
 */
function clusterClouds(
  pr: SinkhornProblem,
  diameter: number,
  who: string,
): { hx: Hierarchy; hy: Hierarchy; widths: number[]; clustering: Clustering } {
  const { x, y, opts } = pr;
  if (opts.labelsX !== undefined || opts.labelsY !== undefined) {
    const scale = opts.clusterScale ?? diameter / (Math.sqrt(x.d) * 2000 ** (1 / x.d));
    return {
      hx: labelHierarchy(x, pr.a, opts.labelsX, scale, `${who}: labelsX`),
      hy: labelHierarchy(y, pr.b, opts.labelsY, scale, `${who}: labelsY`),
      widths: [scale],
      clustering: 'labels',
    };
  }
  const kmeans = () => ({
    ...kmeansHierarchies(x, pr.a, y, pr.b, opts.compute),
    clustering: 'kmeans' as const,
  });
  if (opts.clustering === 'kmeans') return kmeans();
  const auto = opts.clustering === 'auto' && opts.clusterScale === undefined;
  if (auto && x.d > GRID_MAX_DIM) return kmeans();
  const grid = gridHierarchies(x, pr.a, y, pr.b, diameter, opts.blur, opts.clusterScale);
  if (auto && chooseClustering(x.d, () => finestMean(grid.hx, grid.hy)) === 'kmeans') return kmeans();
  return { ...grid, clustering: 'grid' };
}

/** Kept pairs of one level: x–y (and its transpose), and the symmetric x–x, y–y (their own transposes). */
interface LevelPairs {
  xy: Kept;
  yx: Kept;
  xx?: Kept;
  yy?: Kept;
}

/**
 * A multiscale solver set up on one problem: the problem on the sorted points (`sorted`), the
 * hierarchies (their `perm` maps sorted index → user index) and the coarse-to-fine loop on a
 * problem with the sorted points (`run`, the SinkhornRun of the finest level).
 */
export interface MultiscaleSolver {
  sorted: SinkhornProblem;
  hx: Hierarchy;
  hy: Hierarchy;
  run: (q: SinkhornProblem, debias: boolean) => SinkhornRun;
}

/**
 * Checks the problem and builds the hierarchies of a multiscale solve (`who` names the caller in
 * the messages: samplesLoss or solveOT).
 */
export function multiscaleSolver(pr: SinkhornProblem, who: string): MultiscaleSolver {
  const { x, y, opts } = pr;
  if (opts.loss !== 'sinkhorn' && opts.loss !== 'hausdorff')
    throw new LazyTensorError(
      `${who}: backend 'multiscale' runs the Sinkhorn and Hausdorff losses, got loss '${opts.loss}' (use backend 'online' or 'tensorized')`,
    );
  check(!x.batched, `${who}: backend 'multiscale' takes unbatched clouds [N, D] (use 'online' for batches)`);
  check(opts.cost === undefined, `${who}: backend 'multiscale' needs the built-in cost |x − y|^p / p`);
  for (const [w, name] of [
    [pr.a, 'a'],
    [pr.b, 'b'],
  ] as const)
    for (const v of w) check(v >= 0, () => `${who}: weights ${name} must be ≥ 0, got ${v}`);
  const p = opts.p;
  const diameter = opts.diameter ?? maxDiameter(x, y);
  const { hx: hx0, hy: hy0, widths, clustering } = clusterClouds(pr, diameter, who);
  const px = hx0.levels[0]!;
  const py = hy0.levels[0]!;
  const sortedPr: SinkhornProblem = { ...pr, x: px.cloud, y: py.cloud, a: px.weights, b: py.weights };

  const run = (q: SinkhornProblem, debias: boolean): SinkhornRun => {
    // Also for Hausdorff: the loop runs (and measures the convergence of) the cross problem too.
    if (opts.reach === undefined) checkEqualMasses(q.a, q.b, 1, x.n, y.n);
    const { epsList, rho } = scalingParameters(q, p);
    const { lists, hx, hy } = splitSchedule(epsList, widths, p, hx0, hy0);
    const top = lists.length - 1;
    const reports: LevelReport[] = [];
    let kept: LevelPairs | undefined;
    let init: SinkhornInit | undefined;
    let fraction = 1;
    for (let j = top; ; j--) {
      const X = hx.levels[j]!;
      const Y = hy.levels[j]!;
      const aLog = logWeights(X.weights);
      const bLog = logWeights(Y.weights);
      // The kernel of this level: every pair at the top, else the children of the kept pairs.
      const ranges = (u: Hierarchy, v: Hierarchy, k: Kept | undefined, kt?: Kept) =>
        k && keptRanges(u.levels[j + 1]!.children!, v.levels[j + 1]!.children!, k, kt);
      const rxy = ranges(hx, hy, kept?.xy, kept?.yx);
      const rt = rxy && transposeRanges(rxy);
      const pairs: SinkhornPairs = {
        xy: q.makePair(X.cloud, Y.cloud, false, rxy),
        yx: q.makePair(Y.cloud, X.cloud, true, rt),
      };
      if (debias) {
        pairs.xx = q.makePair(X.cloud, X.cloud, false, ranges(hx, hx, kept?.xx, kept?.xx));
        pairs.yy = q.makePair(Y.cloud, Y.cloud, false, ranges(hy, hy, kept?.yy, kept?.yy));
      }
      const last = j === 0;
      const st = sinkhornLoop(pairs, {
        aLog,
        bLog,
        epsList: lists[j]!,
        rho,
        debias,
        init,
        noExtrapolation: !last,
        ...(last ? { tol: opts.tol, maxIter: opts.maxIter } : {}),
      });
      reports.push({ points: [X.cloud.n, Y.cloud.n], iterations: st.iterations, pairsVisited: fraction });
      if (last) {
        st.iterations = reports.reduce((s, r) => s + r.iterations, 0);
        return {
          st,
          pairs,
          aLog,
          bLog,
          rho,
          convergence: {
            marginalError: st.marginalError,
            extraIterations: st.extraIterations,
            levels: reports,
            clustering,
          },
        };
      }
      // Truncation of this level's kernel, then extrapolation of the potentials to the finer level.
      const eps = st.eps;
      const t = opts.truncate * eps;
      const above = (u: Hierarchy, v: Hierarchy, k: Kept | undefined) =>
        k && { u: u.levels[j + 1]!, v: v.levels[j + 1]!, kept: k };
      const txy = truncate(X, Y, above(hx, hy, kept?.xy), st.fBA, st.gAB, p, t);
      // The symmetric problems keep symmetric sets (the test is symmetric bit for bit).
      const next: LevelPairs = { xy: txy.kept, yx: transposeKept(txy.kept) };
      if (debias) {
        next.xx = truncate(X, X, above(hx, hx, kept?.xx), st.fAA!, st.fAA!, p, t).kept;
        next.yy = truncate(Y, Y, above(hy, hy, kept?.yy), st.gBB!, st.gBB!, p, t).kept;
      }
      const fx = hx.levels[j - 1]!.cloud;
      const fy = hy.levels[j - 1]!.cloud;
      fraction = txy.finerPairs / (fx.n * fy.n);
      // Soft C-transforms on the coarse measures, over the kept coarse pairs only.
      const cx = X.children!;
      const cy = Y.children!;
      const ux = unitRanges(X.cloud.n);
      const uy = unitRanges(Y.cloud.n);
      const sh = (logw: Float64Array, f: Float64Array) => logw.map((v, k) => v + f[k]! / eps);
      const jobs = [
        { pair: q.makePair(fx, Y.cloud, false, keptRanges(cx, uy, next.xy, next.yx)), h: sh(bLog, st.gAB) },
        { pair: q.makePair(fy, X.cloud, true, keptRanges(cy, ux, next.yx, next.xy)), h: sh(aLog, st.fBA) },
      ];
      if (debias)
        jobs.push(
          {
            pair: q.makePair(fx, X.cloud, false, keptRanges(cx, ux, next.xx!, next.xx)),
            h: sh(aLog, st.fAA!),
          },
          {
            pair: q.makePair(fy, Y.cloud, false, keptRanges(cy, uy, next.yy!, next.yy)),
            h: sh(bLog, st.gBB!),
          },
        );
      const lam = dampening(eps, rho);
      const [fBA, gAB, fAA, gBB] = softmins(eps, jobs).map((v) => v.map((e) => e * lam));
      init = { fBA: fBA!, gAB: gAB!, fAA, gBB };
      kept = next;
    }
  };
  return { sorted: sortedPr, hx: hx0, hy: hy0, run };
}

/** Values v in sorted order (`width` per point) back in the user's order: out[perm[k]] = v[k]. */
export function toUserOrder(v: ArrayLike<number>, perm: Int32Array, width = 1): Float64Array {
  return unpermute(v, perm, width, new Float64Array(v.length)) as Float64Array;
}

/**
 * Hausdorff divergence on the multiscale loop: its symmetric potentials are those of the debiased
 * Sinkhorn loop (same initial softmins, averaged updates and last step), solved coarse to fine on
 * the truncated x–x and y–y kernels (with tol: to convergence); the extrapolations to the other
 * cloud and their gradients visit every x–y pair (a few reductions, not one per ε step).
 */
function multiscaleHausdorff(ms: MultiscaleSolver): SamplesLossResult | SamplesLossValue {
  const q = ms.sorted;
  const run = ms.run(q, true);
  const { st, aLog, bLog, rho } = run;
  const eps = st.eps;
  const lam = dampening(eps, rho);
  const pairs: HausdorffPairs = {
    xx: run.pairs.xx!,
    yy: run.pairs.yy!,
    xy: q.makePair(q.x, q.y, false),
    yx: q.makePair(q.y, q.x, true),
  };
  const [aY, bX] = softmins(eps, [
    { pair: pairs.yx, h: st.hXX! },
    { pair: pairs.xy, h: st.hYY! },
  ]).map((v) => v.map((e) => e * lam));
  const solution = (self: Float64Array, h: Float64Array, logw: Float64Array, other: Float64Array) => ({
    self,
    hSelf: h,
    prev: h.map((v, k) => (v - logw[k]!) * eps),
    other,
  });
  const A = solution(st.fAA!, st.hXX!, aLog, aY!);
  const Bs = solution(st.gBB!, st.hYY!, bLog, bX!);
  return hausdorffResult(q, pairs, A, Bs, eps, rho, st.iterations, run.convergence);
}

/** The multiscale OT backend (register with registerOTBackend('multiscale', multiscaleSamples)). */
export function multiscaleSamples(pr: SinkhornProblem): SamplesLossResult | SamplesLossValue {
  // Batches: one multiscale solve per element (each has its own clusters and truncated kernels).
  if (pr.x.batched) return perBatch(pr, multiscaleSamples);
  const { x, y } = pr;
  const solver = multiscaleSolver(pr, 'samplesLoss');
  const { sorted: sortedPr, hx: hx0, hy: hy0, run } = solver;
  const res: SamplesLossResult | SamplesLossValue =
    pr.opts.loss === 'hausdorff' ? multiscaleHausdorff(solver) : sinkhornSamples(sortedPr, run);
  const back = (
    v: { data: ArrayLike<number> },
    c: Hierarchy,
    width: number,
    like: Float64Array | Float32Array,
  ) => unpermute(v.data, c.perm, width, new (like.constructor as Float64ArrayConstructor)(like.length));
  const out = { ...res, potentials: { ...res.potentials } } as SamplesLossResult;
  out.potentials.f = {
    ...res.potentials.f,
    data: back(res.potentials.f, hx0, 1, res.potentials.f.data as Float64Array),
  };
  out.potentials.g = {
    ...res.potentials.g,
    data: back(res.potentials.g, hy0, 1, res.potentials.g.data as Float64Array),
  };
  if ('gradX' in res) {
    const r = res as SamplesLossResult;
    out.gradX = { ...r.gradX, data: back(r.gradX, hx0, x.d, r.gradX.data as Float64Array) };
    out.gradY = { ...r.gradY, data: back(r.gradY, hy0, y.d, r.gradY.data as Float64Array) };
    out.gradA = { ...r.gradA, data: back(r.gradA, hx0, 1, r.gradA.data as Float64Array) };
    out.gradB = { ...r.gradB, data: back(r.gradB, hy0, 1, r.gradB.data as Float64Array) };
  }
  return out;
}
