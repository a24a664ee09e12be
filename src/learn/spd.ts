/** Inverse of a symmetric positive definite matrix (Cholesky), for the Gaussian mixture's covariances. */

/**
 * Writes the inverse of the SPD matrix c (d×d, row-major) into out and returns log det(c⁻¹); NaN
 * (out unspecified) when c is not positive definite.
 */
export function invertSpd(c: Float64Array, d: number, out: Float64Array): number {
  const L = new Float64Array(d * d);
  let logdet = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = c[a * d + b]!;
      for (let t = 0; t < b; t++) s -= L[a * d + t]! * L[b * d + t]!;
      if (a === b) {
        if (!(s > 0)) return Number.NaN;
        L[a * d + a] = Math.sqrt(s);
        logdet += Math.log(s);
      } else L[a * d + b] = s / L[b * d + b]!;
    }
  }
  // Linv lower triangular (forward substitution), then c⁻¹ = Linvᵀ Linv.
  const Li = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let a = col; a < d; a++) {
      let s = a === col ? 1 : 0;
      for (let t = col; t < a; t++) s -= L[a * d + t]! * Li[t * d + col]!;
      Li[a * d + col] = s / L[a * d + a]!;
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let t = Math.max(a, b); t < d; t++) s += Li[t * d + a]! * Li[t * d + b]!;
      out[a * d + b] = s;
    }
  return -logdet;
}
