import { describe, expect, it } from 'vitest';
import { type NDArray, Pm, Vi, Vj } from '../../src/index.js';
import { backendsUnderTest, DTYPES } from '../helpers/backends.js';
import { dot, expectClose, finiteDiff, tol } from '../helpers/check.js';
import { normal, rng, uniform } from '../helpers/rng.js';

/** Conformance cases of shared/conformance.md, on every backend and dtype, against dense float64 loops. */

type DT = 'float32' | 'float64';
const arr = (data: Float64Array, shape: number[], dtype: DT): NDArray => ({
  data: dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data),
  shape,
});

function sqd(a: Float64Array, i: number, b: Float64Array, j: number, D: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) {
    const d = a[i * D + k]! - b[j * D + k]!;
    s += d * d;
  }
  return s;
}

for (const backend of backendsUnderTest()) {
  for (const dtype of DTYPES) {
    const opts = { backend };
    describe(`conformance on ${backend}, ${dtype}`, () => {
      it('case 7: ArgKMin K=3 of SqDist is the first 3 of the argsort of each row', () => {
        const r = rng(7);
        const N = 6;
        const M = 10;
        const X = uniform(r, N * 3);
        const Y = uniform(r, M * 3);
        const got = Vi(arr(X, [N, 3], dtype))
          .sqdist(Vj(arr(Y, [M, 3], dtype)))
          .argKmin(3, 'j', opts);
        expect(got.shape).toEqual([N, 3]);
        for (let i = 0; i < N; i++) {
          const order = Array.from({ length: M }, (_, j) => j).sort(
            (a, b) => sqd(X, i, Y, a, 3) - sqd(X, i, Y, b, 3),
          );
          expect(Array.from(got.data.subarray(i * 3, i * 3 + 3))).toEqual(order.slice(0, 3));
        }
      });

      it('case 9: log-sum-exp with weights for four kernels', () => {
        const r = rng(9);
        const N = 6;
        const M = 10;
        const X = uniform(r, N * 3);
        const Y = uniform(r, M * 3);
        const g = normal(r, M);
        const sigma = 0.7;
        const kernels: [
          string,
          (d2: number) => number,
          (x: ReturnType<typeof Vi>) => ReturnType<typeof Vi>,
        ][] = [
          ['gaussian', (d2) => -d2 / sigma ** 2, (d2) => d2.mul(-1 / sigma ** 2)],
          ['laplacian', (d2) => -Math.sqrt(d2), (d2) => d2.sqrt().neg()],
          ['cauchy', (d2) => Math.log(1 / (1 + d2)), (d2) => d2.add(1).inv().log()],
          ['inverse multiquadric', (d2) => Math.log(1 / Math.sqrt(1 + d2)), (d2) => d2.add(1).rsqrt().log()],
        ];
        for (const [name, ref, lazy] of kernels) {
          const d2 = Vi(arr(X, [N, 3], dtype)).sqdist(Vj(arr(Y, [M, 3], dtype)));
          const w = Vj(arr(g.map(Math.exp), [M, 1], dtype));
          const got = lazy(d2).logsumexp('j', { ...opts, weight: w });
          const want = Float64Array.from({ length: N }, (_, i) => {
            const t = Array.from({ length: M }, (_, j) => ref(sqd(X, i, Y, j, 3)) + g[j]!);
            const m = Math.max(...t);
            return m + Math.log(t.reduce((s, v) => s + Math.exp(v - m), 0));
          });
          expectClose(got.data, want, tol(dtype, 1e-5, 1e-12), 0, name);
        }
      });

      it('case 10: LSE of p0·X + p1·Y, gradients w.r.t. X and Y', () => {
        const r = rng(10);
        const N = 6;
        const M = 10;
        const Xd = uniform(r, N);
        const Yd = uniform(r, M);
        const P = [0.7, -1.3];
        const x = Vi(arr(Xd, [N, 1], dtype));
        const y = Vj(arr(Yd, [M, 1], dtype));
        const p = Pm(P);
        const red = p.elem(0).mul(x).add(p.elem(1).mul(y)).reduction('LogSumExp', 'j', opts);
        const ones = { data: new Float64Array(N).fill(1), shape: [N, 1] };
        const gx = red.grad(x, ones).eval();
        const gy = red.grad(y, ones).eval();
        expectClose(gx.data, new Float64Array(N).fill(P[0]!), tol(dtype, 1e-6, 1e-13), 0, 'dX');
        const want = new Float64Array(M);
        for (let i = 0; i < N; i++) {
          const t = Array.from({ length: M }, (_, j) => P[0]! * Xd[i]! + P[1]! * Yd[j]!);
          const m = Math.max(...t);
          const z = t.reduce((s, v) => s + Math.exp(v - m), 0);
          t.forEach((v, j) => (want[j]! += (P[1]! * Math.exp(v - m)) / z));
        }
        expectClose(gy.data, want, tol(dtype, 1e-6, 1e-12), 0, 'dY');
      });

      it('case 12: SumSoftMaxWeight of SqDist with a 3-D weight, and its gradients', () => {
        const r = rng(12);
        const N = 6;
        const M = 10;
        const X = uniform(r, N * 3);
        const Y = uniform(r, M * 3);
        const B = uniform(r, M * 3);
        const ref = (Xv: Float64Array, Yv: Float64Array, Bv: Float64Array) => {
          const out = new Float64Array(N * 3);
          for (let i = 0; i < N; i++) {
            const t = Array.from({ length: M }, (_, j) => sqd(Xv, i, Yv, j, 3));
            const m = Math.max(...t);
            const w = t.map((v) => Math.exp(v - m));
            const z = w.reduce((a, b) => a + b, 0);
            for (let j = 0; j < M; j++)
              for (let c = 0; c < 3; c++) out[i * 3 + c]! += (w[j]! * Bv[j * 3 + c]!) / z;
          }
          return out;
        };
        const x = Vi(arr(X, [N, 3], dtype));
        const y = Vj(arr(Y, [M, 3], dtype));
        const b = Vj(arr(B, [M, 3], dtype));
        const red = x.sqdist(y).reduction('SumSoftMaxWeight', 'j', { ...opts, weight: b });
        expectClose(red.eval().data, ref(X, Y, B), tol(dtype, 1e-6, 1e-12), 0, 'value');
        if (dtype === 'float64') {
          const e = uniform(r, N * 3, -1, 1);
          const E = { data: e, shape: [N, 3] };
          expectClose(
            red.grad(x, E).eval().data,
            finiteDiff((v) => dot(ref(v, Y, B), e), X),
            1e-7,
            1e-8,
            'dX',
          );
          expectClose(
            red.grad(y, E).eval().data,
            finiteDiff((v) => dot(ref(X, v, B), e), Y),
            1e-7,
            1e-8,
            'dY',
          );
          expectClose(
            red.grad(b, E).eval().data,
            finiteDiff((v) => dot(ref(X, Y, v), e), B),
            1e-7,
            1e-8,
            'dB',
          );
        }
      });

      it('case 13: batched Gaussian with broadcasting, grads of Σ out² w.r.t. x, y, s, second order', () => {
        const r = rng(13);
        const M = 10;
        const N = 6;
        const D = 3;
        const X = uniform(r, 5 * 3 * M * D);
        const L = uniform(r, 5 * M);
        const Y = uniform(r, 3 * N * D);
        const S = uniform(r, 15).map((v) => v + 1);
        // x (5,3,M,D), l (5,1,M,1), y (1,3,N,D), s (5,3,1): D_ij = Σ_k 0.5 (l x - y)² / s
        const ref = (Xv: Float64Array, Yv: Float64Array, Sv: Float64Array) => {
          const out = new Float64Array(15 * M);
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 3; b++)
              for (let i = 0; i < M; i++) {
                let t = 0;
                for (let j = 0; j < N; j++) {
                  let d = 0;
                  for (let k = 0; k < D; k++) {
                    const u = L[a * M + i]! * Xv[((a * 3 + b) * M + i) * D + k]! - Yv[(b * N + j) * D + k]!;
                    d += (0.5 * u * u) / Sv[a * 3 + b]!;
                  }
                  t += Math.exp(-d);
                }
                out[(a * 3 + b) * M + i] = t;
              }
          return out;
        };
        const x = Vi(arr(X, [5, 3, M, D], dtype));
        const l = Vi(arr(L, [5, 1, M, 1], dtype));
        const y = Vj(arr(Y, [1, 3, N, D], dtype));
        const s = Pm(arr(S, [5, 3, 1], dtype));
        const Dij = l.mul(x).sub(y).square().mul(0.5).div(s).sum(-1);
        const red = Dij.neg().exp().reduction('Sum', 'j', opts);
        const out = red.eval();
        expect(out.shape).toEqual([5, 3, M, 1]);
        const want = ref(X, Y, S);
        expectClose(out.data, want, tol(dtype, 1e-5, 1e-12), 0, 'value');
        const e = { data: want.map((v) => 2 * v), shape: [5, 3, M, 1] };
        const sq = (o: Float64Array) => dot(o, o);
        const t1 = dtype === 'float32' ? 1e-3 : 1e-6;
        expectClose(
          red.grad(x, e).eval().data,
          finiteDiff((v) => sq(ref(v, Y, S)), X),
          t1,
          t1,
          'dx',
        );
        expectClose(
          red.grad(y, e).eval().data,
          finiteDiff((v) => sq(ref(X, v, S)), Y),
          t1,
          t1,
          'dy',
        );
        const gs = red.grad(s, e).eval();
        expect(gs.shape).toEqual([5, 3, 1]);
        expectClose(
          gs.data,
          finiteDiff((v) => sq(ref(X, Y, v)), S),
          t1,
          t1,
          'ds',
        );
        if (dtype === 'float64') {
          // Second order: d/ds ⟨d⟨red, e⟩/dx, e2⟩ with e fixed, against finite differences of the first order.
          const e2 = uniform(r, X.length, -1, 1);
          const g2 = red
            .grad(x, e)
            .grad(s, { data: e2, shape: [5, 3, M, D] })
            .eval();
          const first = (Sv: Float64Array) => {
            const s2 = Pm({ data: Sv, shape: [5, 3, 1] });
            const r2 = l
              .mul(x)
              .sub(y)
              .square()
              .mul(0.5)
              .div(s2)
              .sum(-1)
              .neg()
              .exp()
              .reduction('Sum', 'j', opts);
            return dot(r2.grad(x, e).eval().data, e2);
          };
          expectClose(g2.data, finiteDiff(first, S, 1e-5), 1e-5, 1e-6, 'd2/dx ds');
        }
      });

      it('case 14: batched log-sum-exp of -1/(1+D) with ReLU, grads and mixed second order w.r.t. s', () => {
        const r = rng(14);
        const M = 10;
        const N = 6;
        const D = 3;
        const X = uniform(r, 5 * 3 * M * D, -1, 1);
        const L = uniform(r, 5 * M);
        const Y = uniform(r, 3 * N * D, -1, 1);
        const S = uniform(r, 15).map((v) => v + 1);
        const ref = (Xv: Float64Array, Sv: Float64Array) => {
          const out = new Float64Array(15 * M);
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 3; b++)
              for (let i = 0; i < M; i++) {
                const t: number[] = [];
                for (let j = 0; j < N; j++) {
                  let d = 0;
                  for (let k = 0; k < D; k++) {
                    const u = L[a * M + i]! * Xv[((a * 3 + b) * M + i) * D + k]! + Y[(b * N + j) * D + k]!;
                    d += (Math.max(u, 0) * Sv[a * 3 + b]!) / 9;
                  }
                  t.push(-1 / (1 + d));
                }
                const m = Math.max(...t);
                out[(a * 3 + b) * M + i] = m + Math.log(t.reduce((q, v) => q + Math.exp(v - m), 0));
              }
          return out;
        };
        const x = Vi(arr(X, [5, 3, M, D], dtype));
        const l = Vi(arr(L, [5, 1, M, 1], dtype));
        const y = Vj(arr(Y, [1, 3, N, D], dtype));
        const s = Pm(arr(S, [5, 3, 1], dtype));
        const Dij = l.mul(x).add(y).relu().mul(s).div(9).sum(-1);
        const red = Dij.add(1).inv().neg().reduction('LogSumExp', 'j', opts);
        expectClose(red.eval().data, ref(X, S), tol(dtype, 1e-5, 1e-12), 0, 'value');
        if (dtype === 'float64') {
          const e = { data: uniform(r, 15 * M, -1, 1), shape: [5, 3, M, 1] };
          expectClose(
            red.grad(s, e).eval().data,
            finiteDiff((v) => dot(ref(X, v), e.data), S),
            1e-6,
            1e-7,
            'ds',
          );
          const e2 = uniform(r, 15, -1, 1);
          const mixed = red
            .grad(s, e)
            .grad(x, { data: e2, shape: [5, 3, 1] })
            .eval();
          const first = (Xv: Float64Array) => {
            const x2 = Vi({ data: Xv, shape: [5, 3, M, D] });
            const r2 = l
              .mul(x2)
              .add(y)
              .relu()
              .mul(s)
              .div(9)
              .sum(-1)
              .add(1)
              .inv()
              .neg()
              .reduction('LogSumExp', 'j', opts);
            return dot(r2.grad(s, e).eval().data, e2);
          };
          expectClose(mixed.data, finiteDiff(first, X, 1e-6), 1e-5, 1e-6, 'd2/ds dx');
        }
      });

      it.skipIf(dtype === 'float32')('case 15: min-argmin over i with D = 990 (float64)', () => {
        const r = rng(15);
        const M = 10;
        const N = 6;
        const D = 990;
        const X = uniform(r, M * D);
        const Y = uniform(r, N * D);
        const res = Vi(arr(X, [M, D], dtype))
          .add(Vj(arr(Y, [N, D], dtype)))
          .square()
          .neg()
          .exp()
          .sum(-1)
          .minArgmin('i', opts);
        expect(res.values.shape).toEqual([N, 1]);
        for (let j = 0; j < N; j++) {
          let best = Number.POSITIVE_INFINITY;
          let arg = -1;
          for (let i = 0; i < M; i++) {
            let t = 0;
            for (let k = 0; k < D; k++) t += Math.exp(-((X[i * D + k]! + Y[j * D + k]!) ** 2));
            if (t < best) {
              best = t;
              arg = i;
            }
          }
          expect(res.indices.data[j]).toBe(arg);
          expect(Math.abs(res.values.data[j]! - best)).toBeLessThanOrEqual(1e-5 * best);
        }
      });

      it('high dimensions: Gaussian sum and 3-NN at D = 1000 and 4096 (component loops)', () => {
        for (const D of [1000, 4096]) {
          const r = rng(D);
          const N = 4;
          const M = 9;
          const X = uniform(r, N * D);
          const Y = uniform(r, M * D);
          const b = normal(r, M);
          const x = Vi(arr(X, [N, D], dtype));
          const y = Vj(arr(Y, [M, D], dtype));
          const g = x
            .sqdist(y)
            .mul(-1 / D)
            .exp()
            .mul(Vj(arr(b, [M, 1], dtype)))
            .sum('j', opts);
          const want = new Float64Array(N);
          for (let i = 0; i < N; i++)
            for (let j = 0; j < M; j++) want[i]! += Math.exp(-sqd(X, i, Y, j, D) / D) * b[j]!;
          expectClose(g.data, want, tol(dtype, 1e-4), tol(dtype, 1e-5), `Gaussian D = ${D}`);
          const knn = x.sqdist(y).argKmin(3, 'j', opts);
          for (let i = 0; i < N; i++) {
            const order = Array.from({ length: M }, (_, j) => j).sort(
              (a, c) => sqd(X, i, Y, a, D) - sqd(X, i, Y, c, D),
            );
            expect(Array.from(knn.data.subarray(i * 3, i * 3 + 3)), `3-NN D = ${D}`).toEqual(
              order.slice(0, 3),
            );
          }
        }
      });

      it('cases 18 and 19: Gaussian with D = 300, and D = 3 with a 300-wide weight (also batched)', () => {
        const r = rng(18);
        const M = 200;
        const N = 300;
        const D = 300;
        const X = uniform(r, M * D).map((v) => v / Math.sqrt(D));
        const Y = uniform(r, N * D).map((v) => v / Math.sqrt(D));
        const B = uniform(r, N);
        const got = Vi(arr(X, [M, D], dtype))
          .sqdist(Vj(arr(Y, [N, D], dtype)))
          .neg()
          .exp()
          .mul(Vj(arr(B, [N, 1], dtype)))
          .sum('j', opts);
        const want = Float64Array.from({ length: M }, (_, i) => {
          let t = 0;
          for (let j = 0; j < N; j++) t += Math.exp(-sqd(X, i, Y, j, D)) * B[j]!;
          return t;
        });
        expectClose(got.data, want, 1e-4, 0, 'D=300');
        // Case 19: D = 3, weight of width 300, batched (2, 3).
        const x3 = uniform(r, 6 * 20 * 3);
        const y3 = uniform(r, 6 * 30 * 3);
        const w = uniform(r, 6 * 30 * 300);
        const out = Vi(arr(x3, [2, 3, 20, 3], dtype))
          .sqdist(Vj(arr(y3, [2, 3, 30, 3], dtype)))
          .neg()
          .exp()
          .mul(Vj(arr(w, [2, 3, 30, 300], dtype)))
          .sum('j', opts);
        expect(out.shape).toEqual([2, 3, 20, 300]);
        const ref = new Float64Array(6 * 20 * 300);
        for (let b = 0; b < 6; b++)
          for (let i = 0; i < 20; i++)
            for (let j = 0; j < 30; j++) {
              const k = Math.exp(-sqd(x3, b * 20 + i, y3, b * 30 + j, 3));
              for (let c = 0; c < 300; c++) ref[(b * 20 + i) * 300 + c]! += k * w[(b * 30 + j) * 300 + c]!;
            }
        expectClose(out.data, ref, 1e-4, 0, 'batched wide weight');
      });

      it('case 20: clamp of x*y, exp(-D²) summed over j, gradient of Σ out² w.r.t. x', () => {
        const r = rng(20);
        const N = dtype === 'float32' ? 1000 : 300;
        const X = normal(r, N * 3);
        const Y = normal(r, N * 3);
        const ref = (Xv: Float64Array) => {
          const out = new Float64Array(N);
          for (let i = 0; i < N; i++)
            for (let j = 0; j < N; j++) {
              let d = 0;
              for (let k = 0; k < 3; k++)
                d += Math.min(Math.max(Xv[i * 3 + k]! * Y[j * 3 + k]!, -1.23), 1.54);
              out[i]! += Math.exp(-d * d);
            }
          return out;
        };
        const x = Vi(arr(X, [N, 3], dtype));
        const red = x
          .mul(Vj(arr(Y, [N, 3], dtype)))
          .clamp(-1.23, 1.54)
          .sum(-1)
          .square()
          .neg()
          .exp()
          .reduction('Sum', 'j', opts);
        const want = ref(X);
        expectClose(red.eval().data, want, 1e-3, 1e-2, 'value');
        const g = red.grad(x, { data: want.map((v) => 2 * v), shape: [N, 1] }).eval();
        // Analytic: d/dx_ik Σ_i out_i² = 2 out_i Σ_j exp(-d²)(-2d) y_jk [clamp inactive].
        const gw = new Float64Array(N * 3);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++) {
            let d = 0;
            for (let k = 0; k < 3; k++) d += Math.min(Math.max(X[i * 3 + k]! * Y[j * 3 + k]!, -1.23), 1.54);
            const c = Math.exp(-d * d) * -2 * d * 2 * want[i]!;
            for (let k = 0; k < 3; k++) {
              const u = X[i * 3 + k]! * Y[j * 3 + k]!;
              if (u > -1.23 && u < 1.54) gw[i * 3 + k]! += c * Y[j * 3 + k]!;
            }
          }
        expectClose(g.data, gw, 1e-3, 1e-2, 'gradient');
      });

      it('case 24: (cos x - y).sum(-1) @ b, first and second gradients w.r.t. x', () => {
        const r = rng(24);
        const N = 100;
        const X = uniform(r, N * 3, -2, 2);
        const Y = uniform(r, N);
        const B = uniform(r, N);
        const x = Vi(arr(X, [N, 3], dtype));
        const red = x
          .cos()
          .sub(Vj(arr(Y, [N, 1], dtype)))
          .sum(-1)
          .mul(Vj(arr(B, [N, 1], dtype)))
          .reduction('Sum', 'j', opts);
        const sb = B.reduce((a, b) => a + b, 0);
        const sby = B.reduce((a, b, j) => a + b * Y[j]!, 0);
        const want = Float64Array.from(
          { length: N },
          (_, i) => (Math.cos(X[3 * i]!) + Math.cos(X[3 * i + 1]!) + Math.cos(X[3 * i + 2]!)) * sb - 3 * sby,
        );
        expectClose(red.eval().data, want, 1e-4, 1e-4, 'value');
        const e = uniform(r, N, -1, 1);
        const g = red.grad(x, { data: e, shape: [N, 1] });
        expectClose(
          g.eval().data,
          Float64Array.from(X, (v, t) => -Math.sin(v) * sb * e[Math.floor(t / 3)]!),
          1e-4,
          1e-4,
          'grad',
        );
        const e2 = uniform(r, N * 3, -1, 1);
        const g2 = g.grad(x, { data: e2, shape: [N, 3] }).eval();
        expectClose(
          g2.data,
          Float64Array.from(X, (v, t) => -Math.cos(v) * sb * e[Math.floor(t / 3)]! * e2[t]!),
          1e-3,
          1e-3,
          'second',
        );
      });

      it('case 25: K.t().matvec(w) with a Gaussian K', () => {
        const r = rng(25);
        const N = 1000;
        const M = 2000;
        const X = uniform(r, N * 3);
        const Y = uniform(r, M * 3);
        const W = uniform(r, N * 2);
        const K = Vi(arr(X, [N, 3], dtype))
          .sqdist(Vj(arr(Y, [M, 3], dtype)))
          .neg()
          .exp();
        const got = K.t().matvec(arr(W, [N, 2], dtype), opts);
        expect(got.shape).toEqual([M, 2]);
        const want = new Float64Array(M * 2);
        for (let j = 0; j < M; j++)
          for (let i = 0; i < N; i++) {
            const k = Math.exp(-sqd(X, i, Y, j, 3));
            want[j * 2]! += k * W[i * 2]!;
            want[j * 2 + 1]! += k * W[i * 2 + 1]!;
          }
        expectClose(got.data, want, 1e-5, 0, 'K^T w');
      });

      it('case 11: kernel solve (αI + K) a = b with 3 right-hand sides, and its gradient w.r.t. x', () => {
        const r = rng(11);
        const N = 10;
        const X = uniform(r, N * 3);
        const Bv = uniform(r, N * 3);
        const alpha = 0.1;
        const g = 0.5;
        const solveDense = (Xv: Float64Array) => {
          const A = Array.from({ length: N }, (_, i) =>
            Array.from({ length: N }, (_, j) => Math.exp(-g * sqd(Xv, i, Xv, j, 3)) + (i === j ? alpha : 0)),
          );
          const sol = Float64Array.from(Bv);
          // Gaussian elimination with partial pivoting, 3 columns.
          const M2 = A.map((row, i) => [...row, sol[i * 3]!, sol[i * 3 + 1]!, sol[i * 3 + 2]!]);
          for (let c = 0; c < N; c++) {
            let p = c;
            for (let q = c + 1; q < N; q++) if (Math.abs(M2[q]![c]!) > Math.abs(M2[p]![c]!)) p = q;
            [M2[c], M2[p]] = [M2[p]!, M2[c]!];
            for (let q = 0; q < N; q++) {
              if (q === c) continue;
              const f = M2[q]![c]! / M2[c]![c]!;
              for (let k = c; k < N + 3; k++) M2[q]![k]! -= f * M2[c]![k]!;
            }
          }
          return Float64Array.from(
            { length: N * 3 },
            (_, t) => M2[Math.floor(t / 3)]![N + (t % 3)]! / M2[Math.floor(t / 3)]![Math.floor(t / 3)]!,
          );
        };
        const xa = arr(X, [N, 3], dtype);
        const K = Vi(xa).sqdist(Vj(xa)).mul(-g).exp();
        const a = K.solve(arr(Bv, [N, 3], dtype), {
          ...opts,
          alpha,
          tol: dtype === 'float32' ? 1e-6 : 1e-12,
        });
        const want = solveDense(X);
        expectClose(a.data, want, 1e-4, 1e-5, 'solution');
        if (dtype === 'float64') {
          // Adjoint: d⟨a, e⟩/dx = -(∂/∂x ⟨λ, K a⟩) with (αI + K) λ = e; x appears as x_i and x_j.
          const e = uniform(r, N * 3, -1, 1);
          const lam = K.solve({ data: e, shape: [N, 3] }, { ...opts, alpha, tol: 1e-13 });
          const xi = Vi(xa);
          const xj = Vj(xa);
          const red = xi
            .sqdist(xj)
            .mul(-g)
            .exp()
            .mul(Vj({ data: a.data as Float64Array, shape: [N, 3] }))
            .reduction('Sum', 'j', opts);
          const gi = red.grad(xi, lam).eval().data;
          const grad = Float64Array.from(gi, (v) => -v);
          expectClose(
            grad,
            finiteDiff((v) => dot(solveDense(v), e), X),
            1e-5,
            1e-6,
            'gradient',
          );
        }
      });

      it('case 22: non-uniform DFT x·exp(−2πi p f) summed over i (complex), gradients w.r.t. x and p', () => {
        const r = rng(22);
        const N = dtype === 'float32' ? 1000 : 300;
        const M = N;
        const X = normal(r, N * 2); // complex samples, (re, im) interleaved
        const P = uniform(r, N); // positions in [0, 1)
        const F = uniform(r, M, -20, 20); // frequencies
        const phase = (i: number, j: number) => -2 * Math.PI * P[i]! * F[j]!;
        const want = new Float64Array(M * 2);
        for (let j = 0; j < M; j++)
          for (let i = 0; i < N; i++) {
            const c = Math.cos(phase(i, j));
            const s = Math.sin(phase(i, j));
            want[2 * j]! += X[2 * i]! * c - X[2 * i + 1]! * s;
            want[2 * j + 1]! += X[2 * i]! * s + X[2 * i + 1]! * c;
          }
        const x = Vi(arr(X, [N, 2], dtype));
        const p = Vi(arr(P, [N, 1], dtype));
        const red = x
          .complexMul(
            p
              .mul(Vj(arr(F, [M, 1], dtype)))
              .mul(-2 * Math.PI)
              .exp1j(),
          )
          .reduction('Sum', 'i', opts);
        // |out| ~ sqrt(N): absolute tolerance on that scale (phases reach 2π·20, rounded in f32).
        const [rtol, atol] =
          dtype === 'float32' ? [1e-4, 1e-4 * Math.sqrt(N)] : [1e-10, 1e-10 * Math.sqrt(N)];
        expectClose(red.eval().data, want, rtol, atol, 'value');

        // d⟨out, e⟩/dx_i and /dp_i, written out from the real form of the complex product.
        const e = uniform(r, M * 2, -1, 1);
        const gx = new Float64Array(N * 2);
        const gp = new Float64Array(N);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < M; j++) {
            const c = Math.cos(phase(i, j));
            const s = Math.sin(phase(i, j));
            const [er, ei] = [e[2 * j]!, e[2 * j + 1]!];
            const [xr, xi] = [X[2 * i]!, X[2 * i + 1]!];
            gx[2 * i]! += er * c + ei * s;
            gx[2 * i + 1]! += -er * s + ei * c;
            const k = -2 * Math.PI * F[j]!; // dθ/dp
            gp[i]! += k * (er * (-xr * s - xi * c) + ei * (xr * c - xi * s));
          }
        const ge = { data: e, shape: [M, 2] };
        expectClose(red.grad(x, ge).eval().data, gx, rtol, atol, 'grad x');
        // dθ/dp reaches 2π·20: scale the tolerance with it.
        expectClose(red.grad(p, ge).eval().data, gp, rtol, atol * 2 * Math.PI * 20, 'grad p');
      });

      it('case 21: block-sparse Gaussian on a circle + blob with cluster ranges', async () => {
        const { gridCluster, sortClusters, clusterRangesCentroids, rangesFromMask } = await import(
          '../../src/index.js'
        );
        const r = rng(21);
        const N = dtype === 'float32' ? 5000 : 2000;
        const sigma = 0.05;
        const pts = new Float64Array(N * 2);
        for (let i = 0; i < N; i++) {
          if (i < N / 2) {
            const t = 2 * Math.PI * r();
            pts[2 * i] = 0.5 + 0.3 * Math.cos(t);
            pts[2 * i + 1] = 0.5 + 0.3 * Math.sin(t);
          } else {
            const z = normal(r, 2);
            pts[2 * i] = 0.5 + 0.05 * z[0]!;
            pts[2 * i + 1] = 0.5 + 0.05 * z[1]!;
          }
        }
        const labels = gridCluster({ data: pts, shape: [N, 2] }, 0.05);
        const sorted = sortClusters({ data: pts, shape: [N, 2] }, labels);
        const { ranges, centroids } = clusterRangesCentroids(sorted.x, sorted.labels);
        const C = centroids.shape[0]!;
        const keep = new Uint8Array(C * C);
        for (let a = 0; a < C; a++)
          for (let b = 0; b < C; b++)
            keep[a * C + b] = sqd(centroids.data, a, centroids.data, b, 2) < (4 * sigma) ** 2 ? 1 : 0;
        const rg = rangesFromMask(ranges, ranges, keep);
        const xs = sorted.x.data as Float64Array;
        const b = uniform(r, N);
        const K = Vi(arr(xs, [N, 2], dtype))
          .sqdist(Vj(arr(xs, [N, 2], dtype)))
          .mul(-1 / (2 * sigma * sigma))
          .exp();
        const got = K.matvec(arr(b, [N, 1], dtype), { ...opts, ranges: rg });
        const gotT = K.t().matvec(arr(b, [N, 1], dtype), { ...opts, ranges: rg });
        const full = new Float64Array(N);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++)
            full[i]! += Math.exp(-sqd(xs, i, xs, j, 2) / (2 * sigma * sigma)) * b[j]!;
        const l1 = (v: ArrayLike<number>) => {
          let num = 0;
          let den = 0;
          for (let i = 0; i < N; i++) {
            num += Math.abs(v[i]! - full[i]!);
            den += Math.abs(full[i]!);
          }
          return num / den;
        };
        expect(l1(got.data)).toBeLessThan(2e-3);
        expect(l1(gotT.data)).toBeLessThan(2e-3);
        // The mask really prunes: fewer than half of the cluster pairs are kept.
        expect(keep.reduce((s, v) => s + v, 0)).toBeLessThan((C * C) / 2);
      });
    });
  }
}
