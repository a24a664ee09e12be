/**
 * Eigen-decompositions U Λ Uᵀ of the Nyström approximation of a kernel matrix, two ways:
 *
 * - `nystromFactorEigen`: from the explicit factor F [N, r] (U [N, q] stored): accurate when
 *   K_mm is nearly singular, for the low-rank solve of kernelRidge's method 'nystrom';
 * - `nystromEigen`: implicit, for the CG preconditioner (whose accuracy needs are loose).
 *
 * The implicit one keeps K ≈ C K_mm⁻¹ Cᵀ (C = k(x, z) on r landmarks z, K_mm
 * = k(z, z)), kept implicit: its eigen-decomposition U Λ Uᵀ is held as U = C W with a small
 * W [r, q], and U, Uᵀ are applied by kernel reductions of N·r pairs (k(x, z) · Vj(W t) and
 * k(z, x) · Vj(v)). Nothing of size N×r is stored, and the only loops over N are the engine's.
 *
 * Set-up: K_mm, then G = Cᵀ C = Σ_blocks k(z, x) · C_block (blocks of BLOCK landmark columns, so
 * memory stays N·BLOCK), then H = L⁻¹ G L⁻ᵀ = V Λ Vᵀ (L Lᵀ = K_mm + εI, a dense r×r Householder-QR eigen-solve),
 * W = L⁻ᵀ V Λ^{-1/2}: U = C L⁻ᵀ V Λ^{-1/2} = F V Λ^{-1/2} has orthonormal columns (F Fᵀ the
 * Nyström approximation).
 */
import { check } from '../errors.js';
import type { ReduceOptions } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import type { AccumulatorKind } from '../reduction/types.js';
import {
  backSolve,
  crossProduct,
  forwardSolve,
  multiply,
  symmetricEigen,
  symmetricEigenQR,
} from './dense.js';
import { checkInt, type Kernel, kernelMatrix, kernelOf, pointArray } from './kernels.js';
import { BLOCK, drawLandmarks, kernelColumns, landmarkCholesky, type NystromOptions } from './nystrom.js';

/** U Λ Uᵀ ≈ K with U [N, q] orthonormal, applied implicitly. */
export interface LowRankKernel {
  /** Kept eigenvalues, largest first (λ > 1e-12·λ_max). */
  lambda: Float64Array;
  q: number;
  /** Uᵀ v for a row-major [N, E] v: [q, E]. */
  project(v: Float64Array, E: number): Float64Array;
  /** U t for a row-major [q, E] t: [N, E]. */
  expand(t: Float64Array, E: number): Float64Array;
}

/** U Λ Uᵀ = F Fᵀ from F [N, r], keeping λ > 1e-12·λ_max; U = F V Λ^{-1/2} is stored. */
export function nystromFactorEigen(F: Float64Array, N: number, r: number): LowRankKernel {
  const { values, vectors } = symmetricEigen(crossProduct(F, r, F, r, N), r);
  const q = keptCount(values);
  const Vq = new Float64Array(r * q);
  for (let a = 0; a < r; a++)
    for (let b = 0; b < q; b++) Vq[a * q + b] = vectors[a * r + b]! / Math.sqrt(values[b]!);
  const U = multiply(F, r, Vq, q, N);
  return {
    lambda: values.slice(0, q),
    q,
    project: (v, E) => crossProduct(U, q, v, E, N),
    expand: (t, E) => multiply(U, q, t, E, N),
  };
}

/** Eigenvalues (decreasing) kept: those above 1e-12·λ_max. */
function keptCount(values: Float64Array): number {
  let q = 0;
  while (q < values.length && values[q]! > 1e-12 * values[0]!) q++;
  return q;
}

type Ctor = { new (len: number): FloatArray; from(a: ArrayLike<number>): FloatArray };

/** The implicit Nyström eigen-decomposition of the kernel matrix of x on the given landmarks. */
export function nystromEigen(
  x: NDArray<FloatArray>,
  landmarks: Int32Array,
  k: Kernel,
  eng: ReduceOptions,
): LowRankKernel {
  const [N, D] = x.shape as [number, number];
  const r = landmarks.length;
  const C = x.data.constructor as Ctor;
  const zData = new C(r * D);
  landmarks.forEach((row, a) => zData.set(x.data.subarray(row * D, row * D + D), a * D));
  const z = { data: zData, shape: [r, D] };
  const Kzx = kernelMatrix(z, x, k);
  const Kxz = kernelMatrix(x, z, k);
  const all = Int32Array.from({ length: r }, (_, a) => a);
  const L = landmarkCholesky(kernelColumns(z, all, k, eng), r, C === Float32Array);

  // G = Cᵀ C, BLOCK columns at a time: C_block [N, B] by one reduction, then k(z, x) · C_block.
  const G = new Float64Array(r * r);
  const B = Math.min(BLOCK, r);
  for (let start = 0; start < r; start += B) {
    const used = Math.min(B, r - start);
    const cols = Int32Array.from({ length: B }, (_, b) => landmarks[start + (b < used ? b : 0)]!);
    const Cb = kernelColumns(x, cols, k, eng);
    const Gb = Kzx.matvec({ data: C.from(Cb), shape: [N, B] }, eng).data;
    for (let a = 0; a < r; a++) for (let b = 0; b < used; b++) G[a * r + start + b] = Gb[a * B + b]!;
  }
  // H = L⁻¹ G L⁻ᵀ (symmetrised), then its eigen-decomposition.
  forwardSolve(L, r, G, r);
  const Gt = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) Gt[a * r + b] = G[b * r + a]!;
  forwardSolve(L, r, Gt, r);
  for (let a = 0; a < r; a++)
    for (let b = 0; b < a; b++) {
      const m = 0.5 * (Gt[a * r + b]! + Gt[b * r + a]!);
      Gt[a * r + b] = m;
      Gt[b * r + a] = m;
    }
  // Householder + QR: rank 400 in a fraction of the Jacobi sweeps' time (the preconditioner and the
  // warm start need no relative accuracy in the tiny eigenvalues).
  const { values, vectors } = symmetricEigenQR(Gt, r);
  const q = keptCount(values);
  // W = L⁻ᵀ V_q Λ_q^{-1/2}.
  const W = new Float64Array(r * q);
  for (let a = 0; a < r; a++)
    for (let b = 0; b < q; b++) W[a * q + b] = vectors[a * r + b]! / Math.sqrt(values[b]!);
  backSolve(L, r, W, q);

  return {
    lambda: values.slice(0, q),
    q,
    project(v, E) {
      const s = Kzx.matvec({ data: C.from(v), shape: [N, E] }, eng).data;
      const t = new Float64Array(q * E);
      for (let a = 0; a < r; a++)
        for (let b = 0; b < q; b++) {
          const w = W[a * q + b]!;
          for (let c = 0; c < E; c++) t[b * E + c]! += w * s[a * E + c]!;
        }
      return t;
    },
    expand(t, E) {
      const w = new C(r * E);
      for (let a = 0; a < r; a++)
        for (let c = 0; c < E; c++) {
          let acc = 0;
          for (let b = 0; b < q; b++) acc += W[a * q + b]! * t[b * E + c]!;
          w[a * E + c] = acc;
        }
      return Float64Array.from(Kxz.matvec({ data: w, shape: [r, E] }, eng).data);
    },
  };
}

/** v + U diag(d) Uᵀ v for a row-major [N, E] v. */
export function lowRankUpdate(U: LowRankKernel, d: Float64Array, v: Float64Array, E: number): Float64Array {
  const t = U.project(v, E);
  for (let b = 0; b < U.q; b++) for (let c = 0; c < E; c++) t[b * E + c]! *= d[b];
  const out = U.expand(t, E);
  for (let i = 0; i < out.length; i++) out[i]! += v[i];
  return out;
}

/** Options of `nystromEigenpairs`. */
export interface NystromEigenpairsOptions extends NystromOptions {
  /** Accumulator of the engine's sums (default: the data dtype). */
  accumulator?: AccumulatorKind;
}

/**
 * Approximate k largest eigenpairs of the kernel matrix of x, those of its rank-`rank` Nyström
 * approximation (landmarks drawn as in `nystrom`): a cheap warm start for `eigsh` (its `start`
 * option) when the spectrum decays fast, as for Gaussian kernels. Costs O(N·rank) kernel
 * evaluations plus a dense rank×rank eigen-solve; vectors are [N, k], orthonormal up to the
 * approximation's rounding.
 */
export function nystromEigenpairs(
  x: NDArray | number[][],
  k: number,
  opts: NystromEigenpairsOptions,
): { values: Float64Array; vectors: NDArray<Float64Array> } {
  check(typeof opts === 'object' && opts !== null, 'nystromEigenpairs: options { scale, rank } are required');
  const xa = pointArray(x, 'nystromEigenpairs(x)');
  const N = xa.shape[0]!;
  const kern = kernelOf(opts, 'nystromEigenpairs');
  const rank = checkInt(opts.rank, 'nystromEigenpairs: rank', 1, N);
  checkInt(k, 'nystromEigenpairs: k', 1, rank);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed), () => `nystromEigenpairs: seed must be an integer, got ${String(seed)}`);
  const eng: ReduceOptions = {
    ...(opts.backend === undefined ? {} : { backend: opts.backend }),
    ...(opts.accumulator === undefined ? {} : { accumulator: opts.accumulator }),
  };
  const U = nystromEigen(xa, drawLandmarks(N, rank, seed), kern, eng);
  check(
    U.q >= k,
    () => `nystromEigenpairs: the rank-${rank} approximation has only ${U.q} non-zero eigenvalues < k = ${k}`,
  );
  const eye = new Float64Array(U.q * k);
  for (let c = 0; c < k; c++) eye[c * k + c] = 1;
  return { values: U.lambda.slice(0, k), vectors: { data: U.expand(eye, k), shape: [N, k] } };
}
