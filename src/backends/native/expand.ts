import { isVar, type Node, varCat, varIndex } from '../../formula/node.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, type ReductionShape, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { emitFormula } from '../common/formula.js';
import { gemmSites, ProbeBuffer, probeLines } from './gemm.js';

/**
 * Expanded distances for selections (the K-NN fast path of the native GEMM path).
 *
 * A minimum-type selection (Min, ArgMin, Min_ArgMin, KMin, ArgKMin, KMin_ArgKMin: reductions
 * with a `threshold` trait whose comparison is `<=`, of a scalar F) whose formula IS a GEMM site
 * summing (x_k - y_k)^2 (x an i-variable, y a j-variable) needs the order of the distances, not
 * their sum: the micro-kernel then computes d~ = |x|^2 + |y|^2 - 2 x.y, one FMA per pair and
 * component instead of a subtraction and an FMA, and each row keeps K' > K candidates by d~
 * (a K-min of d~, keptCandidates). The selection is fused into the micro-kernel (gemm.ts): per
 * row and group of 64 columns, one vector comparison of the group's minimum d~ against the row's
 * threshold, so no tile buffer is written or read back, and since row states are touched only for
 * groups holding a candidate, 256 rows share each tile (codegen.ts: the j-data streams from memory
 * once per 256 rows). At the end of the row, the candidates' distances are recomputed exactly as the
 * direct path computes them (same expression, same order of the sum), and the reduction itself
 * runs over them in increasing column order. The row is CERTIFIED when the exact K-th distance
 * d_K (the reduction's threshold slot) satisfies d_K + E < tau, tau the largest kept d~ (every
 * column not kept has d~ >= tau) and E a rigorous bound on |d~ - fl(d)|: every column not kept
 * then has fl(d) > d_K and cannot enter the result nor tie with it. Rows that are not certified
 * (huge norms with tiny distances, non-finite data, overlapping ranges) run the direct path's
 * exact reduction over all their columns. Results are therefore those of the direct path: same
 * values, same indices, ties to the lowest index.
 *
 * The bound (u = 2^-24 in float32, 2^-53 in float64; gamma_n = n u / (1 - n u); Q = (|x| + |y|)^2):
 * - the micro-kernel's sums |x|^2, |y|^2 and x.y (sequential, one rounding per term) are each
 *   within gamma_D of the exact value times |x|^2, |y|^2 and |x||y|; d~ = fl(fl(nx + ny) - 2 p)
 *   adds two roundings, so |d~ - d| <= gamma_{D+2} Q;
 * - the direct path's fl(d) = fl(sum_k fl(x_k - y_k)^2) sums non-negative terms, each within
 *   gamma_2 of (x_k - y_k)^2, so |fl(d) - d| <= gamma_{D+2} d <= gamma_{D+2} Q;
 * - hence |d~ - fl(d)| <= 2 gamma_{D+2} Q, plus (4 D + 8) lambda for gradual underflow (lambda the
 *   smallest normal number: each product loses at most lambda u).
 * The kernel uses Q = (|x_i| + max_j |y_j|)^2 computed in float64 and inflated by 1e-10, E = 1.25
 * times the bound, and refuses the certificate when Q is not below a quarter of the largest finite
 * value (so that no intermediate overflows; NaN and inf fail the test too).
 */

/** Most K the expanded path takes (the candidates' insertion is unrolled K' deep). */
const MAX_K = 64;
/**
 * Largest D the expanded path takes. Its gain is the per-pair selection work it removes, which
 * the direct path spreads over D FMAs per pair, while its own cost (insertions of candidates, in
 * most column groups when the columns are few) does not shrink with D. 10-NN, float32, 2 cores,
 * CPU time, against the direct path: +40% at D = 50 (1e5 columns), +17% at D = 100 and +23% at
 * D = 128 (1e5 columns), even at D = 256, -20% at D = 784 (8,000 columns).
 */
export const EXPAND_MAX_DIM = 256;

/**
 * Candidates kept per row for a selection of K values in dimension D: K + max(3, K/4, K D/1024).
 * Each kept candidate costs insertions while the row's threshold settles (K' = 2K ran 5-8% slower
 * than K + 3 at K = 10, D = 50); the margin over K is what certifies a row (the K-th exact
 * distance must sit below the K'-th expanded one by the error bound, which grows like D), and a
 * row that fails costs several rows on the fallback. On uniform data with 8,000 columns and
 * K = 10, K' = 13 failed 0% of rows at D <= 256 but 7% at D = 784 and 11% at D = 1000, K' = 20
 * none; K' = K + 1 failed a few percent at D = 50.
 */
export function keptCandidates(k: number, dim: number): number {
  return k + Math.max(3, Math.ceil(k / 4), Math.ceil((k * dim) / 1024));
}

/** The expanded form of a spec. */
export interface OrderExpansion {
  /** Index of the expanded site in `gemmSites(spec)`. */
  site: number;
  /** The i-slot (x) and the j-slot (y) of the distance, and its dimension. */
  xSlot: number;
  ySlot: number;
  dim: number;
  /** K of the selection (1 for Min and ArgMin). */
  k: number;
  /** The K-min of d~ each row keeps its candidates in. */
  candidates: ReductionShape;
}

/**
 * The expansion of a spec, or undefined when it does not apply: decided from the reduction's traits
 * (a `<=` threshold on a scalar F) and the site's summand (its scalar code is the polynomial
 * (X - Y)^2 of one i- and one j-variable of the site's dimension), never from op names.
 */
export function orderExpansion(spec: KernelSpec): OrderExpansion | undefined {
  const r = spec.reduction;
  const def = reductionDef(r.kind);
  if (!def.threshold || r.dimF !== 1 || r.dimG !== 0) return undefined;
  const k = def.usesK ? r.k : 1;
  if (k < 1 || k > MAX_K) return undefined;
  const probe: AccState = { f: Array.from({ length: Math.max(1, k) }, (_, s) => `f${s}`), i: [] };
  if (def.threshold(r, probe, 0).cmp !== '<=') return undefined;
  const sites = gemmSites(spec);
  const n = sites.findIndex((s) => s.node.uid === spec.formula.uid);
  if (n < 0 || sites[n]!.dim > EXPAND_MAX_DIM) return undefined;
  const slots = squaredDifference(spec, sites[n]!.scalar, sites[n]!.dim);
  if (!slots) return undefined;
  const kept = keptCandidates(k, sites[n]!.dim);
  return {
    site: n,
    ...slots,
    dim: sites[n]!.dim,
    k,
    candidates: { kind: 'KMin_ArgKMin', dimF: 1, dimG: 0, k: kept, accumulator: r.accumulator },
  };
}

/** The spec whose reduction the kernel's j-loops run: the candidates' K-min when expanded. */
export function selectionSpec(spec: KernelSpec, e: OrderExpansion | undefined): KernelSpec {
  return e ? { ...spec, reduction: e.candidates } : spec;
}

/**
 * The slots x (i) and y (j) when a site's scalar summand (the IR of one component) is exactly
 * (x - y)^2 with both of the site's dimension `dim`: its probe code, read as a polynomial of degree
 * <= 2, has the coefficients of X^2 - 2 X Y + Y^2 and nothing else (also mixedRank.ts).
 */
export function squaredDifference(
  spec: KernelSpec,
  scalar: Node,
  dim: number,
): { xSlot: number; ySlot: number } | undefined {
  const vars = new Map<number, Node>();
  const stack = [scalar];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (isVar(v)) vars.set(varIndex(v), v);
    else stack.push(...v.args);
  }
  if (vars.size !== 2) return undefined;
  const [a, b] = [...vars.keys()];
  const cat = (s: number) => varCat(vars.get(s)!);
  const xSlot = cat(a!) === 'i' ? a! : b!;
  const ySlot = xSlot === a ? b! : a!;
  if (cat(xSlot) !== 'i' || cat(ySlot) !== 'j') return undefined;
  if (spec.slots[xSlot]!.dim !== dim || spec.slots[ySlot]!.dim !== dim) return undefined;
  const code = probeLines(spec, scalar, (s) => (s === xSlot ? 'X' : 'Y'));
  if (!code) return undefined;
  const p = polynomial(code.lines, code.expr);
  const want = [0, 0, 0, 1, -2, 1];
  return p?.every((c, k) => c === want[k]) ? { xSlot, ySlot } : undefined;
}

/** A polynomial of degree <= 2 in X and Y: coefficients of 1, X, Y, X^2, X Y, Y^2. */
type Poly = number[];
const DEG = [0, 1, 1, 2, 2, 2];

function mul(p: Poly, q: Poly): Poly | undefined {
  const out = [0, 0, 0, 0, 0, 0];
  // Monomials as exponent pairs (x, y).
  const ex = [
    [0, 0],
    [1, 0],
    [0, 1],
    [2, 0],
    [1, 1],
    [0, 2],
  ];
  for (let i = 0; i < 6; i++)
    for (let j = 0; j < 6; j++) {
      if (p[i] === 0 || q[j] === 0) continue;
      if (DEG[i]! + DEG[j]! > 2) return undefined;
      const e = [ex[i]![0]! + ex[j]![0]!, ex[i]![1]! + ex[j]![1]!];
      const k = ex.findIndex((m) => m[0] === e[0] && m[1] === e[1]);
      out[k]! += p[i]! * q[j]!;
    }
  return out;
}

/**
 * Reads operators-only C code (`const auto n = e;` lines and a final expression; +, -, *, unary
 * minus, parentheses, names and numbers) as a polynomial in X and Y; undefined for anything else.
 */
export function polynomial(lines: readonly string[], expr: string): Poly | undefined {
  const env = new Map<string, Poly>([
    ['X', [0, 1, 0, 0, 0, 0]],
    ['Y', [0, 0, 1, 0, 0, 0]],
  ]);
  for (const line of lines) {
    const m = /^const auto ([A-Za-z_][A-Za-z0-9_]*) = (.*);$/.exec(line.trim());
    if (!m) return undefined;
    const v = parse(m[2]!, env);
    if (!v) return undefined;
    env.set(m[1]!, v);
  }
  return parse(expr, env);
}

function parse(src: string, env: ReadonlyMap<string, Poly>): Poly | undefined {
  const tokens = src.match(/[A-Za-z_][A-Za-z0-9_]*|[0-9.]+(?:[eE][-+]?[0-9]+)?|\S/g) ?? [];
  let at = 0;
  const add = (p: Poly, q: Poly, s: number) => p.map((c, k) => c + s * q[k]!);
  const primary = (): Poly | undefined => {
    const t = tokens[at++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = sum();
      return tokens[at++] === ')' ? v : undefined;
    }
    if (t === '-') {
      const v = primary();
      return v?.map((c) => -c);
    }
    if (/^[0-9]/.test(t)) {
      const c = Number(t);
      return Number.isFinite(c) ? [c, 0, 0, 0, 0, 0] : undefined;
    }
    return env.get(t);
  };
  const product = (): Poly | undefined => {
    let v = primary();
    while (v && tokens[at] === '*') {
      at++;
      const w = primary();
      v = w ? mul(v, w) : undefined;
    }
    return v;
  };
  const sum = (): Poly | undefined => {
    let v = product();
    while (v && (tokens[at] === '+' || tokens[at] === '-')) {
      const s = tokens[at++] === '+' ? 1 : -1;
      const w = product();
      v = w ? add(v, w, s) : undefined;
    }
    return v;
  };
  const v = sum();
  return at === tokens.length ? v : undefined;
}

/** Unit roundoff, smallest normal number and largest finite value of a dtype. */
export function roundoff(dtype: KernelSpec['dtype']): { u: number; lambda: number; max: number } {
  return dtype === 'float32'
    ? { u: 2 ** -24, lambda: 2 ** -126, max: 3.4028234663852886e38 }
    : { u: 2 ** -53, lambda: 2 ** -1022, max: Number.MAX_VALUE };
}

/** The certificate's constants: E = scale Q + floor, and the largest Q it accepts. */
export function errorBound(
  dtype: KernelSpec['dtype'],
  dim: number,
): { scale: number; floor: number; maxQ: number } {
  const { u, lambda, max } = roundoff(dtype);
  const g = gamma(dim + 2, u);
  return { scale: 1.25 * 2 * g * (1 + 1e-10), floor: 1.25 * (4 * dim + 8) * lambda, maxQ: max / 4 };
}

/** Higham's gamma_n = n u / (1 - n u): the relative error bound of n roundings of unit u. */
export function gamma(n: number, u: number): number {
  return (n * u) / (1 - n * u);
}

/** What the final per-row step needs from the kernel being generated. */
export interface CertifyCtx {
  buf: CodeBuffer;
  spec: KernelSpec;
  e: OrderExpansion;
  /** The scalar summand of the site (the IR of one component). */
  scalar: Node;
  /** The candidates' row state (arrays `S_<name>[q]`). */
  candidates: AccState;
  /** First SoA component of the y-slot. */
  yColumn: number;
  /** Writes the reduction's outputs from its state. */
  finalize: (acc: AccState) => void;
}

/** A double literal (exact: JS numbers are doubles). */
export function dbl(v: number): string {
  return v.toExponential(17);
}

/**
 * Emits, inside the loop over the rows i of a work item (q = i - it.i0 in scope, and `ymax`, the
 * largest |y_j| of the call as a double, `mono`, whether the item's ranges are increasing), the
 * exact selection of the row from its candidates, the certificate, the fallback and the outputs.
 */
export function emitCertifiedRow(ctx: CertifyCtx): void {
  const { buf, spec, e } = ctx;
  const d = buf.d;
  const r = spec.reduction;
  const red = reductionDef(r.kind);
  const D = e.dim;
  const kept = e.candidates.k;
  const { scale, floor, maxQ } = errorBound(spec.dtype, D);
  buf.stmt(`const T* __restrict xr = X${e.xSlot} + i * ${D};`);
  // The direct path's values, lane by lane: the micro-kernel's own code on the same vector type, so
  // that the compiler rounds (and contracts into FMAs) exactly as there. `exactv(yp)`: the NW
  // columns of one SIMD group (`yp`: their first component in the tile buffer), for the fallback.
  buf.stmt('typedef T VT __attribute__((vector_size(LT_VBYTES)));');
  buf.stmt('const int NW = (int)(sizeof(VT) / sizeof(T));');
  const chain = (load: () => void) => {
    buf.stmt('VT s = {};');
    buf.block(`for (int k = 0; k < ${D}; k++)`, () => {
      load();
      buf.stmt('const T xv = xr[k];');
      const vb = new ProbeBuffer(buf.d, 'e');
      const [v] = emitFormula(vb, ctx.scalar, (s) => (s === e.xSlot ? 'xv' : 'yv'));
      for (const line of vb.toString().split('\n')) if (line.trim()) buf.stmt(line.trim());
      buf.stmt(`s += ${v};`);
    });
    buf.stmt('return s;');
  };
  const column = (j: string) =>
    `Ys + (size_t)(${j} / TILE) * (JD * TILE) + ${ctx.yColumn} * TILE + (int)(${j} % TILE)`;
  buf.stmt('auto exactv = [&](const T* __restrict yp) -> VT {');
  chain(() => {
    buf.stmt('VT yv;');
    buf.stmt('__builtin_memcpy(&yv, yp + k * TILE, sizeof(VT));');
  });
  buf.stmt('};');
  // Candidates in increasing column order (the direct path's visiting order).
  const padded = Math.ceil(kept / 16) * 16;
  buf.stmt(`int32_t cj[${padded}];`);
  buf.stmt(`alignas(64) T cv[${padded}];`);
  buf.stmt('int nc = 0;');
  for (const n of ctx.candidates.i) buf.stmt(`if (S_${n}[q] >= 0) cj[nc++] = S_${n}[q];`);
  buf.block('for (int a = 1; a < nc; a++)', () => {
    buf.stmt('const int32_t v = cj[a];');
    buf.stmt('int b = a - 1;');
    buf.block('while (b >= 0 && cj[b] > v)', () => {
      buf.stmt('cj[b + 1] = cj[b];');
      buf.stmt('b--;');
    });
    buf.stmt('cj[b + 1] = v;');
  });
  const sz = red.stateSize(r);
  const acc: AccState = {
    f: Array.from({ length: sz.f }, (_, k) => `ef${k}`),
    i: Array.from({ length: sz.i }, (_, k) => `ei${k}`),
  };
  for (const n of acc.f) buf.stmt(d.declAcc(n, d.lit(0)));
  for (const n of acc.i) buf.stmt(d.declInt(n, '0'));
  red.init(buf, r, acc);
  // Exact values of the candidates, NW at a time (the last group padded with its last column).
  buf.stmt(`for (int c = nc; c < ${padded}; c++) cj[c] = nc > 0 ? cj[nc - 1] : 0;`);
  // All groups in one loop over components: independent chains, each lane's sum in the
  // micro-kernel's order.
  buf.stmt(`const int NG = ${padded} / NW;`);
  buf.stmt('VT sg[NG] = {};');
  buf.stmt('const T* yl[NG * NW];');
  buf.stmt(`if (nc > 0) for (int c = 0; c < NG * NW; c++) yl[c] = ${column('cj[c]')};`);
  buf.block(`for (int k = 0; nc > 0 && k < ${D}; k++)`, () => {
    buf.stmt('const T xv = xr[k];');
    buf.block('for (int g = 0; g < NG; g++)', () => {
      buf.stmt('VT yv;');
      buf.stmt('for (int l = 0; l < NW; l++) yv[l] = yl[g * NW + l][k * TILE];');
      const vb = new ProbeBuffer(buf.d, 'g');
      const [v] = emitFormula(vb, ctx.scalar, (s) => (s === e.xSlot ? 'xv' : 'yv'));
      for (const line of vb.toString().split('\n')) if (line.trim()) buf.stmt(line.trim());
      buf.stmt(`sg[g] += ${v};`);
    });
  });
  buf.stmt('__builtin_memcpy(cv, sg, sizeof(sg));');
  buf.block('for (int c = 0; c < nc; c++)', () => {
    buf.stmt('const int32_t j = cj[c];');
    buf.stmt('const T dv = cv[c];');
    red.accumulate(buf, r, acc, ['dv'], 'j');
  });
  // The certificate: d_K + E < tau, tau the largest kept d~ (none when fewer than K' columns).
  const last = kept - 1;
  buf.stmt('double nx2 = 0;');
  buf.stmt('#pragma omp simd reduction(+: nx2)');
  buf.stmt(`for (int k = 0; k < ${D}; k++) nx2 += (double)xr[k] * (double)xr[k];`);
  buf.stmt('const double qs = __builtin_sqrt(nx2) + ymax;');
  buf.stmt('const double Q = qs * qs;');
  buf.stmt(`bool ok = mono && Q < ${dbl(maxQ)};`);
  const dK = red.threshold!(r, acc, 0).slot;
  buf.block(`if (ok && S_${ctx.candidates.i[last]}[q] >= 0)`, () => {
    buf.stmt(`const double E = ${dbl(scale)} * Q + ${dbl(floor)};`);
    buf.stmt(`ok = (double)${dK} + E < (double)S_${ctx.candidates.f[last]}[q];`);
  });
  buf.block('if (!ok)', () => {
    red.init(buf, r, acc);
    buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
      buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
      buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
      buf.block('for (int g = jA - jA % NW; g < jB; g += NW)', () => {
        buf.stmt(`const VT vs = exactv(${column('g')});`);
        buf.block('for (int j = g < jA ? jA : g; j < jB && j < g + NW; j++)', () => {
          buf.stmt('const T dv = vs[j - g];');
          red.accumulate(buf, r, acc, ['dv'], 'j');
        });
      });
    });
  });
  ctx.finalize(acc);
}
