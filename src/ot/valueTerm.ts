/**
 * The per-point term of an OT value, written once for every loss built on Sinkhorn potentials
 * (Sinkhorn divergence, biased OT_ε and its plan in solveOT, Hausdorff):
 *   balanced:   cross − sym
 *   unbalanced: scale · (e^{−sym/ρ} − e^{−cross/ρ}), e^{−sym/ρ} read as 1 without `sym`
 * `cross` is a cross potential (or the extrapolated one), `sym` the symmetric potential of the
 * same cloud (debiased losses). `scale` is ρ + ε/2 for OT_ε values (GeomLoss' unbalanced weight),
 * ρ + ε for their weight derivatives and for the Hausdorff Φ.
 */
export function dualTerm(
  cross: number,
  sym: number | undefined,
  rho: number | undefined,
  scale: number,
): number {
  if (rho === undefined) return sym === undefined ? cross : cross - sym;
  return scale * ((sym === undefined ? 1 : Math.exp(-sym / rho)) - Math.exp(-cross / rho));
}

/**
 * Per-point value term φ (value = ⟨α, φ_x⟩ + ⟨β, φ_y⟩), weight derivative and potential of an
 * OT_ε loss, from the cross potential `cross` and the symmetric one `sym` (debiased):
 *   balanced:   φ = cross − sym,  ∂ = cross − sym
 *   unbalanced: φ = (ρ+ε/2)(e^{−sym/ρ} − e^{−cross/ρ}),  ∂ = (ρ+ε)(e^{−sym/ρ} − e^{−cross/ρ})
 *   biased unbalanced: φ = (ρ+ε/2)(1 − e^{−cross/ρ}),  ∂ = (ρ+ε)(1 − e^{−cross/ρ}) − ε/2
 */
export function pointTerms(
  cross: Float64Array,
  sym: Float64Array | undefined,
  eps: number,
  rho: number | undefined,
  phi: Float64Array,
  dw: Float64Array,
  pot: Float64Array,
): void {
  const r = rho ?? 0;
  for (let k = 0; k < cross.length; k++) {
    const c = cross[k]!;
    const s = sym?.[k];
    pot[k] = c - (s ?? 0);
    phi[k] = dualTerm(c, s, rho, r + eps / 2);
    dw[k] = rho === undefined ? phi[k]! : dualTerm(c, s, rho, r + eps) - (sym ? 0 : eps / 2);
  }
}

/**
 * The biased OT_ε value ⟨α, φ(f)⟩ + ⟨β, φ(g)⟩ from the cross potentials f, g of a non-debiased
 * solve (solveOT, registration's matching); each cloud's sum is taken on its own, then added.
 */
export function biasedValue(
  a: ArrayLike<number>,
  f: Float64Array,
  b: ArrayLike<number>,
  g: Float64Array,
  eps: number,
  rho: number | undefined,
): number {
  let value = 0;
  for (const [w, pot] of [
    [a, f],
    [b, g],
  ] as const) {
    const phi = new Float64Array(pot.length);
    pointTerms(pot, undefined, eps, rho, phi, new Float64Array(pot.length), new Float64Array(pot.length));
    let s = 0;
    for (let k = 0; k < pot.length; k++) s += w[k]! * phi[k]!;
    value += s;
  }
  return value;
}
