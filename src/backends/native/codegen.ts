import { createHash } from 'node:crypto';
import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { CHUNK_MIN_DIM, dynamicSlots } from '../common/loops.js';
import { declareState } from '../common/state.js';
import { cppDialect } from './dialect.js';
import { emitCertifiedRow, type OrderExpansion, orderExpansion, selectionSpec } from './expand.js';
import { emitGemmTile, GEMM_MIN_TILE, GEMM_PRELUDE, GEMM_ROWS, gemmSites } from './gemm.js';
import { PRELUDE } from './prelude.js';
import {
  bufferedComponents,
  emitRowTile,
  emitTile,
  ROW_SIMD_MAX_COLS,
  ROW_SIMD_MIN_ROWS,
  rowVectorised,
} from './strategy.js';
import { NativeBuffer } from './sumtree.js';

/**
 * C++ code generation from a KernelSpec (never from user text: identifiers come from the codegen,
 * numbers from the dialect's exact printer). One kernel is one `extern "C"` function:
 *
 *   int <symbol>(const T* in0, ..., const T* inS, int64_t nI, int64_t nJ, T* out, int32_t* outIdx,
 *                const int32_t* rowRanges, const int32_t* slices, const int32_t* colRanges,
 *                int64_t nBlocks, int32_t threads)
 *
 * (outputs null when absent; nBlocks -1 for a dense reduction, else the number of row blocks, the
 * range pointers then being valid; returns 0, or -1 when memory ran out).
 *
 * The j-side is copied once per call into a tile-blocked structure-of-arrays buffer: block b
 * holds columns [b TILE, (b+1) TILE), and in it component c (over all j-slots, in slot order)
 * occupies TILE consecutive values. One base pointer plus compile-time offsets reach every
 * component, so even 50-dimensional data vectorise without running out of registers. Rows are
 * split into chunks run in parallel; each chunk walks the blocks and, per row, runs the
 * vectorised tile body of its strategy. Vector reductions over a large dimension that pair an i-
 * and a j-variable (squared distances, scalar products) are computed first, for GEMM_ROWS rows at
 * a time, by the register-tiled micro-kernel of gemm.ts; the strategy then reads their values.
 */

/** Bytes the tile buffers of one row may use (they live on the stack of the calling thread). */
const TILE_BYTES = 64 * 1024;
/** Bytes of j-data one tile covers: a third of a typical 48 KiB L1, so rows re-read it from L1. */
const J_TILE_BYTES = 16 * 1024;
/**
 * The same for GEMM kernels: the micro-kernel reads a tile component by component, each a
 * contiguous run of TILE values, so the tile may stream from L2; a wider tile spreads the loads
 * and stores of the row states over more columns.
 */
const GEMM_J_TILE_BYTES = 64 * 1024;
/** Bytes the per-chunk row states may use. */
const STATE_BYTES = 32 * 1024;
/**
 * Rows per chunk of an expanded kernel (expand.ts), whose micro-kernel touches a row's state only
 * for column groups holding a candidate: more rows share each tile, so the j-data streams from
 * memory once per 256 rows instead of 64 (a model of the D = 50 kernel ran 14% faster).
 */
const EXPANDED_ROWS = 256;

/**
 * Whether slot s is read through its pointer (`X<s>[i * dim + k]`, `Pp<s>[k]`) rather than from
 * one local per component: slots a component loop indexes at run time, and any large slot (so the
 * source stays bounded whatever the dimension).
 */
function viaPointer(spec: KernelSpec, dyn: ReadonlySet<number>, s: number): boolean {
  return dyn.has(s) || spec.slots[s]!.dim >= CHUNK_MIN_DIM;
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/** Tile width (columns per tile) and rows per chunk for a spec. */
export function blocking(spec: KernelSpec): { tile: number; rows: number } {
  const size = spec.dtype === 'float32' ? 4 : 8;
  const jBytes = jComponents(spec) * size;
  const gemm = gemmSites(spec).length;
  const expansion = orderExpansion(spec);
  const sel = selectionSpec(spec, expansion);
  const nv = bufferedComponents(sel) + GEMM_ROWS * gemm;
  // Keep a tile's j-data within L1/L2 and its value buffers within TILE_BYTES.
  let tile = Math.min(1024, floorPow2((gemm > 0 ? GEMM_J_TILE_BYTES : J_TILE_BYTES) / Math.max(jBytes, 1)));
  if (nv > 0) tile = Math.min(tile, floorPow2(TILE_BYTES / (nv * size)));
  // A GEMM tile needs whole micro-kernel column groups.
  tile = Math.max(gemm > 0 ? GEMM_MIN_TILE : 16, tile);
  const st = reductionDef(sel.reduction.kind).stateSize(sel.reduction);
  const stateBytes = st.f * 8 + st.i * 4;
  // Up to 64 rows share each tile while it is in L1: the j-data streams from memory once per chunk.
  const maxRows = expansion ? EXPANDED_ROWS : 64;
  const budget = expansion ? (EXPANDED_ROWS / 64) * STATE_BYTES : STATE_BYTES;
  const rows = Math.max(1, Math.min(maxRows, Math.floor(budget / Math.max(stateBytes, 1))));
  return { tile, rows };
}

/** The C++ source of one kernel function named `symbol` (the prelude is not included). */
export function generateKernel(spec: KernelSpec, symbol: string): string {
  const d = cppDialect(spec.dtype, spec.reduction.accumulator);
  const buf = new NativeBuffer(d);
  // Expanded distances (expand.ts): the j-loops keep candidates, the last step certifies them.
  const expansion = orderExpansion(spec);
  const sel = selectionSpec(spec, expansion);
  const red = reductionDef(sel.reduction.kind);
  const T = spec.dtype === 'float32' ? 'float' : 'double';
  const { tile, rows } = blocking(spec);
  const ins = spec.slots.map((_, s) => `const ${T}* __restrict in${s}`).join(', ');
  buf.stmt(
    `LT_EXPORT int ${symbol}(${ins}${ins ? ', ' : ''}int64_t nI, int64_t nJ, ${T}* __restrict out, ` +
      'int32_t* __restrict outIdx, const int32_t* rr, const int32_t* sl, const int32_t* cr, int64_t nb, int32_t threads) {',
  );
  buf.stmt(`typedef ${T} T;`);
  buf.stmt(`typedef ${d.accType} A;`);
  buf.stmt(`const int TILE = ${tile};`);
  buf.stmt(`const int64_t RB = ${rows};`);
  buf.stmt('(void)out; (void)outIdx; (void)TILE;');
  emitSoa(buf, spec, expansion);
  const dyn = dynamicSlots(spec.formula);
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'p' || viaPointer(spec, dyn, s)) return;
    for (let k = 0; k < slot.dim; k++) buf.stmt(`const T P${s}_${k} = in${s}[${k}];`);
  });
  buf.stmt('int64_t chunk = nI / ((int64_t)(threads > 0 ? threads : 1) * 8);');
  buf.stmt('chunk = chunk < 1 ? 1 : chunk > RB ? RB : chunk;');
  buf.stmt('lt::Plan plan;');
  buf.block('if (!lt::plan(&plan, nI, nJ, rr, sl, cr, nb, chunk))', () => {
    buf.stmt('free(soa);');
    buf.stmt('return -1;');
  });
  buf.stmt('lt::parallel_for(plan.n, threads, [&](int64_t w) {');
  buf.stmt('const lt::Item it = plan.items[w];');
  // Local copies: through the lambda's by-reference captures the vectoriser would see possibly
  // aliased pointers and fall back to gathers.
  emitLocals(buf, spec, dyn);
  // Per-row states of the chunk, kept in arrays between tiles.
  const names = red.stateSize(sel.reduction);
  const stateF = Array.from({ length: names.f }, (_, k) => `af${k}`);
  const stateI = Array.from({ length: names.i }, (_, k) => `ai${k}`);
  for (const n of stateF) buf.stmt(`A S_${n}[RB];`);
  for (const n of stateI) buf.stmt(`int32_t S_${n}[RB];`);
  // The row-vectorised path of narrow tiles reads the chunk's i-variables from arrays.
  const byRows = rowVectorised(spec);
  const iComponents = spec.slots.flatMap((slot, s) =>
    slot.cat === 'i' ? Array.from({ length: slot.dim }, (_, k) => ({ s, k, dim: slot.dim })) : [],
  );
  if (byRows) for (const { s, k } of iComponents) buf.stmt(`alignas(64) T XS${s}_${k}[RB];`);
  // Expanded kernels: |x_i|^2 of the chunk's rows, once per row.
  if (expansion) buf.stmt('alignas(64) T NX[RB];');
  buf.block('for (int64_t i = it.i0; i < it.i1; i++)', () => {
    buf.stmt('const int64_t q = i - it.i0;');
    const acc = declareState(buf, sel, 'a');
    red.init(buf, sel.reduction, acc);
    store(buf, acc);
    if (byRows)
      for (const { s, k, dim } of iComponents) buf.stmt(`XS${s}_${k}[q] = X${s}[i * ${dim} + ${k}];`);
    if (expansion) {
      const x = `X${expansion.xSlot}[i * ${expansion.dim} + k]`;
      // Any order of the sum is within the certificate's bound (gamma_D |x|^2): SIMD partial sums.
      buf.stmt('T nx = 0;');
      buf.stmt('#pragma omp simd reduction(+: nx)');
      buf.stmt(`for (int k = 0; k < ${expansion.dim}; k++) nx += ${x} * ${x};`);
      buf.stmt('NX[q] = nx;');
    }
  });
  const cols = jColumns(spec);
  const gemm = gemmSites(spec);
  gemm.forEach((_, n) => buf.stmt(`alignas(64) T G${n}[${GEMM_ROWS} * TILE];`));
  buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
    buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
    buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
    buf.block('for (int jt = jA; jt < jB;)', () => {
      buf.stmt('const int o = jt / TILE * TILE;');
      buf.stmt('const int t0 = jt - o;');
      buf.stmt('const int t1 = jB - o < TILE ? jB - o : TILE;');
      buf.stmt('const T* __restrict yb = Ys + (size_t)(o / TILE) * (JD * TILE);');
      buf.stmt('(void)yb;');
      const perRow = () => {
        if (gemm.length > 0) {
          buf.stmt(`for (int64_t i4 = it.i0; i4 < it.i1; i4 += ${GEMM_ROWS}) {`);
          emitGemmTile(
            buf,
            spec,
            gemm,
            {
              jColumn: (s) => cols.get(s)!,
              param: (s, k) => (viaPointer(spec, dyn, s) ? `Pp${s}[${k}]` : `p${s}_${k}`),
            },
            expansion && {
              ...expansion,
              normColumn: jComponents(spec) - 1,
              threshold: (q) => `S_${stateF[stateF.length - 1]}[${q}]`,
              rowNorm: (q) => `NX[${q}]`,
              insert: (b, q, v, j) =>
                red.accumulate(
                  b,
                  sel.reduction,
                  { f: stateF.map((n) => `S_${n}[${q}]`), i: stateI.map((n) => `S_${n}[${q}]`) },
                  [v],
                  j,
                ),
            },
          );
          if (expansion) {
            // The rows' selection ran inside the micro-kernel.
            buf.stmt('}');
            return;
          }
          buf.stmt(`const int64_t iE = i4 + ${GEMM_ROWS} < it.i1 ? i4 + ${GEMM_ROWS} : it.i1;`);
        }
        buf.block(
          gemm.length > 0 ? 'for (int64_t i = i4; i < iE; i++)' : 'for (int64_t i = it.i0; i < it.i1; i++)',
          () => {
            buf.stmt('const int64_t q = i - it.i0;');
            spec.slots.forEach((slot, s) => {
              if (slot.cat !== 'i' || viaPointer(spec, dyn, s)) return;
              for (let k = 0; k < slot.dim; k++)
                buf.stmt(`const T x${s}_${k} = X${s}[i * ${slot.dim} + ${k}];`);
            });
            const at = (s: number, k: string, t: string): string => {
              const slot = spec.slots[s]!;
              if (slot.cat === 'p') return `Pp${s}[${k}]`;
              if (slot.cat === 'i') return `X${s}[i * ${slot.dim} + ${k}]`;
              return `yb[${cols.get(s)! * tile} + (${k}) * ${tile} + ${t}]`;
            };
            const acc = load(buf, stateF, stateI);
            emitTile({
              buf,
              spec,
              acc,
              pre: (t) => new Map(gemm.map((g, n) => [g.node.uid, `G${n}[(i - i4) * TILE + ${t}]`])),
              loadAt: at,
              load: (s, k, t) => {
                const slot = spec.slots[s]!;
                if (viaPointer(spec, dyn, s) && slot.cat !== 'j') return at(s, String(k), t);
                if (slot.cat === 'p') return `p${s}_${k}`;
                if (slot.cat === 'i') return `x${s}_${k}`;
                return `yb[${(cols.get(s)! + k) * tile} + ${t}]`;
              },
            });
            store(buf, acc);
          },
        );
        if (gemm.length > 0) buf.stmt('}');
      };
      if (byRows) {
        buf.block(`if (t1 - t0 <= ${ROW_SIMD_MAX_COLS} && it.i1 - it.i0 >= ${ROW_SIMD_MIN_ROWS})`, () =>
          emitRowTile({
            buf,
            spec,
            rows: { f: stateF, i: stateI },
            rowLocals: () => {
              for (const { s, k } of iComponents) buf.stmt(`const T x${s}_${k} = XS${s}_${k}[q];`);
            },
            load: (s, k, t) => {
              const slot = spec.slots[s]!;
              if (slot.cat === 'p') return viaPointer(spec, dyn, s) ? `Pp${s}[${k}]` : `p${s}_${k}`;
              if (slot.cat === 'i') return `x${s}_${k}`;
              return `yb[${(cols.get(s)! + k) * tile} + ${t}]`;
            },
          }),
        );
        buf.block('else', perRow);
      } else perRow();
      buf.stmt('jt = o + t1;');
    });
  });
  const finalize = (acc: AccState) =>
    reductionDef(spec.reduction.kind).finalize(
      buf,
      spec.reduction,
      acc,
      (k) => `O[i * ${spec.outDim} + ${k}]`,
      (k) => `OI[i * ${spec.outIdxDim} + ${k}]`,
    );
  if (expansion) emitMonotone(buf);
  buf.block('for (int64_t i = it.i0; i < it.i1; i++)', () => {
    buf.stmt('const int64_t q = i - it.i0;');
    if (expansion)
      emitCertifiedRow({
        buf,
        spec,
        e: expansion,
        scalar: gemm[expansion.site]!.scalar,
        candidates: { f: stateF, i: stateI },
        yColumn: cols.get(expansion.ySlot)!,
        finalize,
      });
    else finalize(load(buf, stateF, stateI));
  });
  buf.stmt('});');
  buf.stmt('free(plan.items);');
  buf.stmt('free(soa);');
  buf.stmt('return 0;');
  buf.stmt('}');
  return buf.toString();
}

/** Whether the item's column ranges are increasing and disjoint (`mono`): expand.ts's visiting order. */
function emitMonotone(buf: CodeBuffer): void {
  buf.stmt('bool mono = true;');
  buf.stmt('int jPrev = 0;');
  buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
    buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
    buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
    buf.stmt('if (jA >= jB) continue;');
    buf.stmt('if (jA < jPrev) mono = false;');
    buf.stmt('jPrev = jB;');
  });
}

/** Blocked-SoA components per column: the j-slots', then |y|^2 of an expanded kernel. */
function jComponents(spec: KernelSpec): number {
  const jd = spec.slots.reduce((n, s) => n + (s.cat === 'j' ? s.dim : 0), 0);
  return jd + (orderExpansion(spec) ? 1 : 0);
}

/** First blocked-SoA component of each j-slot. */
function jColumns(spec: KernelSpec): Map<number, number> {
  const cols = new Map<number, number>();
  let c = 0;
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'j') return;
    cols.set(s, c);
    c += slot.dim;
  });
  return cols;
}

/** Copies the j-slots into the tile-blocked SoA buffer `soa` (JD components per column). */
function emitSoa(buf: CodeBuffer, spec: KernelSpec, expansion: OrderExpansion | undefined): void {
  const cols = jColumns(spec);
  const jd = jComponents(spec);
  const plain = spec.slots.reduce((n, s) => n + (s.cat === 'j' ? s.dim : 0), 0);
  buf.stmt(`const int64_t JD = ${jd};`);
  buf.stmt('T* soa = nullptr;');
  // Expanded kernels: the largest |y_j| (float64) bounds every row's certificate.
  if (expansion) buf.stmt('double ymax = 0;');
  if (jd === 0) return;
  buf.stmt('const int64_t nBlk = (nJ + TILE - 1) / TILE;');
  buf.block('if (nJ > 0)', () => {
    buf.stmt('soa = (T*)lt::alloc(sizeof(T) * (size_t)(nBlk * JD * TILE));');
    buf.stmt('if (!soa) return -1;');
    // GEMM micro-kernels read whole column groups: the columns of the last block past nJ are zeros.
    if (gemmSites(spec).length > 0)
      buf.stmt(
        'if (nJ % TILE) __builtin_memset(soa + (nBlk - 1) * JD * TILE, 0, sizeof(T) * (size_t)(JD * TILE));',
      );
    buf.stmt('T* __restrict dst0 = soa;');
    if (expansion) {
      buf.stmt('double* ymb = (double*)lt::alloc(sizeof(double) * (size_t)nBlk);');
      buf.block('if (!ymb)', () => {
        buf.stmt('free(soa);');
        buf.stmt('return -1;');
      });
    }
    buf.stmt('lt::parallel_for(nBlk, nBlk * JD * TILE > 262144 ? threads : 1, [&](int64_t b) {');
    buf.stmt('T* __restrict dst = dst0 + b * JD * TILE;');
    buf.stmt('const int64_t j0 = b * TILE;');
    buf.stmt('const int n = nJ - j0 < TILE ? (int)(nJ - j0) : TILE;');
    buf.block('for (int t = 0; t < n; t++)', () => {
      spec.slots.forEach((slot, s) => {
        if (slot.cat !== 'j') return;
        if (slot.dim >= CHUNK_MIN_DIM) {
          buf.stmt(
            `for (int k = 0; k < ${slot.dim}; k++) dst[(${cols.get(s)!} + k) * TILE + t] = in${s}[(j0 + t) * ${slot.dim} + k];`,
          );
          return;
        }
        for (let k = 0; k < slot.dim; k++) {
          buf.stmt(`dst[${cols.get(s)! + k} * TILE + t] = in${s}[(j0 + t) * ${slot.dim} + ${k}];`);
        }
      });
    });
    if (expansion) {
      const D = expansion.dim;
      const y0 = cols.get(expansion.ySlot)!;
      buf.stmt('double ym = 0;');
      buf.block('for (int t = 0; t < n; t++)', () => {
        buf.stmt('T ny = 0;');
        buf.stmt('double nd = 0;');
        buf.block(`for (int k = 0; k < ${D}; k++)`, () => {
          buf.stmt(`const T v = dst[(${y0} + k) * TILE + t];`);
          buf.stmt('ny += v * v;');
          buf.stmt('nd += (double)v * (double)v;');
        });
        buf.stmt(`dst[${plain} * TILE + t] = ny;`);
        // NaN propagates (a NaN norm fails every certificate).
        buf.stmt('ym = nd > ym || nd != nd ? nd : ym;');
      });
      buf.stmt('ymb[b] = ym;');
    }
    buf.stmt('});');
    if (expansion) {
      buf.stmt(
        'for (int64_t b = 0; b < nBlk; b++) ymax = ymb[b] > ymax || ymb[b] != ymb[b] ? ymb[b] : ymax;',
      );
      buf.stmt('free(ymb);');
      buf.stmt('ymax = __builtin_sqrt(ymax) * (1 + 1e-10);');
    }
  });
}

/** Inside a work item: restrict-qualified local copies of every pointer and parameter it reads. */
function emitLocals(buf: CodeBuffer, spec: KernelSpec, dyn: ReadonlySet<number>): void {
  spec.slots.forEach((slot, s) => {
    if (slot.cat === 'i') buf.stmt(`const T* __restrict X${s} = in${s};`);
    if (slot.cat === 'p' && viaPointer(spec, dyn, s)) buf.stmt(`const T* __restrict Pp${s} = in${s};`);
    else if (slot.cat === 'p')
      for (let k = 0; k < slot.dim; k++) buf.stmt(`const T p${s}_${k} = P${s}_${k};`);
  });
  buf.stmt('const T* __restrict Ys = soa;');
  buf.stmt('T* __restrict O = out;');
  buf.stmt('int32_t* __restrict OI = outIdx;');
  buf.stmt('(void)O; (void)OI; (void)Ys;');
}

function load(buf: CodeBuffer, f: readonly string[], i: readonly string[]): AccState {
  for (const n of f) buf.stmt(`A ${n} = S_${n}[q];`);
  for (const n of i) buf.stmt(`int32_t ${n} = S_${n}[q];`);
  return { f, i };
}

function store(buf: CodeBuffer, acc: AccState): void {
  for (const n of acc.f) buf.stmt(`S_${n}[q] = ${n};`);
  for (const n of acc.i) buf.stmt(`S_${n}[q] = ${n};`);
}

/** Name of the function every library exports that returns its unit key. */
export const UNIT_KEY_SYMBOL = 'lt_unit_key';

/**
 * The key of a translation unit: sha256 (hex) of its specs' canonical keys, in order. Compiled
 * into the library and compared after loading, so that a library copied under another unit's
 * file name is refused.
 */
export function unitKey(specs: readonly KernelSpec[]): string {
  return createHash('sha256')
    .update(JSON.stringify(['lazytensor-unit-1', ...specs.map((s) => s.key)]))
    .digest('hex');
}

/**
 * A translation unit: the prelude, kernels `lt_k0 .. lt_k<n-1>` (one per spec) and
 * `lt_unit_key()`, which returns the unit key (64 hex digits: no user text reaches the source).
 */
export function generateUnit(specs: readonly KernelSpec[]): {
  source: string;
  symbols: string[];
  key: string;
} {
  const symbols = specs.map((_, k) => `lt_k${k}`);
  const parts = specs.map(
    (s, k) => `// kernel ${k}: ${commentSafe(s.key)}\n${generateKernel(s, symbols[k]!)}`,
  );
  const key = unitKey(specs);
  const keyFn = `LT_EXPORT const char* ${UNIT_KEY_SYMBOL}(void) { return "${key}"; }`;
  return { source: `${PRELUDE}\n${GEMM_PRELUDE}\n${parts.join('\n\n')}\n\n${keyFn}\n`, symbols, key };
}

/** A spec key reduced to characters that cannot end or extend a `//` comment. */
function commentSafe(key: string): string {
  return key.replace(/[^A-Za-z0-9_=;,.()|<>:+ -]/g, '?');
}
