/**
 * The reductions of a Hamerly k-means run (hamerly.ts): on a gathered subset of the points, the
 * nearest centroid other than each point's own (and plain Min_ArgMin for near ties), and the
 * separation of the centroids (a K×K reduction). Classes, not closures: their loops keep V8's
 * optimised code from one run to the next.
 */
import { type LazyTensor, reduce, Vi, Vj } from '../lazy/index.js';
import { allocFloat, type FloatArray } from '../ndarray.js';
import type { Problem } from './kmeansSteps.js';

/**
 * Added (times the indicator j = a_i) to ‖x_i − c_j‖² so that the minimum over j skips the
 * point's own centroid a_i.
 */
const EXCLUDE = 1e30;

/**
 * Reductions on the rows idx[0..m) of the data, gathered into buffers of their own (grown as
 * needed). `others`: Min_ArgMin over j of ‖x_i − c_j‖² + EXCLUDE·[j = a_i], a_i the point's label:
 * its nearest other centroid and that squared distance. Whatever EXCLUDE is, that minimum lies
 * between the smallest and the second smallest squared distance, or is a_i's own plus EXCLUDE (then
 * at most every other one), so bounds taken from it stay valid. `nearest`: plain Min_ArgMin over
 * all centroids. After a call, `values` and `indices` hold the m minima and argmins.
 */
export class SubsetReductions {
  private readonly X: LazyTensor;
  private readonly A: LazyTensor;
  private readonly D2: LazyTensor;
  private readonly G: LazyTensor;
  private cap = 0;
  private xs: FloatArray;
  private as: FloatArray;
  private vals: FloatArray;
  private inds = new Int32Array(0);
  values: FloatArray;
  indices: Int32Array = this.inds;

  constructor(
    private readonly pr: Problem,
    private readonly labels: Int32Array,
    cData: FloatArray,
  ) {
    const { K, p } = pr;
    const { d, dtype } = p;
    const ids = allocFloat(dtype, K);
    for (let k = 0; k < K; k++) ids[k] = k;
    this.xs = allocFloat(dtype, 0);
    this.as = allocFloat(dtype, 0);
    this.vals = allocFloat(dtype, 0);
    this.values = this.vals;
    this.X = Vi({ data: allocFloat(dtype, d), shape: [1, d] });
    this.A = Vi({ data: allocFloat(dtype, 1), shape: [1, 1] });
    const J = Vj({ data: ids, shape: [K, 1] });
    this.D2 = this.X.sqdist(Vj({ data: cData, shape: [K, d] }));
    // [j = a_i] as step(1/2 − |j − a_i|) (labels and ids are integers below 2^24, exact in the dtype).
    this.G = this.D2.add(J.sub(this.A).abs().neg().add(0.5).step().mul(EXCLUDE));
  }

  others(idx: Int32Array, m: number): void {
    this.gather(idx, m);
    this.run(this.G, m);
  }

  nearest(idx: Int32Array, m: number): void {
    this.gather(idx, m);
    this.run(this.D2, m);
  }

  private gather(idx: Int32Array, m: number): void {
    const { n, d, dtype, data } = this.pr.p;
    if (m > this.cap) {
      this.cap = Math.min(n, Math.max(m, 2 * this.cap));
      this.xs = allocFloat(dtype, this.cap * d);
      this.as = allocFloat(dtype, this.cap);
      this.vals = allocFloat(dtype, this.cap);
      this.inds = new Int32Array(this.cap);
    }
    const { xs, as } = this;
    const labels = this.labels;
    for (let q = 0; q < m; q++) {
      const i = idx[q]!;
      as[q] = labels[i]!;
      for (let c = 0; c < d; c++) xs[q * d + c] = data[i * d + c]!;
    }
  }

  private run(F: LazyTensor, m: number): void {
    const { d } = this.pr.p;
    const vars = new Map(F.vars);
    vars.set(this.X.formula, { data: this.xs.subarray(0, m * d), shape: [m, d] });
    if (F === this.G) vars.set(this.A.formula, { data: this.as.subarray(0, m), shape: [m, 1] });
    this.values = this.vals.subarray(0, m);
    this.indices = this.inds.subarray(0, m);
    const into = { values: this.values, indices: this.indices };
    reduce({ formula: F.formula, kind: 'Min_ArgMin', axis: 'j', data: vars, opts: this.pr.eng, into });
  }
}

/**
 * Half the distance from each centroid of `c` [K·D] (float64, rewritten by the caller) to the
 * nearest other one, times `scale` (+∞ when K = 1): one KMin (k = 2) reduction over the K×K
 * distances, whose second minimum skips the centroid itself.
 */
export class Separation {
  readonly s: Float64Array;
  private readonly H: LazyTensor | undefined;
  private readonly into: { values: Float64Array };

  constructor(
    private readonly pr: Problem,
    c: Float64Array,
    private readonly scale: number,
  ) {
    const { K } = pr;
    const { d } = pr.p;
    this.s = new Float64Array(K).fill(Number.POSITIVE_INFINITY);
    this.into = { values: new Float64Array(2 * K) };
    this.H = K === 1 ? undefined : Vi({ data: c, shape: [K, d] }).sqdist(Vj({ data: c, shape: [K, d] }));
  }

  update(): Float64Array {
    const { s } = this;
    const H = this.H;
    const into = this.into;
    if (!H) return s;
    reduce({ formula: H.formula, kind: 'KMin', k: 2, axis: 'j', data: H.vars, opts: this.pr.eng, into });
    for (let k = 0; k < s.length; k++) s[k] = 0.5 * Math.sqrt(into.values[2 * k + 1]!) * this.scale;
    return s;
  }
}
