import { check } from '../../errors.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { randomDirections } from '../../random.js';
import { type PointsInput, readCloud, readWeights, type WeightsInput } from '../input.js';
import { type OneDResult, wasserstein1D } from './oneD.js';

/** Options of `slicedWasserstein`. */
export interface SlicedOptions {
  a?: WeightsInput;
  b?: WeightsInput;
  /** Exponent p ≥ 1 of the cost |x − y|^p / p (default 2). */
  p?: number;
  /** Number of random directions (default 100). */
  projections?: number;
  /** Seed of the directions (default 0): the same seed gives the same directions. */
  seed?: number;
  /** Explicit directions [L, D] (unit vectors); overrides `projections` and `seed`. */
  directions?: NDArray;
  /** Also return the gradients with respect to positions and weights (default false). */
  gradients?: boolean;
}

/** Result of `slicedWasserstein`. */
export interface SlicedResult {
  /** Mean over the directions θ of the exact 1-D cost Σ π |θ·x − θ·y|^p / p. */
  value: number;
  /** The 1-D value per direction. */
  values: Float64Array;
  /** The directions used, [L, D]. */
  directions: NDArray<Float64Array>;
  /**
   * With `gradients`: d value / d x and / d y, shaped like x and y (float64), and d value / d a,
   * d value / d b (the mean 1-D dual potentials; balanced OT: defined up to a constant, like
   * samplesLoss' gradA/gradB). Exact wherever the sorted orders and the 1-D plans are unique
   * (almost everywhere); at ties, a subgradient.
   */
  gradX?: NDArray<Float64Array>;
  gradY?: NDArray<Float64Array>;
  gradA?: NDArray<Float64Array>;
  gradB?: NDArray<Float64Array>;
}

/** Most values of the random directions [L, D] (the largest typed array: 2^31 − 1 values). */
const MAX_DIRECTION_VALUES = 2 ** 31 - 1;

/**
 * Sliced Wasserstein cost: the average, over L directions θ uniform on the sphere (seeded, so
 * deterministic), of the exact 1-D OT cost between the projected weighted clouds θ·x and θ·y
 * (GeomLoss units: |·|^p / p, no p-th root). O(L (N+M) log(N+M)).
 */
export function slicedWasserstein(x: PointsInput, y: PointsInput, opts: SlicedOptions = {}): SlicedResult {
  const cx = readCloud(x, 'slicedWasserstein: x');
  const cy = readCloud(y, 'slicedWasserstein: y');
  check(!cx.batched && !cy.batched, 'slicedWasserstein: expected unbatched clouds [N, D] and [M, D]');
  check(
    cx.d === cy.d,
    () => `slicedWasserstein: x and y must have the same dimension, got ${cx.d} and ${cy.d}`,
  );
  const d = cx.d;
  const a = readWeights(opts.a, cx, 'slicedWasserstein: a');
  const b = readWeights(opts.b, cy, 'slicedWasserstein: b');
  let dirs: Float64Array;
  let L: number;
  if (opts.directions) {
    const s = opts.directions.shape;
    check(
      s.length === 2 && s[1] === d && s[0]! > 0,
      () => `slicedWasserstein: directions must be [L, ${d}], got [${s.join(', ')}]`,
    );
    L = s[0]!;
    dirs = Float64Array.from(opts.directions.data as FloatArray);
    check(
      dirs.length === L * d,
      () => `slicedWasserstein: directions: shape [${s.join(', ')}] does not match ${dirs.length} values`,
    );
    const bad = dirs.findIndex((v) => !Number.isFinite(v));
    check(bad < 0, () => `slicedWasserstein: directions: value ${bad} is not finite (${dirs[bad]})`);
  } else {
    L = opts.projections ?? 100;
    check(
      Number.isInteger(L) && L > 0 && L * d <= MAX_DIRECTION_VALUES,
      () =>
        `slicedWasserstein: projections must be a positive integer with projections × D ≤ ${MAX_DIRECTION_VALUES}, ` +
        `got ${L} (D = ${d})`,
    );
    const seed = opts.seed ?? 0;
    check(Number.isInteger(seed), () => `slicedWasserstein: seed must be an integer, got ${String(seed)}`);
    dirs = randomDirections(L, d, seed);
  }
  const p = opts.p ?? 2;
  const withGrad = opts.gradients ?? false;
  const px = new Float64Array(cx.n);
  const py = new Float64Array(cy.n);
  const values = new Float64Array(L);
  const g = withGrad ? new SlicedGradients(cx.n, cy.n, d, p) : undefined;
  let total = 0;
  for (let l = 0; l < L; l++) {
    project(cx.data, cx.n, d, dirs, l, px);
    project(cy.data, cy.n, d, dirs, l, py);
    const r = wasserstein1D(px, py, { a, b, p, potentials: withGrad });
    values[l] = r.value;
    total += r.value;
    g?.add(r, px, py, dirs.subarray(l * d, (l + 1) * d));
  }
  const out: SlicedResult = { value: total / L, values, directions: { data: dirs, shape: [L, d] } };
  if (g) Object.assign(out, g.result(L, [...cx.shape], [...cy.shape]));
  return out;
}

/**
 * Accumulates the envelope-theorem gradients of the 1-D costs over the directions: along θ,
 * d/d(θ·x_i) Σ π c(θ·x − θ·y) = Σ_j π_ij c'(θ·x_i − θ·y_j), c'(u) = sign(u)|u|^{p−1}, which
 * moves x_i along θ; the weight derivatives are the 1-D dual potentials.
 */
class SlicedGradients {
  private readonly gx: Float64Array;
  private readonly gy: Float64Array;
  private readonly ga: Float64Array;
  private readonly gb: Float64Array;

  constructor(
    n: number,
    m: number,
    private readonly d: number,
    private readonly p: number,
  ) {
    this.gx = new Float64Array(n * d);
    this.gy = new Float64Array(m * d);
    this.ga = new Float64Array(n);
    this.gb = new Float64Array(m);
  }

  private slope(u: number): number {
    if (this.p === 2) return u;
    if (u === 0) return 0;
    return Math.sign(u) * Math.abs(u) ** (this.p - 1);
  }

  add(r: OneDResult, px: Float64Array, py: Float64Array, theta: Float64Array): void {
    const d = this.d;
    const plan = r.plan!;
    for (let k = 0; k < plan.mass.length; k++) {
      const i = plan.rows[k]!;
      const j = plan.cols[k]!;
      const s = plan.mass[k]! * this.slope(px[i]! - py[j]!);
      for (let c = 0; c < d; c++) {
        this.gx[i * d + c] = this.gx[i * d + c]! + s * theta[c]!;
        this.gy[j * d + c] = this.gy[j * d + c]! - s * theta[c]!;
      }
    }
    for (let i = 0; i < this.ga.length; i++) this.ga[i] = this.ga[i]! + r.f![i]!;
    for (let j = 0; j < this.gb.length; j++) this.gb[j] = this.gb[j]! + r.g![j]!;
  }

  result(L: number, xShape: number[], yShape: number[]) {
    for (const v of [this.gx, this.gy, this.ga, this.gb]) for (let k = 0; k < v.length; k++) v[k] = v[k]! / L;
    return {
      gradX: { data: this.gx, shape: xShape },
      gradY: { data: this.gy, shape: yShape },
      gradA: { data: this.ga, shape: [this.ga.length] },
      gradB: { data: this.gb, shape: [this.gb.length] },
    };
  }
}

function project(
  data: FloatArray,
  n: number,
  d: number,
  dirs: Float64Array,
  l: number,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += data[i * d + k]! * dirs[l * d + k]!;
    out[i] = s;
  }
}
