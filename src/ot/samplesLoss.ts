import { LazyTensorError } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { type Cost, type CostFunction, makeCost } from './cost.js';
import { hausdorffSamples } from './hausdorff.js';
import type { Cloud, PointsInput } from './input.js';
import { kernelSamples } from './kernelLoss.js';
import { type OTBackend, type ResolvedOptions, resolveOptions, type SamplesLossOptions } from './options.js';
import { DensePair, OnlinePair } from './pairs.js';
import { type PairFactory, readSides, type SinkhornProblem } from './problem.js';
import type { SamplesLossResult, SamplesLossValue } from './result.js';
import { checkKernelBlur } from './scale.js';
import { sinkhornSamples } from './sinkhornDivergence.js';

/**
 * Smallest N·M sent to the multiscale backend when `backend: 'auto'` (unbatched Sinkhorn loss,
 * built-in cost, p = 1 or 2): from about N = M = 32,000 multiscale is several times faster than
 * online (measured: 33 s against about 100 s at N = M = 1e5, blur 0.01, 2 cores).
 */
export const AUTO_MULTISCALE_PAIRS = 1e9;

/** Largest B·N·M handled by the tensorized backend when `backend: 'auto'`. */
export const AUTO_TENSORIZED_LIMIT = 16384;

/**
 * An extra OT backend (e.g. the multiscale solver): given the problem, it returns the result
 * of a Sinkhorn or Hausdorff loss.
 */
export type OTBackendImpl = (problem: SinkhornProblem) => SamplesLossResult | SamplesLossValue;
const extraBackends = new Map<string, OTBackendImpl>();

/** Registers an OT backend under a name usable as `backend` (the seam of the multiscale solver). */
export function registerOTBackend(
  name: Exclude<OTBackend, 'auto' | 'tensorized' | 'online'>,
  impl: OTBackendImpl,
): void {
  extraBackends.set(name, impl);
}

/**
 * Loss between sampled measures α = Σ a_i δ_{x_i} and β = Σ b_j δ_{y_j}, with GeomLoss' options,
 * units and values (see SamplesLossOptions), and its gradients with respect to x, y, a and b.
 * x: [N, D] or [B, N, D]; y: [M, D] or [B, M, D]. Every N×M interaction is an engine reduction.
 */
export function samplesLoss<T extends FloatArray>(
  x: NDArray<T>,
  y: NDArray<T>,
  options: SamplesLossOptions & { gradients: false },
): SamplesLossValue<T>;
export function samplesLoss<T extends FloatArray>(
  x: NDArray<T>,
  y: NDArray<T>,
  options?: SamplesLossOptions,
): SamplesLossResult<T>;
export function samplesLoss(
  x: number[][],
  y: number[][],
  options: SamplesLossOptions & { gradients: false },
): SamplesLossValue<Float64Array>;
export function samplesLoss(
  x: number[][],
  y: number[][],
  options?: SamplesLossOptions,
): SamplesLossResult<Float64Array>;
export function samplesLoss(
  x: PointsInput,
  y: PointsInput,
  options: SamplesLossOptions & { gradients: false },
): SamplesLossValue;
export function samplesLoss(x: PointsInput, y: PointsInput, options?: SamplesLossOptions): SamplesLossResult;
export function samplesLoss(
  x: PointsInput,
  y: PointsInput,
  options: SamplesLossOptions = {},
): SamplesLossResult | SamplesLossValue {
  const opts = resolveOptions(options);
  const sides = readSides(x, y, options, 'samplesLoss');
  const { x: cx, y: cy, a, b } = sides;
  if (opts.loss === 'energy' || opts.loss === 'gaussian' || opts.loss === 'laplacian') {
    checkKernelBlur(opts.loss, opts.blur, cx.dtype);
    return kernelSamples(cx, cy, a, b, opts);
  }
  const backend = pickBackend(opts, cx, cy);
  const cost = makeCost(opts.p, opts.cost, cx.d);
  const problem: SinkhornProblem = {
    ...sides,
    opts,
    cost,
    makePair: pairFactory(opts, backend, cost),
    backend,
  };
  const extra = extraBackends.get(backend);
  if (extra) return extra(problem);
  if (backend !== 'tensorized' && backend !== 'online') {
    throw new LazyTensorError(
      `samplesLoss: backend '${backend}' is not available yet (use 'tensorized' or 'online')`,
    );
  }
  const res = opts.loss === 'sinkhorn' ? sinkhornSamples(problem) : hausdorffSamples(problem);
  if (opts.cost !== undefined) checkCustomCostResult(res, opts.cost);
  return res;
}

/**
 * A custom cost is only known through its values: one that is infinite or NaN at some pair (e.g.
 * Log(SqDist(X,Y)) at x_i = x_i, which the debiased loss visits) makes the result non-finite.
 * That is a LazyTensorError, not a NaN in the result.
 */
function checkCustomCostResult(res: SamplesLossResult | SamplesLossValue, cost: string | CostFunction): void {
  const fields: [string, ArrayLike<number>][] = [
    ['value', typeof res.value === 'number' ? [res.value] : res.value],
    ['potential f', res.potentials.f.data],
    ['potential g', res.potentials.g.data],
  ];
  if ('gradX' in res)
    fields.push(
      ['gradX', res.gradX.data],
      ['gradY', res.gradY.data],
      ['gradA', res.gradA.data],
      ['gradB', res.gradB.data],
    );
  for (const [name, v] of fields)
    for (let k = 0; k < v.length; k++)
      if (!Number.isFinite(v[k]))
        throw new LazyTensorError(
          `samplesLoss: the ${name} is not finite (${v[k]} at ${k}) with the custom cost ` +
            `${typeof cost === 'string' ? `'${cost}'` : '(a function)'}: the cost and its gradient must be finite for every ` +
            'pair of points, C(x_i, x_j) and C(y_i, y_j) included (x_i = x_i too, for the debiased loss and Hausdorff)',
        );
}

export function pickBackend(opts: ResolvedOptions, x: Cloud, y: Cloud): string {
  if (opts.backend !== 'auto') return opts.backend;
  if (x.B * x.n * y.n <= AUTO_TENSORIZED_LIMIT) return 'tensorized';
  const multiscale =
    extraBackends.has('multiscale') &&
    opts.loss === 'sinkhorn' &&
    !x.batched &&
    opts.cost === undefined &&
    (opts.p === 1 || opts.p === 2) &&
    x.n * y.n >= AUTO_MULTISCALE_PAIRS;
  return multiscale ? 'multiscale' : 'online';
}

/** Pair operators of the 'tensorized' or 'online' backend on a cost built once per call. */
export function pairFactory(opts: ResolvedOptions, backend: string, cost: Cost): PairFactory {
  const engine = { compute: opts.compute };
  return (rows, cols, swap, ranges) => {
    const online = new OnlinePair(rows, cols, cost, swap, engine, ranges);
    return backend === 'tensorized' ? new DensePair(online) : online;
  };
}
