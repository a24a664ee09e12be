/** Dense float64 reference of unbalanced entropic OT potentials (independent of src/ot). */

/** Unbalanced Sinkhorn (C = |x − y|²/2, ρ = reach², ε = blur²), alternating updates, run to convergence. */
export function unbalancedFixedPoint(
  x: Float64Array,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  D: number,
  blur: number,
  reach: number,
  iterations = 3000,
): { f: Float64Array; g: Float64Array } {
  const eps = blur * blur;
  const lam = 1 / (1 + eps / (reach * reach));
  const n = a.length;
  const m = b.length;
  const cost = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < D; k++) s += (x[i * D + k]! - y[j * D + k]!) ** 2;
    return s / 2;
  };
  const softmin = (
    rows: number,
    cols: number,
    w: Float64Array,
    pot: Float64Array,
    c: (r: number, q: number) => number,
  ) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let mx = Number.NEGATIVE_INFINITY;
      const t = new Float64Array(cols);
      for (let q = 0; q < cols; q++) {
        t[q] = Math.log(w[q]!) + (pot[q]! - c(r, q)) / eps;
        mx = Math.max(mx, t[q]!);
      }
      let s = 0;
      for (let q = 0; q < cols; q++) s += Math.exp(t[q]! - mx);
      out[r] = -lam * eps * (mx + Math.log(s));
    }
    return out;
  };
  let f = new Float64Array(n);
  let g = new Float64Array(m);
  for (let it = 0; it < iterations; it++) {
    f = softmin(n, m, b, g, cost);
    g = softmin(m, n, a, f, (j, i) => cost(i, j));
  }
  return { f, g };
}
