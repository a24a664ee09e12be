import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { CHUNK_MIN_DIM, findChunkSites } from '../common/loops.js';
import { formulaValue, strategyOf } from './strategy.js';

/**
 * Widest tile span (columns) the row-vectorised path takes. Narrow tiles (few columns: K-means'
 * centroids, a coarse quantiser) make the per-row SIMD loop of `select` short, so its horizontal
 * reductions and second pass cost more than the pairs: the row-vectorised path was measured 3x
 * faster at 100 columns, 1.5x at 512 and about even at 1024 (so float32 tiles of 1024 stay
 * per-row). It turns the loops around: for each column, one SIMD loop over the rows of the chunk
 * (their coordinates copied once per chunk into arrays, the column's values broadcast) keeps each
 * row's strictly better values (columns in increasing order: the best value and its lowest index,
 * NaN never winning); the tile states are then folded into the row states with `merge`, so the
 * results are those of the per-row path.
 */
export const ROW_SIMD_MAX_COLS = 512;
/** Fewest rows of a chunk for the row-vectorised path (below, its SIMD loops are too short). */
export const ROW_SIMD_MIN_ROWS = 16;
/** Most i-components kept in per-chunk arrays by the row-vectorised path. */
const ROW_SIMD_MAX_I_COMPONENTS = 16;

/**
 * Whether a spec gets the row-vectorised path for narrow tiles: Min/Max and their arg forms, of
 * a formula with no component loops whose i-variables are few components.
 */
export function rowVectorised(spec: KernelSpec): boolean {
  if (strategyOf(spec) !== 'select' || !reductionDef(spec.reduction.kind).best) return false;
  if (findChunkSites(spec.formula).length > 0) return false;
  let iComponents = 0;
  for (const slot of spec.slots) {
    if (slot.dim >= CHUNK_MIN_DIM) return false;
    if (slot.cat === 'i') iComponents += slot.dim;
  }
  return iComponents <= ROW_SIMD_MAX_I_COMPONENTS;
}

/** What the row-vectorised path needs from the kernel being generated. */
export interface RowTileCtx {
  buf: CodeBuffer;
  spec: KernelSpec;
  /** The chunk's row states: arrays `S_<name>[q]` for these names. */
  rows: AccState;
  /** Declares the i-variables' locals of chunk row `q` (read by `load`). */
  rowLocals: () => void;
  /** Expression of component k of slot s at in-block offset `t`, inside the loop over rows. */
  load: (s: number, k: number, t: string) => string;
}

/**
 * Emits the row-vectorised reduction of the columns j = o + t, t in [t0, t1), into the row states
 * of the chunk's rows q in [0, it.i1 - it.i0) (see ROW_SIMD_MAX_COLS).
 */
export function emitRowTile(ctx: RowTileCtx): void {
  const { buf, spec, rows } = ctx;
  const r = spec.reduction;
  const red = reductionDef(r.kind);
  const tile: AccState = { f: rows.f.map((n) => `r${n}`), i: rows.i.map((n) => `r${n}`) };
  const arrays = (st: AccState) => ({ f: st.f.map((n) => `S_${n}[q]`), i: st.i.map((n) => `S_${n}[q]`) });
  const declare = (st: AccState, from: AccState) => {
    st.f.forEach((n, k) => buf.stmt(`A ${n} = ${from.f[k]};`));
    st.i.forEach((n, k) => buf.stmt(`int32_t ${n} = ${from.i[k]};`));
  };
  const assign = (to: AccState, st: AccState) => {
    st.f.forEach((n, k) => buf.stmt(`${to.f[k]} = ${n};`));
    st.i.forEach((n, k) => buf.stmt(`${to.i[k]} = ${n};`));
  };
  for (const n of tile.f) buf.stmt(`A S_${n}[RB];`);
  for (const n of tile.i) buf.stmt(`int32_t S_${n}[RB];`);
  buf.stmt('const int64_t nq = it.i1 - it.i0;');
  buf.stmt('#pragma omp simd');
  buf.block('for (int64_t q = 0; q < nq; q++)', () => red.init(buf, r, arrays(tile)));
  const value = () => formulaValue(buf, spec, (s, k) => ctx.load(s, k, 't'));
  // The hot loop keeps only strict improvements (`v < best`: the first index of the best value,
  // NaN never winning). Without the accumulate's clause for the identity (an index of -1 takes a
  // value equal to the worst, +inf for Min), it is one comparison per pair.
  const better = red.best!;
  buf.block('for (int t = t0; t < t1; t++)', () => {
    buf.stmt('#pragma omp simd');
    buf.block('for (int64_t q = 0; q < nq; q++)', () => {
      ctx.rowLocals();
      declare(tile, arrays(tile));
      const v = value();
      for (let c = 0; c < r.dimF; c++) {
        const x = buf.let(v[c]!);
        const set = tile.i.length > 0 ? ` ${tile.i[c]} = (o + t);` : '';
        buf.stmt(`if (${x} ${better} ${tile.f[c]}) { ${tile.f[c]} = ${x};${set} }`);
      }
      assign(arrays(tile), tile);
    });
  });
  // Rows whose tile found nothing strictly better than the worst value (every value NaN or the
  // worst itself, for some component) redo the tile with the full accumulate: the same state as
  // the scalar monoid, e.g. the first +inf for Min.
  if (tile.i.length > 0) {
    buf.block('for (int64_t q = 0; q < nq; q++)', () => {
      buf.block(`if (${tile.i.map((n) => `S_${n}[q] < 0`).join(' || ')})`, () => {
        ctx.rowLocals();
        declare(tile, arrays(tile));
        red.init(buf, r, tile);
        buf.block('for (int t = t0; t < t1; t++)', () => red.accumulate(buf, r, tile, value(), '(o + t)'));
        assign(arrays(tile), tile);
      });
    });
  }
  buf.stmt('#pragma omp simd');
  buf.block('for (int64_t q = 0; q < nq; q++)', () => {
    declare(rows, arrays(rows));
    declare(tile, arrays(tile));
    red.merge(buf, r, rows, tile);
    assign(arrays(rows), rows);
  });
}
