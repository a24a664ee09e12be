/**
 * Test helpers: seeded random data, reductions through the JS backend (float64) with the data
 * of each variable looked up by (category, index), kernel gradients, and central finite
 * differences computed through the same kernels (optionally for a subset of components).
 */

import { grad } from '../../src/autodiff/index.js';
import { jsBackend } from '../../src/backends/js/backend.js';
import { type Node, varCat, varIndex } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { mulberry32 as rng } from '../../src/random.js';

/** `n` values uniform in [lo, hi). */
export function uniform(r: () => number, n: number, lo: number, hi: number): Float64Array {
  const a = new Float64Array(n);
  for (let k = 0; k < n; k++) a[k] = lo + (hi - lo) * r();
  return a;
}

/** Data of the variables of a formula, keyed 'i0', 'j1', 'p2' (category + index). */
export type VarData = Record<string, Float64Array>;

/** Key of a variable node in a VarData record. */
export function varKey(v: Node): string {
  return `${varCat(v)}${varIndex(v)}`;
}

/** Sizes of the i and j index ranges. */
export interface Sizes {
  nI: number;
  nJ: number;
}

/**
 * Sum of F over `axis` through the JS backend, float64: [nI * F.dim] for axis 'j',
 * [nJ * F.dim] for axis 'i'.
 */
export function reduce(F: Node, data: VarData, sz: Sizes, axis: 'i' | 'j' = 'j'): Float64Array {
  const { spec, slotVars } = buildSpec({ formula: F, kind: 'Sum', axis, dtype: 'float64' });
  const inputs = slotVars.map((v) => {
    const d = data[varKey(v)];
    if (!d) throw new Error(`test: no data for variable ${varKey(v)}`);
    return d;
  });
  const rows = axis === 'j' ? sz.nI : sz.nJ;
  const cols = axis === 'j' ? sz.nJ : sz.nI;
  const out = new Float64Array(rows * spec.outDim);
  jsBackend.compile(spec).run({ inputs, nI: rows, nJ: cols, out });
  return out;
}

/** Sum over j of F (one row per i). */
export function sumJ(F: Node, data: VarData, nI: number, nJ: number): Float64Array {
  return reduce(F, data, { nI, nJ }, 'j');
}

/** The data-shaped gradient of T = sum_ij e_i . F(i, j) with respect to v, through grad() and the kernels. */
export function kernelGrad(F: Node, v: Node, e: Node, data: VarData, sz: Sizes): Float64Array {
  return rowsOf(grad(F, v, e), v, data, sz);
}

/** Reduces a formula G (an expression "per v-row") to v's data shape: over j for i, over i for j, all for p. */
function rowsOf(G: Node, v: Node, data: VarData, sz: Sizes): Float64Array {
  const cat = varCat(v);
  if (cat === 'i') return reduce(G, data, sz, 'j');
  if (cat === 'j') return reduce(G, data, sz, 'i');
  const perI = reduce(G, data, sz, 'j');
  const out = new Float64Array(G.dim);
  for (let r = 0; r < sz.nI; r++) for (let k = 0; k < G.dim; k++) out[k]! += perI[r * G.dim + k];
  return out;
}

/**
 * Central finite differences of T = sum_ij e_i . F(i, j) with respect to v, computed through the
 * kernels: perturbing component k of every row of v at once is exact here because row r's partial
 * total depends only on row r of v.
 */
export function fdGrad(
  F: Node,
  v: Node,
  e: Node,
  data: VarData,
  sz: Sizes,
  h = 1e-6,
  only?: readonly number[],
): Float64Array {
  const T = op('Scalprod', [e, F]);
  const key = varKey(v);
  const base = data[key]!;
  const dim = v.dim;
  const rows = base.length / dim;
  const out = new Float64Array(base.length);
  for (const k of only ?? Array.from({ length: dim }, (_, q) => q)) {
    const shifted = (s: number) => {
      const d = base.slice();
      for (let r = 0; r < rows; r++) d[r * dim + k]! += s;
      return rowsOf(T, v, { ...data, [key]: d }, sz);
    };
    const tp = shifted(h);
    const tm = shifted(-h);
    const total = (t: Float64Array) => t.reduce((a, b) => a + b, 0);
    if (varCat(v) === 'p') out[k] = (total(tp) - total(tm)) / (2 * h);
    else for (let r = 0; r < rows; r++) out[r * dim + k] = (tp[r]! - tm[r]!) / (2 * h);
  }
  return out;
}

/** Components `ks` of each row of a row-major [rows, dim] array (to compare partial FD checks). */
export function columns(a: Float64Array, dim: number, ks: readonly number[]): Float64Array {
  const rows = a.length / dim;
  const out = new Float64Array(rows * ks.length);
  for (let r = 0; r < rows; r++) ks.forEach((k, q) => (out[r * ks.length + q] = a[r * dim + k]!));
  return out;
}

/** A fresh i-variable cotangent for F (index chosen above the formula's variables). */
export function cotangent(F: Node, index = 90): Node {
  return Var(index, F.dim, 'i');
}

/** Max absolute difference (Infinity when a NaN appears on one side only). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`test: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    m = Math.max(m, d);
  }
  return m;
}

/** Relative error max|a-b| / max(1e-300, max|b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 1e-300;
  for (let k = 0; k < b.length; k++) s = Math.max(s, Math.abs(b[k]!));
  return maxAbsDiff(a, b) / s;
}

/** A seeded uniform generator on [0, 1) (mulberry32, shared with the library). */
export { rng };
