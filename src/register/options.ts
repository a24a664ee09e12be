/** Options of `register`, their defaults and their validation. */
import { check, LazyTensorError } from '../errors.js';
import type { WeightsInput } from '../ot/input.js';
import type { OTBackend } from '../ot/options.js';
import { checkPower } from '../ot/schedule.js';

export type RegistrationModel = 'rigid' | 'similarity' | 'affine' | 'nonrigid';

export interface RegisterOptions {
  /** Default 'rigid'. */
  model?: RegistrationModel;
  /**
   * Final blur σ of the matching (ε = σ²); default 2% of the target's size: the largest side of the
   * box holding the central 90% of its points on each axis, divided by 0.9 (far outliers do not
   * inflate it). A partial source is registered more accurately with a finer blur and reach (e.g. 1% and 2%).
   */
  blur?: number;
  /**
   * Reach of the unbalanced matching (default 5% of the size: RobOT's robust matching, outliers
   * get a low confidence); `Infinity` for balanced matching (every confidence ≈ 1).
   */
  reach?: number;
  /** ε-scaling ratio of each Sinkhorn solve (default 0.5). */
  scaling?: number;
  /** Largest number of match–fit alternations of the refinement (default 40). */
  iterations?: number;
  /** Try a grid of initial rotations (default true for rigid and similarity in 2-D and 3-D). */
  searchInit?: boolean;
  /** Weights of the source [N] and target [M] points (default uniform 1/N and 1/M). */
  sourceWeights?: WeightsInput;
  targetWeights?: WeightsInput;
  /** Non-rigid: standard deviation of the Gaussian kernel smoothing the displacement (default 20% of the size). */
  smoothing?: number;
  /** Called after each matching with a running step number and the OT loss. */
  onProgress?: (step: number, loss: number) => void;
  /** OT backend of the matching, forwarded to samplesLoss ('auto' | 'tensorized' | 'online' | 'multiscale'). */
  backend?: OTBackend;
  /** Engine backend of the reductions ('auto', 'js', 'native', 'cuda', ...). */
  compute?: string;
  /**
   * The registration is fitted on a seeded subset of at most this many points of each cloud
   * (default 5000): the transform (rigid, similarity, affine), or the displacement of these control
   * points (non-rigid; elsewhere it is interpolated from them by a Gaussian kernel a quarter of
   * `smoothing` wide). The confidences of all source points come from one more reduction.
   */
  fitPoints?: number;
  /** Points of each cloud used by the global rotation search (default 600). */
  searchPoints?: number;
  /** Seed of the subsampling (default 0). */
  seed?: number;
}

export interface ResolvedRegisterOptions {
  model: RegistrationModel;
  blur?: number;
  reach?: number;
  scaling: number;
  iterations: number;
  searchInit: boolean;
  smoothing?: number;
  onProgress?: (step: number, loss: number) => void;
  backend?: OTBackend;
  compute?: string;
  fitPoints: number;
  searchPoints: number;
  seed: number;
}

const MODELS: readonly RegistrationModel[] = ['rigid', 'similarity', 'affine', 'nonrigid'];
const KNOWN = new Set([
  'model',
  'blur',
  'reach',
  'scaling',
  'iterations',
  'searchInit',
  'sourceWeights',
  'targetWeights',
  'smoothing',
  'onProgress',
  'backend',
  'compute',
  'fitPoints',
  'searchPoints',
  'seed',
]);

function positive(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  check(
    typeof v === 'number' && Number.isFinite(v) && v > 0,
    () => `register: ${name} must be a finite number > 0, got ${String(v)}`,
  );
  return v as number;
}

/** A length of the problem (blur, reach, smoothing): > 0, and its square and the inverse of that finite. */
function length(v: unknown, name: string): number | undefined {
  const l = positive(v, name);
  if (l !== undefined) checkPower(name, l, 2);
  return l;
}

function count(v: unknown, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  check(
    typeof v === 'number' && Number.isInteger(v) && v >= min,
    () => `register: ${name} must be an integer ≥ ${min}, got ${String(v)}`,
  );
  return v as number;
}

export function resolveRegisterOptions(o: RegisterOptions = {}): ResolvedRegisterOptions {
  check(typeof o === 'object' && o !== null, 'register: options must be an object');
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k))
      throw new LazyTensorError(`register: unknown option '${k}' (expected one of ${[...KNOWN].join(', ')})`);
  }
  const model = o.model ?? 'rigid';
  check(
    MODELS.includes(model),
    () => `register: model must be one of ${MODELS.join(', ')}, got '${String(model)}'`,
  );
  const scaling = o.scaling ?? 0.5;
  check(
    typeof scaling === 'number' && scaling > 0 && scaling < 1,
    () => `register: scaling must be a number in (0, 1), got ${String(scaling)}`,
  );
  const searchInit = o.searchInit ?? (model === 'rigid' || model === 'similarity');
  check(
    typeof searchInit === 'boolean',
    () => `register: searchInit must be a boolean, got ${String(searchInit)}`,
  );
  check(
    o.onProgress === undefined || typeof o.onProgress === 'function',
    () => `register: onProgress must be a function, got ${typeof o.onProgress}`,
  );
  check(
    o.compute === undefined || typeof o.compute === 'string',
    () => `register: compute must be a backend name, got ${typeof o.compute}`,
  );
  return {
    model,
    blur: length(o.blur, 'blur'),
    reach: o.reach === Number.POSITIVE_INFINITY ? o.reach : length(o.reach, 'reach'),
    scaling,
    iterations: count(o.iterations, 'iterations', 40, 1),
    searchInit,
    smoothing: length(o.smoothing, 'smoothing'),
    onProgress: o.onProgress,
    backend: o.backend,
    compute: o.compute,
    fitPoints: count(o.fitPoints, 'fitPoints', 5000, 3),
    searchPoints: count(o.searchPoints, 'searchPoints', 600, 3),
    seed: count(o.seed, 'seed', 0, 0),
  };
}
