/**
 * Kernel PCA: the leading eigenpairs of the centred kernel matrix H K H (H = I − 11ᵀ/N), found by
 * `eigsh` without forming it: each product centres the columns, applies K with one engine
 * reduction, and centres again.
 */
import { check } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { eigsh } from './eigsh.js';
import { checkInt, type KernelSpec, kernelMatrix, kernelOf, pointArray } from './kernels.js';

/** Options of `kernelPCA`. */
export interface KernelPCAOptions extends KernelSpec {
  /** Relative residual of the eigenpairs (as `eigsh`). */
  tol?: number;
  /** Seed of the eigensolver's starting block (default 0). */
  seed?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

/** Kernel PCA of the training points. */
export interface KernelPCAResult {
  /** Eigenvalues of the centred kernel matrix, largest first. */
  values: Float64Array;
  /** Coordinates of the points on the components: eigenvector · √eigenvalue, [N, nComponents]. */
  embedding: NDArray<Float64Array>;
}

/** Subtracts each column's mean from a row-major [n, b] block, in place. */
function centreColumns(V: Float64Array, n: number, b: number): Float64Array {
  const mean = new Float64Array(b);
  for (let t = 0; t < n * b; t++) mean[t % b]! += V[t]! / n;
  for (let t = 0; t < n * b; t++) V[t]! -= mean[t % b];
  return V;
}

/** The nComponents leading components of the centred kernel matrix of `x`. */
export function kernelPCA(
  x: NDArray | number[][],
  nComponents: number,
  opts: KernelPCAOptions,
): KernelPCAResult {
  check(typeof opts === 'object' && opts !== null, 'kernelPCA: options { kernel?, scale } are required');
  const xa = pointArray(x, 'kernelPCA(x)');
  const N = xa.shape[0]!;
  const k = kernelOf(opts, 'kernelPCA');
  checkInt(nComponents, 'kernelPCA: nComponents', 1, N);
  const { tol, seed = 0 } = opts;
  check(
    tol === undefined || (typeof tol === 'number' && tol > 0 && tol < 1),
    () => `kernelPCA: tol must be a number in (0, 1), got ${String(tol)}`,
  );
  check(Number.isInteger(seed), () => `kernelPCA: seed must be an integer, got ${String(seed)}`);
  const K = kernelMatrix(xa, xa, k);
  const Ctor = xa.data.constructor as { new (len: number): FloatArray };
  const eng = opts.backend === undefined ? {} : { backend: opts.backend };
  const b = Math.min(nComponents, 16);
  const { values, vectors } = eigsh(
    {
      n: N,
      matvec: (v: NDArray) => {
        const cols = v.shape[1] ?? 1;
        const c = new Ctor(N * cols);
        c.set(centreColumns(Float64Array.from(v.data as FloatArray), N, cols));
        const out = K.matvec({ data: c, shape: [N, cols] }, eng);
        return { data: centreColumns(Float64Array.from(out.data), N, cols), shape: v.shape };
      },
    },
    nComponents,
    {
      blockSize: b,
      seed,
      ...(tol !== undefined ? { tol } : Ctor === Float32Array ? { tol: 1e-4 } : {}),
    },
  );
  const emb = new Float64Array(N * nComponents);
  for (let i = 0; i < N; i++)
    for (let c = 0; c < nComponents; c++)
      emb[i * nComponents + c] = vectors.data[i * nComponents + c]! * Math.sqrt(Math.max(values[c]!, 0));
  return { values, embedding: { data: emb, shape: [N, nComponents] } };
}
