import { check, LazyTensorError } from '../errors.js';
import type { CostFunction } from './cost.js';
import type { WeightsInput } from './input.js';

/** Losses of `samplesLoss`. */
export type LossName = 'sinkhorn' | 'hausdorff' | 'energy' | 'gaussian' | 'laplacian';
/** How the N×M interactions are computed: dense matrices, engine reductions, or (later) multiscale. */
export type OTBackend = 'auto' | 'tensorized' | 'online' | 'multiscale';

/** Options of `samplesLoss` (GeomLoss' `SamplesLoss` arguments and units). */
export interface SamplesLossOptions {
  /** Default 'sinkhorn'. */
  loss?: LossName;
  /** Cost exponent: C(x, y) = |x − y|^p / p; 1 or 2 (default 2). With a custom cost, the exponent of the ε-schedule. */
  p?: number;
  /** Custom cost: a KeOps formula in X and Y ('SqDist(X,Y) / IntCst(2)') or a LazyTensor function. */
  cost?: string | CostFunction;
  /** Blur σ: ε = σ^p for Sinkhorn and Hausdorff, the kernel scale for kernel losses (default 0.05). */
  blur?: number;
  /** Reach: ρ = reach^p, KL-unbalanced OT (default undefined: balanced). */
  reach?: number;
  /** Largest distance of the problem (default: diagonal of the joint bounding box). */
  diameter?: number;
  /** ε-scaling ratio in (0, 1) (default 0.5). */
  scaling?: number;
  /** Debiased Sinkhorn divergence (default true). */
  debias?: boolean;
  /** Weights of x ([N] or [B, N]; default uniform 1/N) and y. */
  a?: WeightsInput;
  b?: WeightsInput;
  /** Default 'auto': tensorized for tiny problems, online otherwise. */
  backend?: OTBackend;
  /** Engine backend of the reductions ('auto', 'js', 'native', 'cuda', ...). */
  compute?: string;
  /** Compute the gradients (default true); `false` returns the value and potentials only. */
  gradients?: boolean;
  /**
   * Marginal tolerance: after GeomLoss' ε-schedule, keep iterating at the final ε until the L1
   * marginal error (largest over the problems of the loop and the batches) is ≤ tol. Default
   * undefined: GeomLoss' fixed schedule (plans miss their marginals by ~1e-1 at blur 0.01).
   */
  tol?: number;
  /** Most extra iterations at the final ε (default 10000 with tol; without tol, exactly maxIter). */
  maxIter?: number;
  /** Multiscale: kernel truncation, keep cluster pairs with f_k + g_l > C_kl − truncate·ε (default 5). */
  truncate?: number;
  /** Multiscale: width of the clustering grid (default diameter / (√D · 2000^(1/D)), as GeomLoss). */
  clusterScale?: number;
  /** Multiscale: user cluster labels of x [N] and y [M] (integers ≥ 0) instead of the grid. */
  labelsX?: Int32Array;
  labelsY?: Int32Array;
  /**
   * Multiscale: 'grid' (nested grids), 'kmeans' (nested k-means clusters) or 'auto' (default:
   * grids up to D = 3, k-means above or when the grid leaves too many clusters).
   */
  clustering?: ClusteringOption;
}

export type ClusteringOption = 'auto' | 'grid' | 'kmeans';
const CLUSTERINGS: readonly ClusteringOption[] = ['auto', 'grid', 'kmeans'];

/** Options after defaults and validation. */
export interface ResolvedOptions {
  loss: LossName;
  p: number;
  cost?: string | CostFunction;
  blur: number;
  reach?: number;
  diameter?: number;
  scaling: number;
  debias: boolean;
  backend: OTBackend;
  compute?: string;
  gradients: boolean;
  tol?: number;
  maxIter?: number;
  truncate: number;
  clusterScale?: number;
  labelsX?: Int32Array;
  labelsY?: Int32Array;
  clustering: ClusteringOption;
}

const LOSSES: readonly LossName[] = ['sinkhorn', 'hausdorff', 'energy', 'gaussian', 'laplacian'];
const BACKENDS: readonly OTBackend[] = ['auto', 'tensorized', 'online', 'multiscale'];
const KNOWN = new Set([
  'loss',
  'p',
  'cost',
  'blur',
  'reach',
  'diameter',
  'scaling',
  'debias',
  'a',
  'b',
  'backend',
  'compute',
  'gradients',
  'tol',
  'maxIter',
  'truncate',
  'clusterScale',
  'labelsX',
  'labelsY',
  'clustering',
]);

function positive(v: unknown, name: string): number {
  check(
    typeof v === 'number' && Number.isFinite(v) && v > 0,
    () => `${name} must be a finite number > 0, got ${String(v)}`,
  );
  return v as number;
}

function nonNegative(v: unknown, name: string): number {
  check(
    typeof v === 'number' && Number.isFinite(v) && v >= 0,
    () => `${name} must be a finite number ≥ 0, got ${String(v)}`,
  );
  return v as number;
}

/** Option names of solveOT (samplesLoss' without loss and debias). */
export const SOLVE_OT_OPTIONS: ReadonlySet<string> = new Set(
  [...KNOWN].filter((k) => k !== 'loss' && k !== 'debias'),
);

/** Applies defaults and checks every option; unknown option names are errors. */
export function resolveOptions(
  o: SamplesLossOptions = {},
  who = 'samplesLoss',
  known: ReadonlySet<string> = KNOWN,
): ResolvedOptions {
  check(typeof o === 'object' && o !== null, () => `${who}: options must be an object`);
  for (const k of Object.keys(o)) {
    if (!known.has(k))
      throw new LazyTensorError(`${who}: unknown option '${k}' (expected one of ${[...known].join(', ')})`);
  }
  const loss = o.loss ?? 'sinkhorn';
  check(LOSSES.includes(loss), () => `loss must be one of ${LOSSES.join(', ')}, got '${String(loss)}'`);
  const p = o.p ?? 2;
  if (o.cost === undefined) check(p === 1 || p === 2, () => `p must be 1 or 2, got ${String(p)}`);
  else positive(p, 'p');
  const blur = positive(o.blur ?? 0.05, 'blur');
  const reach = o.reach === undefined ? undefined : positive(o.reach, 'reach');
  const diameter = o.diameter === undefined ? undefined : positive(o.diameter, 'diameter');
  const scaling = o.scaling ?? 0.5;
  check(
    typeof scaling === 'number' && scaling > 0 && scaling < 1,
    () => `scaling must be a number in (0, 1), got ${String(scaling)}`,
  );
  const debias = o.debias ?? true;
  check(typeof debias === 'boolean', () => `debias must be a boolean, got ${String(debias)}`);
  const backend = o.backend ?? 'auto';
  check(
    BACKENDS.includes(backend),
    () => `backend must be one of ${BACKENDS.join(', ')}, got '${String(backend)}'`,
  );
  const gradients = o.gradients ?? true;
  check(typeof gradients === 'boolean', () => `gradients must be a boolean, got ${String(gradients)}`);
  if (o.compute !== undefined) {
    check(typeof o.compute === 'string', () => `compute must be a backend name, got ${typeof o.compute}`);
  }
  if (loss !== 'sinkhorn' && loss !== 'hausdorff') {
    check(o.cost === undefined, () => `loss '${loss}' is a kernel loss: it takes no cost`);
    check(reach === undefined, () => `loss '${loss}' is a kernel loss: it takes no reach`);
  }
  const tol = o.tol === undefined ? undefined : nonNegative(o.tol, 'tol');
  if (o.maxIter !== undefined)
    check(
      Number.isInteger(o.maxIter) && o.maxIter >= 0,
      () => `maxIter must be an integer ≥ 0, got ${String(o.maxIter)}`,
    );
  const truncate = positive(o.truncate ?? 5, 'truncate');
  const clusterScale = o.clusterScale === undefined ? undefined : positive(o.clusterScale, 'clusterScale');
  for (const [name, l] of [
    ['labelsX', o.labelsX],
    ['labelsY', o.labelsY],
  ] as const) {
    if (l !== undefined)
      check(
        l instanceof Int32Array,
        () => `${name} must be an Int32Array of cluster labels, got ${typeof l}`,
      );
  }
  const clustering = o.clustering ?? 'auto';
  check(
    CLUSTERINGS.includes(clustering),
    () =>
      `clustering must be one of ${CLUSTERINGS.map((c) => `'${c}'`).join(', ')}, got ${String(o.clustering)}`,
  );
  check(
    !(clustering === 'kmeans' && clusterScale !== undefined),
    "clusterScale sets the width of a grid: it cannot be combined with clustering 'kmeans'",
  );
  return {
    tol,
    maxIter: o.maxIter,
    clustering,
    truncate,
    clusterScale,
    labelsX: o.labelsX,
    labelsY: o.labelsY,
    loss,
    p,
    cost: o.cost,
    blur,
    reach,
    diameter,
    scaling,
    debias,
    backend,
    compute: o.compute,
    gradients,
  };
}
