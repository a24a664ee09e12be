/**
 * Nyström low-rank factor of a kernel matrix, K ≈ F Fᵀ with F = K_nm L⁻ᵀ (K_mm + εI = L Lᵀ), on
 * `rank` landmarks drawn uniformly without replacement with a seeded generator.
 *
 * K_nm is computed by the engine in blocks of B landmarks: one reduction per block,
 * (k(x_i, z_j) · Vj(I_B)).sum('j') → [N, B], i.e. Σ_j k(x_i, z_j) e_j (a one-hot weight). Each
 * block costs N·B kernel evaluations and N·B² additions, so the whole factor takes ⌈rank/B⌉ calls
 * and O(N·rank·B) work instead of rank separate matvecs (O(N²·rank)) or a materialised N×rank
 * LazyTensor (which would copy the data N·rank times).
 */
import { check } from '../errors.js';
import { type ReduceOptions, Vj } from '../lazy/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';
import { cholesky } from './dense.js';
import { checkInt, type Kernel, type KernelSpec, kernelMatrix, kernelOf, pointArray } from './kernels.js';

/** Options of `nystrom`. */
export interface NystromOptions extends KernelSpec {
  /** Number of landmarks (columns of the factor), 1 ≤ rank ≤ N. */
  rank: number;
  /** Seed of the landmark draw (default 0). */
  seed?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

/** A Nyström factor: K ≈ factor · factorᵀ. */
export interface NystromResult {
  /** Indices of the landmark rows, in draw order. */
  landmarks: Int32Array;
  /** F [N, rank] (float64). */
  factor: NDArray<Float64Array>;
}

/** Landmarks per engine call when computing K_nm. */
export const BLOCK = 32;

/** `rank` distinct indices of [0, n), uniformly, from a seed (partial Fisher–Yates). */
export function drawLandmarks(n: number, rank: number, seed: number): Int32Array {
  const u = mulberry32(seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let l = 0; l < rank; l++) {
    const j = l + Math.floor(u() * (n - l));
    const t = perm[l]!;
    perm[l] = perm[j]!;
    perm[j] = t;
  }
  return perm.slice(0, rank);
}

/** K_nm [N, rank] (float64): k(x_i, x_{landmark l}), one engine reduction per block of landmarks. */
export function kernelColumns(
  x: NDArray<FloatArray>,
  landmarks: Int32Array,
  k: Kernel,
  eng: ReduceOptions = {},
): Float64Array {
  const [N, D] = x.shape as [number, number];
  const r = landmarks.length;
  const Ctor = x.data.constructor as { new (len: number): FloatArray };
  const out = new Float64Array(N * r);
  // Every block has the same width B (the last one padded with its first landmark), so the
  // engine compiles one kernel.
  const B = Math.min(BLOCK, r);
  const eye = new Ctor(B * B);
  for (let b = 0; b < B; b++) eye[b * B + b] = 1;
  for (let start = 0; start < r; start += B) {
    const used = Math.min(B, r - start);
    const z = new Ctor(B * D);
    for (let b = 0; b < B; b++) {
      const row = landmarks[start + (b < used ? b : 0)]!;
      z.set(x.data.subarray(row * D, row * D + D), b * D);
    }
    const block = kernelMatrix(x, { data: z, shape: [B, D] }, k)
      .mul(Vj({ data: eye, shape: [B, B] }))
      .sum('j', eng).data;
    for (let i = 0; i < N; i++) for (let b = 0; b < used; b++) out[i * r + start + b] = block[i * B + b]!;
  }
  return out;
}

/**
 * L with L Lᵀ = K_mm + εI for the landmark kernel matrix K_mm [r, r] (symmetrised); ε starts at a
 * rounding-level fraction of K_mm's diagonal and grows until the factorisation succeeds.
 */
export function landmarkCholesky(Kmm: Float64Array, r: number, float32: boolean): Float64Array {
  let diag = 0;
  for (let a = 0; a < r; a++) diag = Math.max(diag, Kmm[a * r + a]!);
  const S = Float64Array.from(Kmm);
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < a; b++) {
      const m = 0.5 * (S[a * r + b]! + S[b * r + a]!);
      S[a * r + b] = m;
      S[b * r + a] = m;
    }
  }
  for (let eps = (float32 ? 1e-6 : 1e-12) * r * diag; ; eps *= 10) {
    check(eps <= diag, 'nystrom: the landmark kernel matrix is not positive semi-definite');
    const A = Float64Array.from(S);
    for (let a = 0; a < r; a++) A[a * r + a]! += eps;
    const L = cholesky(A, r);
    if (L !== undefined) return L;
  }
}

/** F = K_nm L⁻ᵀ with L the Cholesky factor of K_mm + εI (see landmarkCholesky). */
export function nystromFactor(
  Knm: Float64Array,
  N: number,
  landmarks: Int32Array,
  float32: boolean,
): Float64Array {
  const r = landmarks.length;
  const Kmm = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) Kmm[a * r + b] = Knm[landmarks[a]! * r + b]!;
  const L = landmarkCholesky(Kmm, r, float32);
  // Row i of F solves L f = k_i (forward substitution), in place.
  const F = Knm;
  for (let i = 0; i < N; i++) {
    const o = i * r;
    for (let a = 0; a < r; a++) {
      let s = F[o + a]!;
      for (let c = 0; c < a; c++) s -= L[a * r + c]! * F[o + c]!;
      F[o + a] = s / L[a * r + a]!;
    }
  }
  return F;
}

/** Nyström factor F [N, rank] of the kernel matrix of `x`: K ≈ F Fᵀ. */
export function nystrom(x: NDArray | number[][], opts: NystromOptions): NystromResult {
  check(typeof opts === 'object' && opts !== null, 'nystrom: options { kernel?, scale, rank } are required');
  const xa = pointArray(x, 'nystrom(x)');
  const N = xa.shape[0]!;
  const k = kernelOf(opts, 'nystrom');
  const rank = checkInt(opts.rank, 'nystrom: rank', 1, N);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed), () => `nystrom: seed must be an integer, got ${String(seed)}`);
  const landmarks = drawLandmarks(N, rank, seed);
  const Knm = kernelColumns(xa, landmarks, k, opts.backend === undefined ? {} : { backend: opts.backend });
  const F = nystromFactor(Knm, N, landmarks, xa.data instanceof Float32Array);
  return { landmarks, factor: { data: F, shape: [N, rank] } };
}
