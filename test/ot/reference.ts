/**
 * Independent dense float64 references for the OT tests: plain loops over all pairs, written
 * from the formulas (GeomLoss' loop, kernel losses), sharing no code with src/ot.
 */
import { expect } from 'vitest';
import { finiteDiff } from '../helpers/check.js';

export { finiteDiff };

/** Seeded uniform numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let t = s ^ (s >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return (t >>> 0) / 4294967296;
  };
}

/** n points in dimension d, uniform in [lo, lo + width)^d, row-major. */
export function cloud(r: () => number, n: number, d: number, lo = 0, width = 1): Float64Array {
  const out = new Float64Array(n * d);
  for (let k = 0; k < out.length; k++) out[k] = lo + width * r();
  return out;
}

/** Random positive weights summing to `mass`. */
export function weights(r: () => number, n: number, mass = 1): Float64Array {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    w[i] = 0.2 + r();
    s += w[i]!;
  }
  for (let i = 0; i < n; i++) w[i] = (w[i]! * mass) / s;
  return w;
}

export function sqdist(x: ArrayLike<number>, i: number, y: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = x[i * d + k]! - y[j * d + k]!;
    s += t * t;
  }
  return s;
}

/** C(x_i, y_j) = |x − y|^p / p. */
export function costMatrix(x: ArrayLike<number>, y: ArrayLike<number>, d: number, p: number): Float64Array {
  const n = x.length / d;
  const m = y.length / d;
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) C[i * m + j] = Math.sqrt(sqdist(x, i, y, j, d)) ** p / p;
  return C;
}

/** −ε log Σ_j exp(h_j − C_ij/ε) for every row of C (n×m). */
function softmin(C: Float64Array, n: number, m: number, h: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < m; j++) mx = Math.max(mx, h[j]! - C[i * m + j]! / eps);
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.exp(h[j]! - C[i * m + j]! / eps - mx);
    out[i] = -eps * (mx + Math.log(s));
  }
  return out;
}

function transpose(C: Float64Array, n: number, m: number): Float64Array {
  const T = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) T[j * n + i] = C[i * m + j]!;
  return T;
}

export interface RefOptions {
  p: number;
  blur: number;
  scaling: number;
  diameter?: number;
  reach?: number;
  debias: boolean;
}

/** GeomLoss' ε list, written from its definition with a plain loop. */
export function refSchedule(p: number, diam: number, blur: number, scaling: number): number[] {
  const out = [diam ** p];
  let e = p * Math.log(diam);
  while (e > p * Math.log(blur)) {
    out.push(Math.exp(e));
    e += p * Math.log(scaling);
  }
  out.push(blur ** p);
  return out;
}

/** Dense GeomLoss Sinkhorn loss (value and potentials), float64. */
export function refSinkhorn(
  x: Float64Array,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: RefOptions,
): { value: number; f: Float64Array; g: Float64Array } {
  const n = a.length;
  const m = b.length;
  const Cxy = costMatrix(x, y, d, o.p);
  const Cyx = transpose(Cxy, n, m);
  const Cxx = costMatrix(x, x, d, o.p);
  const Cyy = costMatrix(y, y, d, o.p);
  let diam = o.diameter;
  if (diam === undefined) {
    let s = 0;
    for (let k = 0; k < d; k++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const c of [x, y])
        for (let i = 0; i < c.length / d; i++) {
          lo = Math.min(lo, c[i * d + k]!);
          hi = Math.max(hi, c[i * d + k]!);
        }
      s += (hi - lo) ** 2;
    }
    diam = Math.sqrt(s);
  }
  const epsList = refSchedule(o.p, diam, o.blur, o.scaling);
  const rho = o.reach === undefined ? undefined : o.reach ** o.p;
  const damp = (e: number) => (rho === undefined ? 1 : 1 / (1 + e / rho));
  const la = Float64Array.from(a, (v) => (v > 0 ? Math.log(v) : -100000));
  const lb = Float64Array.from(b, (v) => (v > 0 ? Math.log(v) : -100000));
  const sm = (
    C: Float64Array,
    r: number,
    c: number,
    lw: Float64Array,
    pot: Float64Array | null,
    e: number,
  ) => {
    const h = Float64Array.from(lw, (v, k) => v + (pot ? pot[k]! / e : 0));
    return softmin(C, r, c, h, e).map((v) => v * damp(e));
  };
  let e = epsList[0]!;
  let fAA = sm(Cxx, n, n, la, null, e);
  let gBB = sm(Cyy, m, m, lb, null, e);
  let gAB = sm(Cyx, m, n, la, null, e);
  let fBA = sm(Cxy, n, m, lb, null, e);
  for (const ee of epsList) {
    e = ee;
    const ft = sm(Cxx, n, n, la, fAA, e);
    const gt = sm(Cyy, m, m, lb, gBB, e);
    const gab = sm(Cyx, m, n, la, fBA, e);
    const fba = sm(Cxy, n, m, lb, gAB, e);
    fAA = fAA.map((v, k) => 0.5 * (v + ft[k]!));
    gBB = gBB.map((v, k) => 0.5 * (v + gt[k]!));
    gAB = gAB.map((v, k) => 0.5 * (v + gab[k]!));
    fBA = fBA.map((v, k) => 0.5 * (v + fba[k]!));
  }
  const fAAe = sm(Cxx, n, n, la, fAA, e);
  const gBBe = sm(Cyy, m, m, lb, gBB, e);
  const gABe = sm(Cyx, m, n, la, fBA, e);
  const fBAe = sm(Cxy, n, m, lb, gAB, e);
  let value = 0;
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const s = o.debias ? fAAe[i]! : 0;
    f[i] = fBAe[i]! - s;
    if (rho === undefined) value += a[i]! * f[i]!;
    else value += a[i]! * (rho + e / 2) * ((o.debias ? Math.exp(-s / rho) : 1) - Math.exp(-fBAe[i]! / rho));
  }
  for (let j = 0; j < m; j++) {
    const s = o.debias ? gBBe[j]! : 0;
    g[j] = gABe[j]! - s;
    if (rho === undefined) value += b[j]! * g[j]!;
    else value += b[j]! * (rho + e / 2) * ((o.debias ? Math.exp(-s / rho) : 1) - Math.exp(-gABe[j]! / rho));
  }
  return { value, f, g };
}

/** Dense kernel loss ½⟨α,Kα⟩ + ½⟨β,Kβ⟩ − ⟨α,Kβ⟩ for GeomLoss' kernels. */
export function refKernelLoss(
  kind: 'energy' | 'gaussian' | 'laplacian',
  x: Float64Array,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  d: number,
  s: number,
): number {
  const k = (r: number) =>
    kind === 'gaussian' ? Math.exp(-(r * r) / (2 * s * s)) : kind === 'laplacian' ? Math.exp(-r / s) : -r;
  const quad = (u: Float64Array, wu: Float64Array, v: Float64Array, wv: Float64Array) => {
    let t = 0;
    for (let i = 0; i < wu.length; i++)
      for (let j = 0; j < wv.length; j++) t += wu[i]! * wv[j]! * k(Math.sqrt(sqdist(u, i, v, j, d)));
    return t;
  };
  return 0.5 * quad(x, a, x, a) + 0.5 * quad(y, b, y, b) - quad(x, a, y, b);
}

/** max |a − b| / max(|b|, floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let e = 0;
  let s = floor;
  for (let k = 0; k < b.length; k++) {
    e = Math.max(e, Math.abs(a[k]! - b[k]!));
    s = Math.max(s, Math.abs(b[k]!));
  }
  return e / s;
}

/**
 * Dense Hausdorff divergence ½[⟨α, Φ(b_x) − Φ(a_x)⟩ + ⟨β, Φ(a_y) − Φ(b_y)⟩] with symmetric
 * potentials from GeomLoss' ε-scaling (averaged updates, damping, last step, extrapolation).
 */
export function refHausdorff(
  x: Float64Array,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  d: number,
  o: { p: number; blur: number; scaling: number; diameter: number; reach?: number },
): number {
  const n = a.length;
  const m = b.length;
  const epsList = refSchedule(o.p, o.diameter, o.blur, o.scaling);
  const rho = o.reach === undefined ? undefined : o.reach ** o.p;
  const damp = (e: number) => (rho === undefined ? 1 : 1 / (1 + e / rho));
  const sym = (u: Float64Array, w: Float64Array, v: Float64Array, nu: number, nv: number) => {
    const Cuu = costMatrix(u, u, d, o.p);
    const Cvu = costMatrix(v, u, d, o.p);
    const lw = Float64Array.from(w, (t) => (t > 0 ? Math.log(t) : -100000));
    const sm = (C: Float64Array, rows: number, pot: Float64Array | null, e: number) =>
      softminRows(
        C,
        rows,
        nu,
        Float64Array.from(lw, (t, k) => t + (pot ? pot[k]! / e : 0)),
        e,
      ).map((t) => t * damp(e));
    let e = epsList[0]!;
    let pot = sm(Cuu, nu, null, e);
    for (const ee of epsList) {
      e = ee;
      const t = sm(Cuu, nu, pot, e);
      pot = pot.map((q, k) => 0.5 * (q + t[k]!));
    }
    return { self: sm(Cuu, nu, pot, e), other: sm(Cvu, nv, pot, e), eps: e };
  };
  const A = sym(x, a, y, n, m);
  const B = sym(y, b, x, m, n);
  const e = A.eps;
  const phi = (f: number) => (rho === undefined ? f : (rho + e) * (1 - Math.exp(-f / rho)));
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * (phi(B.other[i]!) - phi(A.self[i]!));
  for (let k = 0; k < m; k++) s += b[k]! * (phi(A.other[k]!) - phi(B.self[k]!));
  return 0.5 * s;
}

function softminRows(
  C: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  eps: number,
): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, h[j]! - C[i * cols + j]! / eps);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(h[j]! - C[i * cols + j]! / eps - mx);
    out[i] = -eps * (mx + Math.log(s));
  }
  return out;
}

/** Inputs and analytic gradients of one loss evaluation, for `expectFiniteDiffGradients`. */
export interface GradCheck {
  x: Float64Array;
  y: Float64Array;
  a: Float64Array;
  b: Float64Array;
  /** The loss value at (X, Y, A, B). */
  val: (X: Float64Array, Y: Float64Array, A: Float64Array, B: Float64Array) => number;
  res: {
    gradX: { data: ArrayLike<number> };
    gradY: { data: ArrayLike<number> };
    gradA: { data: ArrayLike<number> };
    gradB: { data: ArrayLike<number> };
  };
}

/** Asserts the named gradients against central finite differences of `val` (relative error < tol). */
export function expectFiniteDiffGradients(
  c: GradCheck,
  which: readonly ('x' | 'y' | 'a' | 'b')[],
  tol: number,
): void {
  const { x, y, a, b, val, res } = c;
  const checks = {
    x: () => [res.gradX.data, finiteDiff((X) => val(X, y, a, b), x)] as const,
    y: () => [res.gradY.data, finiteDiff((Y) => val(x, Y, a, b), y)] as const,
    a: () => [res.gradA.data, finiteDiff((A) => val(x, y, A, b), a)] as const,
    b: () => [res.gradB.data, finiteDiff((B) => val(x, y, a, B), b)] as const,
  };
  for (const w of which) {
    const [analytic, fd] = checks[w]();
    expect(relErr(analytic, fd), `gradient w.r.t. ${w}`).toBeLessThan(tol);
  }
}

/**
 * Balanced problems fix the total mass, so weight gradients are defined up to a constant: checks
 * them along e_k − e_0 (the weights stay on the simplex), relative error of the differences < tol.
 */
export function expectSimplexWeightGradients(c: GradCheck, tol: number, h = 1e-6): void {
  const { x, y, a, b, val, res } = c;
  for (const [w, grad, side] of [
    [a, res.gradA.data, 'a'],
    [b, res.gradB.data, 'b'],
  ] as const) {
    const fd = new Float64Array(w.length - 1);
    const an = new Float64Array(w.length - 1);
    for (let k = 1; k < w.length; k++) {
      const wp = w.slice();
      const wm = w.slice();
      wp[k] = wp[k]! + h;
      wp[0] = wp[0]! - h;
      wm[k] = wm[k]! - h;
      wm[0] = wm[0]! + h;
      fd[k - 1] =
        side === 'a'
          ? (val(x, y, wp, b) - val(x, y, wm, b)) / (2 * h)
          : (val(x, y, a, wp) - val(x, y, a, wm)) / (2 * h);
      an[k - 1] = grad[k]! - grad[0]!;
    }
    expect(relErr(an, fd), `gradient w.r.t. ${side} along the simplex`).toBeLessThan(tol);
  }
}

/** An NDArray of float64 data (the OT functions' input form). */
export const nd = (data: Float64Array, shape: number[]) => ({ data, shape });

/** Dense float64 plan from potentials: π_ij = a_i b_j exp((f_i + g_j − C_ij)/ε), and its marginals. */
export function densePlan(
  a: Float64Array,
  b: Float64Array,
  f: Float64Array,
  g: Float64Array,
  C: Float64Array,
  eps: number,
) {
  const n = a.length;
  const m = b.length;
  const P = new Float64Array(n * m);
  const rows = new Float64Array(n);
  const cols = new Float64Array(m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const v = a[i]! * b[j]! * Math.exp((f[i]! + g[j]! - C[i * m + j]!) / eps);
      P[i * m + j] = v;
      rows[i] = rows[i]! + v;
      cols[j] = cols[j]! + v;
    }
  return { P, rows, cols };
}
