import { check, LazyTensorError } from '../errors.js';
import { clusterRangesCentroids, gridCluster, rangesFromMask, sortClusters } from '../lazy/clusters.js';
import { transposeRanges } from '../lazy/ranges.js';
import type { Cloud } from './input.js';
import { softmins } from './pairBatch.js';
import { toDtype } from './pairs.js';
import { type SinkhornProblem, scalingParameters } from './problem.js';
import type { SamplesLossResult, SamplesLossValue } from './result.js';
import { dampening, logWeights, maxDiameter } from './schedule.js';
import { type SinkhornPairs, sinkhornLoop } from './sinkhorn.js';
import { checkEqualMasses, type SinkhornRun, sinkhornSamples } from './sinkhornDivergence.js';

/**
 * Two-level multiscale Sinkhorn (GeomLoss' kernel truncation): the coarse ε steps run on cluster
 * centroids with summed weights; at ε = clusterScale^p the potentials are extrapolated to the
 * points by a soft C-transform on the coarse measures, the kernel is truncated to the cluster
 * pairs with f_k + g_l > C(x̃_k, ỹ_l) − truncate·ε, and the fine steps run on those blocks only.
 */

/** A clustered cloud: points sorted by cluster, the permutation, cluster ranges and centroids. */
interface Clustered {
  sorted: Cloud;
  weights: Float64Array;
  perm: Int32Array;
  ranges: Int32Array;
  coarse: Cloud;
  coarseWeights: Float64Array;
}

function cluster(
  c: Cloud,
  w: Float64Array,
  labels: Int32Array | undefined,
  scale: number,
  name: string,
): Clustered {
  if (labels) {
    check(
      labels.length === c.n,
      () => `samplesLoss: ${name} must have ${c.n} labels (one per point), got ${labels.length}`,
    );
    for (const l of labels) check(l >= 0, () => `samplesLoss: ${name} must be integers ≥ 0, got ${l}`);
  }
  const nd = { data: c.data, shape: [c.n, c.d] };
  const lab = labels ?? gridCluster(nd, scale);
  const s = sortClusters(nd, lab);
  const sw = new Float64Array(c.n);
  s.perm.forEach((src, dst) => {
    sw[dst] = w[src]!;
  });
  const { ranges, centroids, weights } = clusterRangesCentroids(s.x, s.labels, sw);
  const C = weights.length;
  const mk = (data: Cloud['data'], n: number): Cloud => ({ ...c, data, n, shape: [n, c.d] });
  return {
    sorted: mk(s.x.data as Cloud['data'], c.n),
    weights: sw,
    perm: s.perm,
    ranges,
    coarse: mk(toDtype(centroids.data, c.dtype), C),
    coarseWeights: weights,
  };
}

/** keep[k, l] = f_k + g_l > C(u_k, v_l) − t (C = |u − v|^p / p), and the fraction of point pairs kept. */
function truncation(u: Clustered, v: Clustered, f: Float64Array, g: Float64Array, p: number, t: number) {
  const d = u.coarse.d;
  const K = u.coarse.n;
  const L = v.coarse.n;
  const keep = new Uint8Array(K * L);
  let visited = 0;
  for (let k = 0; k < K; k++)
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (u.coarse.data[k * d + c]! - v.coarse.data[l * d + c]!) ** 2;
      const cost = p === 2 ? s / 2 : Math.sqrt(s);
      if (f[k]! + g[l]! > cost - t) {
        keep[k * L + l] = 1;
        visited += (u.ranges[2 * k + 1]! - u.ranges[2 * k]!) * (v.ranges[2 * l + 1]! - v.ranges[2 * l]!);
      }
    }
  return { ranges: rangesFromMask(u.ranges, v.ranges, keep), fraction: visited / (u.sorted.n * v.sorted.n) };
}

function unpermute(v: ArrayLike<number>, perm: Int32Array, width: number, out: Float64Array | Float32Array) {
  perm.forEach((src, dst) => {
    for (let k = 0; k < width; k++) out[src * width + k] = v[dst * width + k]!;
  });
  return out;
}

/** The multiscale OT backend (register with registerOTBackend('multiscale', multiscaleSamples)). */
export function multiscaleSamples(pr: SinkhornProblem): SamplesLossResult | SamplesLossValue {
  const { x, y, opts } = pr;
  if (opts.loss !== 'sinkhorn')
    throw new LazyTensorError(
      `samplesLoss: backend 'multiscale' runs the Sinkhorn loss, got loss '${opts.loss}'`,
    );
  check(
    !x.batched,
    "samplesLoss: backend 'multiscale' takes unbatched clouds [N, D] (use 'online' for batches)",
  );
  check(opts.cost === undefined, "samplesLoss: backend 'multiscale' needs the built-in cost |x − y|^p / p");
  for (const [w, name] of [
    [pr.a, 'a'],
    [pr.b, 'b'],
  ] as const)
    for (const v of w) check(v >= 0, () => `samplesLoss: weights ${name} must be ≥ 0, got ${v}`);
  const p = opts.p;
  const diameter = opts.diameter ?? maxDiameter(x, y);
  const scale = opts.clusterScale ?? diameter / (Math.sqrt(x.d) * 2000 ** (1 / x.d));
  const cx = cluster(x, pr.a, opts.labelsX, scale, 'labelsX');
  const cy = cluster(y, pr.b, opts.labelsY, scale, 'labelsY');
  const sortedPr: SinkhornProblem = { ...pr, x: cx.sorted, y: cy.sorted, a: cx.weights, b: cy.weights };

  const run = (q: SinkhornProblem, debias: boolean): SinkhornRun => {
    if (opts.reach === undefined) checkEqualMasses(q.a, q.b, 1, x.n, y.n);
    const { epsList, rho } = scalingParameters(q, p);
    const jump = scale ** p;
    let cut = epsList.findIndex((e) => e <= jump);
    if (cut < 0) cut = epsList.length - 1;
    if (cut === 0) cut = 1;
    const coarseEps = epsList.slice(0, cut);
    const fineEps = epsList.slice(cut);
    const acLog = logWeights(cx.coarseWeights);
    const bcLog = logWeights(cy.coarseWeights);
    const coarsePairs: SinkhornPairs = {
      xy: q.makePair(cx.coarse, cy.coarse, false),
      yx: q.makePair(cy.coarse, cx.coarse, true),
    };
    if (debias) {
      coarsePairs.xx = q.makePair(cx.coarse, cx.coarse, false);
      coarsePairs.yy = q.makePair(cy.coarse, cy.coarse, false);
    }
    const cs = sinkhornLoop(coarsePairs, {
      aLog: acLog,
      bLog: bcLog,
      epsList: coarseEps,
      rho,
      debias,
      noExtrapolation: true,
    });
    const eps = coarseEps[coarseEps.length - 1]!;
    // Soft C-transforms on the coarse measures: the fine potentials at the last coarse ε.
    const sh = (logw: Float64Array, f: Float64Array) => logw.map((v, k) => v + f[k]! / eps);
    const jobs = [
      { pair: q.makePair(cx.sorted, cy.coarse, false), h: sh(bcLog, cs.gAB) },
      { pair: q.makePair(cy.sorted, cx.coarse, true), h: sh(acLog, cs.fBA) },
    ];
    if (debias)
      jobs.push(
        { pair: q.makePair(cx.sorted, cx.coarse, false), h: sh(acLog, cs.fAA!) },
        { pair: q.makePair(cy.sorted, cy.coarse, false), h: sh(bcLog, cs.gBB!) },
      );
    const lam = dampening(eps, rho);
    const [fBA, gAB, fAA, gBB] = softmins(eps, jobs).map((v) => v.map((e) => e * lam));
    const t = opts.truncate * eps;
    const xy = truncation(cx, cy, cs.fBA, cs.gAB, p, t);
    const pairs: SinkhornPairs = {
      xy: q.makePair(cx.sorted, cy.sorted, false, xy.ranges),
      yx: q.makePair(cy.sorted, cx.sorted, true, transposeRanges(xy.ranges)),
    };
    if (debias) {
      pairs.xx = q.makePair(cx.sorted, cx.sorted, false, truncation(cx, cx, cs.fAA!, cs.fAA!, p, t).ranges);
      pairs.yy = q.makePair(cy.sorted, cy.sorted, false, truncation(cy, cy, cs.gBB!, cs.gBB!, p, t).ranges);
    }
    const aLog = logWeights(q.a);
    const bLog = logWeights(q.b);
    const st = sinkhornLoop(pairs, {
      aLog,
      bLog,
      epsList: fineEps,
      rho,
      debias,
      tol: opts.tol,
      maxIter: opts.maxIter,
      init: { fBA: fBA!, gAB: gAB!, fAA, gBB },
    });
    st.iterations += coarseEps.length;
    return {
      st,
      pairs,
      aLog,
      bLog,
      rho,
      convergence: {
        marginalError: st.marginalError,
        extraIterations: st.extraIterations,
        levels: [
          { points: [cx.coarse.n, cy.coarse.n], iterations: coarseEps.length, pairsVisited: 1 },
          { points: [x.n, y.n], iterations: st.iterations - coarseEps.length, pairsVisited: xy.fraction },
        ],
      },
    };
  };
  const res = sinkhornSamples(sortedPr, run);
  const back = (
    v: { data: ArrayLike<number> },
    c: Clustered,
    width: number,
    like: Float64Array | Float32Array,
  ) => unpermute(v.data, c.perm, width, new (like.constructor as Float64ArrayConstructor)(like.length));
  const out = { ...res, potentials: { ...res.potentials } } as SamplesLossResult;
  out.potentials.f = {
    ...res.potentials.f,
    data: back(res.potentials.f, cx, 1, res.potentials.f.data as Float64Array),
  };
  out.potentials.g = {
    ...res.potentials.g,
    data: back(res.potentials.g, cy, 1, res.potentials.g.data as Float64Array),
  };
  if ('gradX' in res) {
    out.gradX = { ...res.gradX, data: back(res.gradX, cx, x.d, res.gradX.data as Float64Array) };
    out.gradY = { ...res.gradY, data: back(res.gradY, cy, y.d, res.gradY.data as Float64Array) };
    out.gradA = { ...res.gradA, data: back(res.gradA, cx, 1, res.gradA.data as Float64Array) };
    out.gradB = { ...res.gradB, data: back(res.gradB, cy, 1, res.gradB.data as Float64Array) };
  }
  return out;
}
