import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { type KernelName, kernelRidge, nystrom } from '../../src/learn/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { normal, rng, uniform } from '../helpers/rng.js';

/** k(x, y) of each kernel, written out in float64. */
const KERNEL: Record<KernelName, (d2: number, s: number) => number> = {
  gaussian: (d2, s) => Math.exp(-d2 / (2 * s * s)),
  laplacian: (d2, s) => Math.exp(-Math.sqrt(d2) / s),
  cauchy: (d2, s) => 1 / (1 + d2 / (s * s)),
  'inverse-multiquadric': (d2, s) => 1 / Math.sqrt(1 + d2 / (s * s)),
};

function kernelDense(
  x: Float64Array,
  y: Float64Array,
  D: number,
  kernel: KernelName,
  s: number,
): Float64Array {
  const n = x.length / D;
  const m = y.length / D;
  const K = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let d2 = 0;
      for (let k = 0; k < D; k++) d2 += (x[i * D + k]! - y[j * D + k]!) ** 2;
      K[i * m + j] = KERNEL[kernel](d2, s);
    }
  return K;
}

/** Solves A X = B (A n×n, B n×E) by Gaussian elimination with partial pivoting, float64. */
function denseSolve(A: Float64Array, B: Float64Array, n: number, E: number): Float64Array {
  const a = Float64Array.from(A);
  const b = Float64Array.from(B);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    for (let k = 0; k < n; k++) [a[c * n + k], a[p * n + k]] = [a[p * n + k]!, a[c * n + k]!];
    for (let e = 0; e < E; e++) [b[c * E + e], b[p * E + e]] = [b[p * E + e]!, b[c * E + e]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / a[c * n + c]!;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
      for (let e = 0; e < E; e++) b[r * E + e]! -= f * b[c * E + e]!;
    }
  }
  for (let r = n - 1; r >= 0; r--)
    for (let e = 0; e < E; e++) {
      let s = b[r * E + e]!;
      for (let k = r + 1; k < n; k++) s -= a[r * n + k]! * b[k * E + e]!;
      b[r * E + e] = s / a[r * n + r]!;
    }
  return b;
}

const N = 300;
const D = 3;
const X = uniform(rng(1), N * D);
const Y = normal(rng(2), N * 2);
const x = { data: X, shape: [N, D] };
const y = { data: Y, shape: [N, 2] };

describe.each(backendsUnderTest())('kernelRidge on %s', (backend) => {
  for (const kernel of Object.keys(KERNEL) as KernelName[]) {
    it(`${kernel}: coef equals a dense float64 solve of (αI + K) c = y, two right-hand sides; predict = K(x', x) c`, () => {
      const scale = 0.3;
      const alpha = 1e-2;
      const A = kernelDense(X, X, D, kernel, scale);
      for (let i = 0; i < N; i++) A[i * N + i]! += alpha;
      const ref = denseSolve(A, Y, N, 2);
      const model = kernelRidge(x, y, { kernel, scale, alpha, tol: 1e-10, backend });
      expect(model.coef.shape).toEqual([N, 2]);
      expect(model.residual).toBeLessThanOrEqual(1e-10);
      let err = 0;
      let nrm = 0;
      for (let t = 0; t < N * 2; t++) {
        err = Math.max(err, Math.abs(model.coef.data[t]! - ref[t]!));
        nrm = Math.max(nrm, Math.abs(ref[t]!));
      }
      expect(err / nrm).toBeLessThan(1e-7);
      const Xn = uniform(rng(5), 7 * D);
      const Kn = kernelDense(Xn, X, D, kernel, scale);
      const pred = model.predict({ data: Xn, shape: [7, D] });
      expect(pred.shape).toEqual([7, 2]);
      for (let i = 0; i < 7; i++)
        for (let e = 0; e < 2; e++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += Kn[i * N + j]! * ref[j * 2 + e]!;
          expect(pred.data[i * 2 + e]!).toBeCloseTo(s, 6);
        }
    });
  }

  it('the Nyström preconditioner cuts the CG iterations, to the same answer', () => {
    const opts = { scale: 0.5, alpha: 1e-4, tol: 1e-8, backend, rank: 60 };
    const plain = kernelRidge(x, y, { ...opts, preconditioner: 'none' });
    const pre = kernelRidge(x, y, opts);
    expect(pre.iterations * 3).toBeLessThan(plain.iterations);
    for (let t = 0; t < N * 2; t++) expect(pre.coef.data[t]!).toBeCloseTo(plain.coef.data[t]!, 2);
    expect(pre.residual).toBeLessThanOrEqual(1e-8);
  });

  it("method 'nystrom' solves (αI + F Fᵀ) c = y exactly and reports the exact system's residual", () => {
    const opts = { scale: 0.5, alpha: 1e-2, rank: 80, backend, seed: 3 };
    const model = kernelRidge(x, y, { ...opts, method: 'nystrom' });
    expect(model.iterations).toBe(0);
    const F = nystrom(x, opts).factor.data;
    const r = 80;
    const A = new Float64Array(N * N);
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) {
        let s = i === j ? opts.alpha : 0;
        for (let k = 0; k < r; k++) s += F[i * r + k]! * F[j * r + k]!;
        A[i * N + j] = s;
      }
    const ref = denseSolve(A, Y, N, 2);
    for (let t = 0; t < N * 2; t++) expect(model.coef.data[t]!).toBeCloseTo(ref[t]!, 5);
    // The exact residual, computed here with the dense kernel.
    const K = kernelDense(X, X, D, 'gaussian', 0.5);
    let num = 0;
    let den = 0;
    for (let i = 0; i < N; i++) {
      let s = opts.alpha * model.coef.data[i * 2]!;
      for (let j = 0; j < N; j++) s += K[i * N + j]! * model.coef.data[j * 2]!;
      num += (s - Y[i * 2]!) ** 2;
      den += Y[i * 2]! ** 2;
    }
    expect(model.residual).toBeGreaterThanOrEqual(Math.sqrt(num / den) * (1 - 1e-6));
  });
});

describe('nystrom', () => {
  it('F Fᵀ reproduces K on the landmark columns and never exceeds it (K − F Fᵀ ⪰ 0 on the diagonal)', () => {
    const n = 120;
    const xs = uniform(rng(7), n * 2);
    const { landmarks, factor } = nystrom({ data: xs, shape: [n, 2] }, { scale: 0.4, rank: 25, seed: 1 });
    expect(new Set(landmarks).size).toBe(25);
    expect(factor.shape).toEqual([n, 25]);
    const K = kernelDense(xs, xs, 2, 'gaussian', 0.4);
    const r = 25;
    for (let i = 0; i < n; i++) {
      let dii = 0;
      for (let k = 0; k < r; k++) dii += factor.data[i * r + k]! ** 2;
      expect(dii).toBeLessThanOrEqual(K[i * n + i]! + 1e-9);
      for (const l of landmarks) {
        let s = 0;
        for (let k = 0; k < r; k++) s += factor.data[i * r + k]! * factor.data[l * r + k]!;
        expect(s).toBeCloseTo(K[i * n + l]!, 6);
      }
    }
    // Seeds are reproducible.
    const again = nystrom({ data: xs, shape: [n, 2] }, { scale: 0.4, rank: 25, seed: 1 });
    expect(Array.from(again.landmarks)).toEqual(Array.from(landmarks));
  });
});

describe('kernelRidge and nystrom: bad input', () => {
  const throwsLazy = (f: () => unknown, re: RegExp) => {
    expect(f).toThrow(LazyTensorError);
    expect(f).toThrow(re);
  };
  it('reports NaN data, wrong row counts, bad rank, scale and alpha', () => {
    const bad = Float64Array.from(X);
    bad[4] = Number.NaN;
    throwsLazy(
      () => kernelRidge({ data: bad, shape: [N, D] }, y, { scale: 1, alpha: 1 }),
      /point 1 has a non-finite/,
    );
    const yb = Float64Array.from(Y);
    yb[3] = Number.POSITIVE_INFINITY;
    throwsLazy(
      () => kernelRidge(x, { data: yb, shape: [N, 2] }, { scale: 1, alpha: 1 }),
      /y has a non-finite/,
    );
    throwsLazy(
      () => kernelRidge(x, { data: Y.subarray(0, 20), shape: [10, 2] }, { scale: 1, alpha: 1 }),
      /y must be \[300\]/,
    );
    throwsLazy(() => kernelRidge(x, y, { scale: 1, alpha: 0 }), /alpha must be a finite number > 0/);
    throwsLazy(() => kernelRidge(x, y, { scale: -1, alpha: 1 }), /scale must be/);
    throwsLazy(
      () => kernelRidge(x, y, { scale: 1, alpha: 1, kernel: 'rbf' as never }),
      /kernel must be one of/,
    );
    throwsLazy(
      () => kernelRidge(x, y, { scale: 1, alpha: 1, rank: N + 1 }),
      /rank must be an integer in \[1, 300\]/,
    );
    throwsLazy(() => nystrom(x, { scale: 1, rank: 0 }), /rank must be an integer in \[1, 300\]/);
    const m = kernelRidge(x, y, { scale: 1, alpha: 1 });
    throwsLazy(() => m.predict([[0, 0]]), /dimension 3, got dimension 2/);
  });
  it('reports non-convergence with the residual, and onProgress can stop it', () => {
    throwsLazy(
      () => kernelRidge(x, y, { scale: 0.5, alpha: 1e-6, preconditioner: 'none', maxIter: 3 }),
      /kernelRidge: conjugate gradient did not converge in 3 iterations \(relative residual .* increase alpha/,
    );
    const seen: number[] = [];
    const stop = () =>
      kernelRidge(x, y, {
        scale: 0.5,
        alpha: 1e-6,
        preconditioner: 'none',
        onProgress: (p) => {
          seen.push(p.iteration);
          expect(p.residuals.length).toBe(2);
          expect(p.residual).toBe(Math.max(...p.residuals));
          return p.iteration < 4;
        },
      });
    expect(stop).toThrow(/kernelRidge: conjugate gradient was stopped by onProgress \(relative residual/);
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

describe('kernel length scales at the ends of the float range', () => {
  // Points u at scale 1 with scale 0.5, the same points times s with scale 0.5·s: one kernel
  // matrix, one solution (the dense float64 reference on u).
  const n = 40;
  const d = 2;
  const u = uniform(rng(7), n * d);
  const yv = normal(rng(8), n);
  const alpha = 1e-2;
  function reference(kernel: KernelName): Float64Array {
    const A = kernelDense(u, u, d, kernel, 0.5);
    for (let i = 0; i < n; i++) A[i * n + i]! += alpha;
    return denseSolve(A, yv, n, 1);
  }
  const cases: [string, (v: Float64Array) => Float64Array | Float32Array, number, number][] = [
    // 1/(2·scale²) overflows float64; overflows float32; underflows float32 (and squares overflow).
    ['float64, scale 5e-171', (v) => Float64Array.from(v), 1e-170, 1e-9],
    ['float32, scale 5e-26', (v) => Float32Array.from(v), 1e-25, 1e-3],
    ['float32, scale 5e29', (v) => Float32Array.from(v), 1e30, 1e-3],
  ];
  for (const [name, T, s, tol] of cases) {
    for (const kernel of Object.keys(KERNEL) as KernelName[]) {
      it(`${name}, ${kernel}: the solution at scale 1 (was: a Pm() error, 'not positive semi-definite', or K of all ones)`, () => {
        const ref = reference(kernel);
        const xs = { data: T(u.map((v) => v * s)), shape: [n, d] };
        for (const method of ['cg', 'nystrom'] as const) {
          const model = kernelRidge(
            xs,
            { data: yv, shape: [n] },
            { kernel, scale: 0.5 * s, alpha, method, rank: n, tol: 1e-8 },
          );
          let err = 0;
          let nrm = 0;
          for (let i = 0; i < n; i++) {
            err = Math.max(err, Math.abs(model.coef.data[i]! - ref[i]!));
            nrm = Math.max(nrm, Math.abs(ref[i]!));
          }
          // 'nystrom' solves (αI + F Fᵀ) c = y, F from K_mm + εI: a looser match.
          expect(err / nrm, method).toBeLessThan(method === 'cg' ? tol : 10 * tol);
          const p = model.predict({ data: T(u.subarray(0, d).map((v) => v * s)), shape: [1, d] }).data[0]!;
          const Kp = kernelDense(u.subarray(0, d), u, d, kernel, 0.5);
          let want = 0;
          for (let j = 0; j < n; j++) want += Kp[j]! * ref[j]!;
          expect(Math.abs(p - want), method).toBeLessThan(10 * tol * nrm * n);
        }
      });
    }
  }
  it('a scale so small that x / scale overflows: a LazyTensorError naming the scale', () => {
    expect(() => kernelRidge([[0], [1]], [[1], [2]], { scale: 1e-320, alpha: 1 })).toThrow(
      /kernelRidge: scale 1e-320 is too small/,
    );
  });
});

describe('kernelRidge: solutions that leave the float range', () => {
  it("method 'nystrom' with an alpha too small for duplicated points with different targets (was: coef ±1e300, residual Infinity)", () => {
    const x = [[0], [0], [1]];
    const yv = { data: Float64Array.from([1, -1, 3]), shape: [3] };
    expect(() => kernelRidge(x, yv, { scale: 1, alpha: 1e-300, method: 'nystrom' })).toThrow(
      /increase alpha/,
    );
    // The same system with a usable alpha: both duplicates get the mean target's share.
    const ok = kernelRidge(x, yv, { scale: 1, alpha: 1e-3, method: 'nystrom' });
    expect(Number.isFinite(ok.residual)).toBe(true);
    expect(ok.coef.data.every((v) => Number.isFinite(v))).toBe(true);
  });
  it.each([
    ['cg', 1e300],
    ['cg', 1e-300],
    ['nystrom', 1e300],
    ['nystrom', 1e-300],
  ] as const)("method '%s', y scaled by %s: coef scaled alike (was: residual NaN or 'diverged' for 1e300, coef 0 for 1e-300)", (method, s) => {
    const x = [[0], [0.5], [2]];
    const y1 = Float64Array.from([1, -2, 3]);
    const ref = kernelRidge(x, { data: y1, shape: [3] }, { scale: 1, alpha: 1e-2, method, tol: 1e-10 });
    const res = kernelRidge(
      x,
      { data: y1.map((v) => v * s), shape: [3] },
      { scale: 1, alpha: 1e-2, method, tol: 1e-10 },
    );
    for (let i = 0; i < 3; i++) expect(res.coef.data[i]! / s).toBeCloseTo(ref.coef.data[i]!, 8);
    expect(res.residual).toBeLessThan(1e-8);
    expect(res.predict([[0.5]]).data[0]! / s).toBeCloseTo(ref.predict([[0.5]]).data[0]!, 8);
  });
  it('y so large that coef overflows the dtype: a LazyTensorError', () => {
    const yv = { data: Float32Array.from([3e38, -3e38, 3e38]), shape: [3] };
    const x = { data: Float32Array.from([0, 0.01, 0.02]), shape: [3, 1] };
    expect(() => kernelRidge(x, yv, { scale: 1, alpha: 1e-3 })).toThrow(/coef overflows float32/);
  });
});
