import { check } from '../errors.js';
import type { NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';
import { makeCost } from './cost.js';
import { type Cloud, type PointsInput, readCloud, readWeights, type WeightsInput } from './input.js';
import { OnlinePair } from './pairs.js';
import { samplesLoss } from './samplesLoss.js';
import { checkPower } from './schedule.js';

/** One input measure of a barycenter: points [N_k, D] and weights [N_k] (default uniform). */
export interface BarycenterMeasure {
  x: PointsInput;
  a?: WeightsInput;
}

/** Options of `barycenter` (GeomLoss units: C = |x − y|²/2, ε = blur²). */
export interface BarycenterOptions {
  /** Barycentric weights w_k ≥ 0, one per measure (default uniform); normalised to sum 1. */
  weights?: number[];
  /** Fixed support [S, D]: only the weights of the barycenter are optimised. */
  support?: PointsInput;
  /** Free support: number of points of the barycenter (default: the size of the first measure); positions and weights are optimised. */
  nPoints?: number;
  /** Blur σ of the Sinkhorn divergences (default 0.05). */
  blur?: number;
  /** ε-scaling ratio (default 0.5). */
  scaling?: number;
  /** Outer iterations (default 20 for free support, 50 for fixed support). */
  iterations?: number;
  /** Seed of the initial free-support positions (default 0). */
  seed?: number;
  /** Engine backend of the reductions. */
  compute?: string;
}

/** The barycenter: support, weights, Σ_k w_k S_ε(α, β_k) at the end, outer iterations run. */
export interface BarycenterResult {
  x: NDArray<Float64Array>;
  a: NDArray<Float64Array>;
  value: number;
  iterations: number;
}

/** Debiased Bregman projections per outer iteration of the free-support barycenter (warm-started). */
const FREE_WEIGHT_STEPS = 30;
/** Position-only steps (uniform weights) before the free-support weights start to move. */
const FREE_WARMUP = 1;

/** The scalings of the debiased Bregman projections on a support of S points (log domain). */
class BregmanState {
  logV: Float64Array[];
  logD: Float64Array;
  constructor(K: number, S: number) {
    this.logV = Array.from({ length: K }, () => new Float64Array(S));
    this.logD = new Float64Array(S);
  }
}

const KNOWN = new Set(['weights', 'support', 'nPoints', 'blur', 'scaling', 'iterations', 'seed', 'compute']);

/** Most coordinates of a free support (the largest typed array: 2^31 − 1 values). */
const MAX_SUPPORT_VALUES = 2 ** 31 - 1;

function positiveInt(v: unknown, name: string): number {
  check(
    typeof v === 'number' && Number.isInteger(v) && v > 0,
    () => `barycenter: ${name} must be a positive integer, got ${String(v)}`,
  );
  return v as number;
}

/** Reads and normalises the barycentric weights (K non-negative numbers with a positive sum). */
function readBarycentricWeights(w: number[] | undefined, K: number): Float64Array {
  if (w === undefined) return new Float64Array(K).fill(1 / K);
  check(Array.isArray(w), () => `barycenter: weights must be an array of ${K} numbers, got ${typeof w}`);
  check(w.length === K, () => `barycenter: expected ${K} weights (one per measure), got ${w.length}`);
  let s = 0;
  for (const [k, v] of w.entries()) {
    check(
      typeof v === 'number' && Number.isFinite(v) && v >= 0,
      () => `barycenter: weights must be finite and ≥ 0, got ${String(v)} at ${k}`,
    );
    s += v;
  }
  check(s > 0, () => `barycenter: the weights must have a positive sum, got ${s}`);
  return Float64Array.from(w, (v) => v / s);
}

/** A key of a point's coordinates (equal points of different measures are the same point). */
function pointKey(c: Cloud, j: number): string {
  return Array.from(c.data.subarray(j * c.d, (j + 1) * c.d)).join(',');
}

function normalised(a: Float64Array): Float64Array {
  const s = a.reduce((t, v) => t + v, 0);
  return a.map((v) => v / s);
}

/**
 * Debiased Sinkhorn barycenter of point clouds: minimises Σ_k w_k S_ε(α, β_k) over the
 * barycenter α = Σ a_i δ_{x_i}, every S_ε and its gradients from samplesLoss (so every N×M
 * interaction is an engine reduction).
 * - free support (`nPoints`): S points, positions and weights optimised alternately: per outer
 *   iteration, the positions by the barycentric fixed point
 *   x_i ← x_i − Σ_k w_k ∇_{x_i} S_ε(α, β_k) / a_i (for C = |x − y|²/2, x_i minus the debiased
 *   transport displacement), then (after FREE_WARMUP position steps at uniform weights) the
 *   weights by FREE_WEIGHT_STEPS debiased Bregman projections on the moved support (the
 *   fixed-support update, warm-started from the previous iteration's scalings); the initial
 *   positions are drawn (seeded) from the mixture of the measures, the initial weights uniform;
 * - fixed support (`support`): the weights only, by the debiased iterative Bregman projections
 *   of Janati et al. (2020), in the log domain (see fixedSupportWeights).
 */
export function barycenter(measures: BarycenterMeasure[], options: BarycenterOptions = {}): BarycenterResult {
  check(
    Array.isArray(measures) && measures.length > 0,
    () => `barycenter: expected a non-empty array of measures { x, a? }, got ${String(measures)}`,
  );
  check(typeof options === 'object' && options !== null, () => 'barycenter: options must be an object');
  for (const k of Object.keys(options)) {
    check(KNOWN.has(k), () => `barycenter: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  const clouds: Cloud[] = [];
  const masses: Float64Array[] = [];
  measures.forEach((m, k) => {
    check(typeof m === 'object' && m !== null, () => `barycenter: measure ${k} must be { x, a? }`);
    const c = readCloud(m.x, `barycenter: measures[${k}].x`);
    check(!c.batched, () => `barycenter: measures[${k}].x must be [N, D], got [${c.shape.join(', ')}]`);
    check(
      c.d === clouds[0]?.d || k === 0,
      () =>
        `barycenter: every measure must have the dimension D of measure 0 (${clouds[0]!.d}), got ${c.d} for measure ${k}`,
    );
    check(
      c.dtype === clouds[0]?.dtype || k === 0,
      () =>
        `barycenter: every measure must have the dtype of measure 0 (${clouds[0]!.dtype}), got ${c.dtype} for measure ${k}`,
    );
    clouds.push(c);
    masses.push(normalised(readWeights(m.a, c, `barycenter: measures[${k}].a`)));
  });
  const w = readBarycentricWeights(options.weights, measures.length);
  const D = clouds[0]!.d;
  const blur = options.blur ?? 0.05;
  check(
    typeof blur === 'number' && Number.isFinite(blur) && blur > 0,
    () => `barycenter: blur must be a finite number > 0, got ${String(blur)}`,
  );
  checkPower('blur', blur, 2);
  const seed = options.seed ?? 0;
  check(Number.isInteger(seed), () => `barycenter: seed must be an integer, got ${String(seed)}`);
  const fixed = options.support !== undefined;
  check(
    !(fixed && options.nPoints !== undefined),
    () => 'barycenter: give either support (fixed) or nPoints (free), not both',
  );
  const iterations = positiveInt(options.iterations ?? (fixed ? 50 : 20), 'iterations');
  let x: Float64Array;
  let S: number;
  if (fixed) {
    const s = readCloud(options.support!, 'barycenter: support');
    check(
      !s.batched && s.d === D,
      () => `barycenter: support must be [S, ${D}], got [${s.shape.join(', ')}]`,
    );
    x = Float64Array.from(s.data);
    S = s.n;
  } else {
    S = positiveInt(options.nPoints ?? clouds[0]!.n, 'nPoints');
    check(
      S * D <= MAX_SUPPORT_VALUES,
      () => `barycenter: nPoints × D must be ≤ ${MAX_SUPPORT_VALUES} (the largest array), got ${S} × ${D}`,
    );
    // Seeded draw from the mixture Σ_k w_k β_k, distinct points while possible (a taken point is
    // replaced by the next free point of its measure), each moved by a jitter of ±blur/2.
    const u = mulberry32(seed);
    const taken = new Set<string>();
    x = new Float64Array(S * D);
    for (let i = 0; i < S; i++) {
      let r = u();
      let k = 0;
      while (k < w.length - 1 && r > w[k]!) r -= w[k++]!;
      let t = u();
      let j = 0;
      const b = masses[k]!;
      while (j < b.length - 1 && t > b[j]!) t -= b[j++]!;
      for (let q = 0; q < b.length && taken.has(pointKey(clouds[k]!, j)); q++) j = (j + 1) % b.length;
      taken.add(pointKey(clouds[k]!, j));
      for (let d = 0; d < D; d++) x[i * D + d] = clouds[k]!.data[j * D + d]! + blur * (u() - 0.5);
    }
  }
  let a: Float64Array = new Float64Array(S).fill(1 / S);
  const eps = blur * blur;
  const common = {
    blur,
    scaling: options.scaling ?? 0.5,
    compute: options.compute,
    backend: 'online' as const,
  };
  let value = 0;
  // Free support: the positions by the barycentric step, then the weights by warm-started
  // debiased Bregman projections on the moved support (the fixed-support update).
  const weightState = new BregmanState(clouds.length, S);
  for (let it = 0; it < (fixed ? 0 : iterations); it++) {
    if (it >= FREE_WARMUP) {
      const Z: Cloud = { data: x, B: 1, n: S, d: D, dtype: 'float64', batched: false, shape: [S, D] };
      a = fixedSupportWeights(Z, clouds, masses, w, eps, FREE_WEIGHT_STEPS, options.compute, weightState);
    }
    const gx = new Float64Array(S * D);
    value = 0;
    for (let k = 0; k < clouds.length; k++) {
      if (w[k] === 0) continue;
      const c = clouds[k]!;
      const r = samplesLoss(
        { data: x, shape: [S, D] },
        { data: c.data, shape: [c.n, D] },
        {
          ...common,
          a,
          b: masses[k]!,
        },
      );
      value += w[k]! * (r.value as number);
      for (let q = 0; q < gx.length; q++) gx[q] = gx[q]! + w[k]! * r.gradX.data[q]!;
    }
    // A point whose weight underflowed to 0 has no transport displacement: it stays put.
    x = x.slice();
    for (let i = 0; i < S; i++)
      if (a[i]! > 0) for (let d = 0; d < D; d++) x[i * D + d] = x[i * D + d]! - gx[i * D + d]! / a[i]!;
  }
  if (fixed) {
    const Z: Cloud = { data: x, B: 1, n: S, d: D, dtype: 'float64', batched: false, shape: [S, D] };
    a = fixedSupportWeights(Z, clouds, masses, w, eps, iterations, options.compute);
    for (let k = 0; k < clouds.length; k++) {
      if (w[k] === 0) continue;
      const c = clouds[k]!;
      const X = { data: x, shape: [S, D] };
      const r = samplesLoss(
        X,
        { data: c.data, shape: [c.n, D] },
        { ...common, a, b: masses[k]!, gradients: false },
      );
      value += w[k]! * (r.value as number);
    }
  }
  return { x: { data: x, shape: [S, D] }, a: { data: a, shape: [S] }, value, iterations };
}

/**
 * Debiased Sinkhorn barycenter on a fixed support Z (Janati, Cuturi, Gramfort 2020, Algorithm 1,
 * generalised to input measures β_k on their own supports Y_k), in the log domain at ε:
 *   log u_k = log β_k − LSE_z(log v_k − C/ε)          (on Y_k)
 *   log Ku_k = LSE_y(log u_k − C/ε)                    (on Z)
 *   log q = log d + Σ_k w_k log Ku_k,  log v_k = log q − log Ku_k
 *   log d = ½ (log d + log q − LSE_z'(log d − C/ε))    (the debiasing scaling)
 * Every LSE is a softmin of an engine pair (no N×M loop here). Returns q normalised. `state`
 * (log v_k, log d on Z) carries the scalings from one call to the next: a warm start when the
 * support has moved a little (free support).
 */
function fixedSupportWeights(
  Z: Cloud,
  clouds: Cloud[],
  masses: Float64Array[],
  w: Float64Array,
  eps: number,
  iterations: number,
  compute?: string,
  state: BregmanState = new BregmanState(clouds.length, Z.n),
): Float64Array {
  const cost = makeCost(2, undefined, Z.d);
  const engine = { compute };
  const S = Z.n;
  const lse = (pair: OnlinePair, h: Float64Array) => pair.softmin(eps, h).map((v) => -v / eps);
  const zy = clouds.map((c) => new OnlinePair(Z, c, cost, false, engine));
  const yz = zy.map((p) => p.transpose());
  const zz = new OnlinePair(Z, Z, cost, false, engine);
  const logB = masses.map((b) => b.map((v) => (v > 0 ? Math.log(v) : -100000)));
  let { logV, logD } = state;
  let logQ = new Float64Array(S);
  for (let it = 0; it < iterations; it++) {
    const logKu = clouds.map((_, k) => {
      const t = lse(yz[k]!, logV[k]!);
      const logU = logB[k]!.map((v, j) => v - t[j]!);
      return lse(zy[k]!, logU);
    });
    logQ = logD.map((v, i) => {
      let s = v;
      for (let k = 0; k < clouds.length; k++) s += w[k]! * logKu[k]![i]!;
      return s;
    });
    logV = logKu.map((l) => logQ.map((v, i) => v - l[i]!));
    const kd = lse(zz, logD);
    logD = logD.map((v, i) => 0.5 * (v + logQ[i]! - kd[i]!));
  }
  state.logV = logV;
  state.logD = logD;
  const m = logQ.reduce((a, v) => Math.max(a, v), Number.NEGATIVE_INFINITY);
  return normalised(logQ.map((v) => Math.exp(v - m)));
}
