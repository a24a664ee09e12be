import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { pairedSites } from '../common/pairedSites.js';
import { dbl, gamma, roundoff, squaredDifference } from './expand.js';
import type { KernelCtx } from './kernelCtx.js';
import { nativeMixedRank } from './options.js';
import { formulaValue } from './strategy.js';

/**
 * Mixed-precision ranking for nearest-neighbour selections at small dimension (k-means
 * assignments, ICP): Min, ArgMin and Min_ArgMin over j of |x_i - y_j|^2 in float64, D <= 16.
 *
 * The columns are ranked in FLOAT32 (16 lanes per AVX-512 vector instead of 8) with expanded
 * distances, after translating both sides by m, the mean of the y's (computed in float64):
 * a = f32(x - m), b = f32(y - m), and e_j = f32(|b_j|^2) + sum_k a_k (-2 b_jk), evaluated for
 * 16 rows per vector (rows in lanes, columns in the loop, the state in registers). Each row keeps
 * its smallest e1 (with its column j1) and its second smallest e2. The row is CERTIFIED when
 * e2 - e1 > 2 E, E a rigorous bound on |e_j - (fl(d_j) - |a|^2)| for every column j, fl(d_j) the
 * direct path's float64 distance: then fl(d_j1) < fl(d_j) strictly for every other column, so the
 * direct path selects j1 (no tie is possible) and the row's result is the direct path's exact
 * value of column j1, recomputed with the same code (the reduction's own init and accumulate).
 * Rows that fail (near-ties, duplicated columns, non-finite data, huge or tiny scales, overlapping
 * ranges, rows without columns) run the direct path's reduction over their columns (per range:
 * accumulate in increasing order, then merge, as the tiles do). The results are therefore those of
 * the direct path, bit for bit.
 *
 * The bound (u = 2^-24, w = 2^-53, gamma_n = n u / (1 - n u), gamma'_n the same with w;
 * R = |x - m| + max_j |y_j - m|; eta = u + 2 w bounds the relative error of a and b, so
 * |a - (x - m)| <= eta |x - m| and the same for b):
 * - e_j is an inner product of D + 1 terms (|b|^2 rounded to float32 within 1.01 u, and the
 *   products a_k (-2 b_k), -2 b exact), so |e_j - (|b|^2 - 2 a.b)| <= (gamma_{D+2} + 1.01 u)(|a| + |b|)^2
 *   <= (gamma_{D+2} + 1.01 u)(1 + eta)^2 R^2;
 * - |a - b|^2 - |a|^2 = |b|^2 - 2 a.b, and | |a - b|^2 - d_j | <= 2 |x - y| (|da| + |db|) + (|da| + |db|)^2
 *   <= (2 eta + eta^2) R^2 (d_j = |x - y_j|^2 exactly, |x - y| <= R);
 * - the direct path's |fl(d_j) - d_j| <= gamma'_{D+2} d_j <= gamma'_{D+2} R^2 (expand.ts);
 * - so E = C R^2 with C = (gamma_{D+2} + 1.01 u)(1 + eta)^2 + 2 eta + eta^2 + gamma'_{D+2}, inflated
 *   by 1.25 (the float64 evaluation of R, E and e2 - e1; R is computed with a 1e-10 margin), plus
 *   (4 D + 8) 2^-1022 for float64 underflow.
 * Float32 underflow adds at most (D + 3) 2^-150 + 4 sqrt(D) R 2^-150 (conversions to subnormals,
 * subnormal products): within the margin when R >= 2^-40, below which the certificate is refused.
 * Overflow: with R < 2^59, every float32 value and partial sum stays below 3 R^2 < 2^120. NaN and
 * infinite data fail the tests on R (a call whose y's are not all finite skips the ranking).
 */

/** Largest D the mixed ranking takes (beyond, the float32 ranking's registers run out). */
export const MIXED_MAX_DIM = 16;
/**
 * Fewest register blocks (16 NV rows) per thread of a call for the ranking: below, its work items
 * are too few to share among the threads, and its serial copy of the y's is not repaid (64 rows
 * against 1e5 columns ran 1.45x slower than the direct path, 200 rows about even).
 */
export const MIXED_MIN_BLOCKS = 2;

/** A spec's mixed ranking: the i-slot x and the j-slot y of the distance, and its dimension. */
export interface MixedRank {
  xSlot: number;
  ySlot: number;
  dim: number;
  /** Rows per register block: 16 NV (NV float32 vectors of 16 lanes). */
  nv: number;
}

/**
 * The mixed ranking of a spec, or undefined: float64, a reduction whose state is the best value
 * under `<` (Min, ArgMin, Min_ArgMin: the `best` trait) of a scalar F, and F exactly the squared
 * distance of one i- and one j-variable of dimension D <= MIXED_MAX_DIM (read from its code, as
 * expand.ts does; never from op names). The K-min kinds keep the direct path.
 */
export function mixedRanking(spec: KernelSpec): MixedRank | undefined {
  if (spec.dtype !== 'float64' || !nativeMixedRank()) return undefined;
  const r = spec.reduction;
  const def = reductionDef(r.kind);
  if (def.best !== '<' || r.dimF !== 1 || r.dimG !== 0) return undefined;
  const f = spec.formula;
  // D >= 2: the formula is a paired site (a sum over components); D = 1: the formula itself.
  const site = pairedSites(f, 2).find((s) => s.node.uid === f.uid);
  const scalar = site ? site.scalar : f;
  const dim = site ? site.dim : 1;
  if (dim > MIXED_MAX_DIM || f.dim !== 1) return undefined;
  const slots = squaredDifference(spec, scalar, dim);
  if (!slots) return undefined;
  return { ...slots, dim, nv: dim <= 3 ? 4 : dim <= 8 ? 2 : 1 };
}

/** The certificate's constants: e2 - e1 must exceed scale R^2 + floor, with minR <= R < maxR. */
export function mixedBound(dim: number): { scale: number; floor: number; minR: number; maxR: number } {
  const u = roundoff('float32').u;
  const { u: w, lambda } = roundoff('float64');
  const eta = u + 2 * w;
  const c = (gamma(dim + 2, u) + 1.01 * u) * (1 + eta) ** 2 + 2 * eta + eta * eta + gamma(dim + 2, w);
  return {
    scale: 2 * 1.25 * c,
    floor: 2 * 1.25 * (4 * dim + 8) * lambda,
    minR: 2 ** -40,
    maxR: 2 ** 59,
  };
}

/**
 * Bytes of per-row arrays of a work item of the ranking (x in float64 and float32, R, e1, e2, j1,
 * the certificate: 12 D + 21 bytes a row), within L1. More rows per item share each column's
 * loads and the items' set-up: at D = 3, 512 rows ran 4% faster than 256, 256 10% faster than 64.
 */
const MIXED_ITEM_BYTES = 32 * 1024;

/** Rows per work item of the ranking: a multiple of the register block (16 NV rows), at most 1024. */
export function mixedRows(m: MixedRank): number {
  const block = 16 * m.nv;
  const rows = Math.min(1024, Math.floor(MIXED_ITEM_BYTES / (12 * m.dim + 21)));
  return Math.max(1, Math.floor(rows / block)) * block;
}

/**
 * Emits, at call level (after the j-side's SoA copy), the ranking's data: the centre `mrC[D]`
 * (mean of the y's), the float32 columns `mrY` (component k of column j at k nJ + j: -2 b_jk;
 * then |b_j|^2 at D nJ + j), the float64 columns `mrYD` (y_jk at k nJ + j, for the exact values),
 * `mrYmax` (max_j |y_j - m| with a margin, NaN when any is not finite) and `mrOk`, whether the
 * call takes the ranking (then work items hold up to `MRROWS` rows).
 */
export function emitMixedColumns(buf: CodeBuffer, m: MixedRank): void {
  const D = m.dim;
  const y = `in${m.ySlot}`;
  buf.stmt(`const int64_t MRROWS = ${mixedRows(m)};`);
  buf.stmt(`double mrC[${D}] = {};`);
  buf.stmt('float* mrY = nullptr;');
  buf.stmt('double* mrYD = nullptr;');
  buf.stmt('double mrYmax = 0;');
  // Column offsets k nJ + j are int32 in the exact recomputation.
  buf.stmt(
    `bool mrOk = nJ > 0 && nJ <= ${Math.floor(2 ** 31 / (D + 1)) - 1} && ` +
      `nI >= (int64_t)(threads > 1 ? threads : 1) * ${MIXED_MIN_BLOCKS * 16 * m.nv};`,
  );
  buf.block('if (mrOk)', () => {
    buf.stmt(`mrY = (float*)lt::alloc(sizeof(float) * (size_t)(nJ * ${D + 1}));`);
    buf.stmt(`mrYD = (double*)lt::alloc(sizeof(double) * (size_t)(nJ * ${D}));`);
    buf.block('if (!mrY || !mrYD)', () => {
      buf.stmt('free(soa); free(mrY); free(mrYD);');
      buf.stmt('return -1;');
    });
    buf.stmt(`for (int64_t j = 0; j < nJ; j++) for (int k = 0; k < ${D}; k++) mrC[k] += ${y}[j * ${D} + k];`);
    buf.stmt(`for (int k = 0; k < ${D}; k++) mrC[k] /= (double)nJ;`);
    buf.stmt('double ym = 0;');
    buf.block('for (int64_t j = 0; j < nJ; j++)', () => {
      buf.stmt('double n2 = 0, nb = 0;');
      buf.block(`for (int k = 0; k < ${D}; k++)`, () => {
        buf.stmt(`mrYD[k * nJ + j] = ${y}[j * ${D} + k];`);
        buf.stmt(`const double v = ${y}[j * ${D} + k] - mrC[k];`);
        buf.stmt('const float b = (float)v;');
        buf.stmt('mrY[k * nJ + j] = -2.0f * b;');
        buf.stmt('n2 += v * v;');
        buf.stmt('nb += (double)b * (double)b;');
      });
      buf.stmt(`mrY[${D} * nJ + j] = (float)nb;`);
      // NaN propagates (a NaN norm refuses the call).
      buf.stmt('ym = n2 > ym || n2 != n2 ? n2 : ym;');
    });
    buf.stmt('mrYmax = __builtin_sqrt(ym) * (1 + 1e-10);');
    buf.stmt(`mrOk = mrYmax < ${dbl(mixedBound(D).maxR)};`);
  });
}

/**
 * Emits, inside a work item, the ranking of the item's rows, their certificates, the direct path's
 * reduction of the rows that fail, and every row's outputs (`finalize`, with the row's `i` in
 * scope): those the direct path writes.
 */
export function emitMixedRows(ctx: KernelCtx, m: MixedRank, finalize: (acc: AccState) => void): void {
  const { buf, spec, states } = ctx;
  const r = spec.reduction;
  const red = reductionDef(r.kind);
  const D = m.dim;
  const NV = m.nv;
  const L = 16 * NV;
  const X = `X${m.xSlot}`;
  const { scale, floor, minR, maxR } = mixedBound(D);
  const comps = Array.from({ length: D }, (_, k) => k);
  buf.stmt('typedef float MVF __attribute__((vector_size(64)));');
  buf.stmt('typedef int32_t MVI __attribute__((vector_size(64)));');
  buf.stmt('const int64_t nq = it.i1 - it.i0;');
  buf.stmt(`const int64_t nqp = (nq + ${L - 1}) / ${L} * ${L};`);
  buf.stmt('const float* __restrict YF = mrY;');
  buf.stmt('const double* __restrict YD = mrYD;');
  buf.stmt('const int32_t nJ32 = (int32_t)nJ;');
  buf.stmt(`double mc[${D}];`);
  buf.stmt(`for (int k = 0; k < ${D}; k++) mc[k] = mrC[k];`);
  buf.stmt('const double ymx = mrYmax;');
  // Per row: x (float64) and x - m (float32) by component, R, e1, e2, j1, the certificate.
  buf.stmt(`alignas(64) double XD[${D} * MRROWS];`);
  buf.stmt(`alignas(64) float XF[${D} * MRROWS];`);
  buf.stmt('alignas(64) double RQ[MRROWS];');
  buf.stmt('alignas(64) float E1[MRROWS];');
  buf.stmt('alignas(64) float E2[MRROWS];');
  buf.stmt('alignas(64) int32_t J1[MRROWS];');
  buf.stmt('bool OKQ[MRROWS];');
  // Padding rows (up to a whole register block) repeat the first row; their results are unused.
  buf.stmt('#pragma omp simd');
  buf.block('for (int64_t q = 0; q < nqp; q++)', () => {
    buf.stmt('const int64_t i = q < nq ? it.i0 + q : it.i0;');
    buf.stmt('double n2 = 0;');
    for (const k of comps) {
      buf.stmt(`const double x${k} = ${X}[i * ${D} + ${k}];`);
      buf.stmt(`XD[${k} * MRROWS + q] = x${k};`);
      buf.stmt(`const double v${k} = x${k} - mc[${k}];`);
      buf.stmt(`n2 += v${k} * v${k};`);
      buf.stmt(`XF[${k} * MRROWS + q] = (float)v${k};`);
    }
    buf.stmt('RQ[q] = __builtin_sqrt(n2) * (1 + 1e-10) + ymx;');
  });
  // The ranking: per block of 16 NV rows (state in registers), the columns of every range.
  buf.block(`for (int64_t q0 = 0; q0 < nqp; q0 += ${L})`, () => {
    const u = Array.from({ length: NV }, (_, n) => n);
    for (const n of u) {
      for (const c of comps) {
        buf.stmt(`MVF a${c}_${n};`);
        buf.stmt(`__builtin_memcpy(&a${c}_${n}, XF + ${c} * MRROWS + q0 + ${16 * n}, 64);`);
      }
      buf.stmt(`MVF f${n} = (MVF){} + __builtin_inff();`);
      buf.stmt(`MVF g${n} = f${n};`);
      buf.stmt(`MVI h${n} = (MVI){} - 1;`);
    }
    buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
      buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
      buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
      // The column index as a vector counter (a masked move per row vector, no broadcast).
      buf.stmt('MVI jv = (MVI){} + jA;');
      buf.block('for (int j = jA; j < jB; j++, jv += 1)', () => {
        for (const c of comps) buf.stmt(`const float c${c} = YF[${c} * nJ + j];`);
        buf.stmt(`const float cn = YF[${D} * nJ + j];`);
        for (const n of u) {
          buf.stmt(`const MVF e${n} = cn + ${comps.map((c) => `a${c}_${n} * c${c}`).join(' + ')};`);
          // 2-min: g = min(g, max(f, e)), then f = min(f, e) with its column (strictly smaller only).
          buf.stmt(`const MVF x${n} = e${n} > f${n} ? e${n} : f${n};`);
          buf.stmt(`g${n} = x${n} < g${n} ? x${n} : g${n};`);
          buf.stmt(`const MVI m${n} = e${n} < f${n};`);
          buf.stmt(`f${n} = m${n} ? e${n} : f${n};`);
          buf.stmt(`h${n} = m${n} ? jv : h${n};`);
        }
      });
    });
    for (const n of u) {
      buf.stmt(`__builtin_memcpy(E1 + q0 + ${16 * n}, &f${n}, 64);`);
      buf.stmt(`__builtin_memcpy(E2 + q0 + ${16 * n}, &g${n}, 64);`);
      buf.stmt(`__builtin_memcpy(J1 + q0 + ${16 * n}, &h${n}, 64);`);
    }
  });
  // Certified rows: the direct path's value of column j1, into a fresh state, and the outputs.
  const acc: AccState = { f: states.f.map((n) => `m${n}`), i: states.i.map((n) => `m${n}`) };
  const declare = (st: AccState) => {
    for (const n of st.f) buf.stmt(`A ${n} = 0;`);
    for (const n of st.i) buf.stmt(`int32_t ${n} = 0;`);
  };
  const value = (load: (s: number, c: number) => string) =>
    formulaValue(buf, spec, (s, c) => {
      const slot = spec.slots[s]!;
      if (slot.cat === 'i' || slot.cat === 'j') return load(s, c);
      return `in${s}[${c}]`;
    });
  buf.stmt('int nbad = 0;');
  buf.stmt('#pragma omp simd reduction(+: nbad)');
  buf.block('for (int64_t q = 0; q < nq; q++)', () => {
    buf.stmt('const int64_t i = it.i0 + q;');
    buf.stmt('const double R = RQ[q];');
    buf.stmt(
      `const bool ok = J1[q] >= 0 && R >= ${dbl(minR)} && R < ${dbl(maxR)} && ` +
        `(double)E2[q] - (double)E1[q] > ${dbl(scale)} * R * R + ${dbl(floor)};`,
    );
    buf.stmt('const int32_t jc = ok ? J1[q] : 0;');
    const v = value((s, c) =>
      spec.slots[s]!.cat === 'i' ? `XD[${c} * MRROWS + q]` : `YD[jc + ${c} * nJ32]`,
    );
    declare(acc);
    red.init(buf, r, acc);
    red.accumulate(buf, r, acc, v, 'jc');
    finalize(acc);
    buf.stmt('OKQ[q] = ok;');
    buf.stmt('nbad += !ok;');
  });
  // The others: the direct path's reduction of the row (per range, as its tiles: accumulate in
  // increasing order, merge).
  const tile: AccState = { f: states.f.map((n) => `t${n}`), i: states.i.map((n) => `t${n}`) };
  buf.block('if (nbad > 0) for (int64_t q = 0; q < nq; q++)', () => {
    buf.stmt('if (OKQ[q]) continue;');
    buf.stmt('const int64_t i = it.i0 + q;');
    declare(acc);
    red.init(buf, r, acc);
    buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
      buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
      buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
      declare(tile);
      red.init(buf, r, tile);
      buf.block('for (int j = jA; j < jB; j++)', () => {
        const v = value((s, c) =>
          spec.slots[s]!.cat === 'i' ? `${X}[i * ${D} + ${c}]` : `YD[j + ${c} * nJ32]`,
        );
        red.accumulate(buf, r, tile, v, 'j');
      });
      red.merge(buf, r, acc, tile);
    });
    finalize(acc);
  });
}
