import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import {
  C_LOOP,
  CHUNK_MIN_DIM,
  CHUNK_UNROLL,
  emitWithChunks,
  findChunkSites,
  type LoopSyntax,
} from '../common/loops.js';

/** Loops over components: 8 partial sums per lane, so the adds of one lane do not wait on each other. */
const NATIVE_LOOP: LoopSyntax = { ...C_LOOP, partials: 8 };

/**
 * How the inner loop over one j-tile [jt, jE) of one row is written so that the compiler
 * vectorises it. Every strategy evaluates the formula in a `#pragma omp simd` loop and folds
 * partial results into the row's state with the reduction's own `accumulate` / `merge` code
 * (src/reduction is the single source of truth of the monoids):
 * - `sum`: plain sums; the accumulate (`acc += v`) runs inside the SIMD loop as an OpenMP
 *   reduction (one lane-private accumulator per SIMD lane).
 * - `lse`: log-sum-exp family; pass 1 stores F (and the weights) in a tile buffer and takes the
 *   tile maximum, pass 2 sums exp(F - max)·w; the tile's (max, sums) state is folded in with merge.
 * - `select`: min/max/arg/K-min. Min/Max and arg forms (a `best` comparison): SIMD min/max over
 *   the tile, then the first index of the best by a second SIMD pass, folded in with merge. K-min:
 *   values go to a tile buffer, a SIMD pass tests 16 values at a time against the state's current
 *   threshold, and only blocks with a candidate run the scalar accumulate.
 * - `lanes`: anything else (Kahan sums): 16 lane-private states updated by the scalar accumulate
 *   inside a SIMD loop over lanes, merged into the row state after the tile.
 */
export type Strategy = 'sum' | 'lse' | 'select' | 'lanes';

/** The strategy of a spec's reduction, from its traits (src/reduction). */
export function strategyOf(spec: KernelSpec): Strategy {
  const r = spec.reduction;
  const def = reductionDef(r.kind);
  if (def.plainSum?.(r)) return 'sum';
  if (def.expSums) return 'lse';
  if (def.threshold) return 'select';
  return 'lanes';
}

/** Number of formula components a strategy keeps in tile buffers (0: none). */
export function bufferedComponents(spec: KernelSpec): number {
  const s = strategyOf(spec);
  if (s === 'lse') return 1 + spec.reduction.dimG;
  if (s === 'select') return spec.reduction.dimF;
  return 0;
}

/** What a strategy needs from the kernel being generated. */
export interface TileCtx {
  buf: CodeBuffer;
  spec: KernelSpec;
  /** The row's reduction state (scalar locals). */
  acc: AccState;
  /** Expression of component k of slot s at in-block offset `t` (a C++ int expression). */
  load: (s: number, k: number, t: string) => string;
  /** The same at a run-time component index `k` (a C++ int expression; slots of `dynamicSlots`). */
  loadAt: (s: number, k: string, t: string) => string;
  /** Vector reductions already computed (the GEMM path): node uid -> its value at offset `t`. */
  pre?: (t: string) => ReadonlyMap<number, string>;
}

/**
 * Emits the statements that reduce the columns j = o + t, t in [t0, t1), of the current row into
 * `ctx.acc` (o: first column of the j-block, t0/t1: C++ ints; buffers are indexed by t < TILE).
 */
export function emitTile(ctx: TileCtx): void {
  const s = strategyOf(ctx.spec);
  if (s === 'sum') emitSum(ctx);
  else if (s === 'lse') emitLse(ctx);
  else if (s === 'select') emitSelect(ctx);
  else emitLanes(ctx);
}

function value(ctx: TileCtx, t: string): string[] {
  // Large vector sums become loops over components (src/backends/common/loops.ts): inside the SIMD
  // loop over t, each lane walks the components of its own column (outer-loop vectorisation).
  return emitWithChunks(
    ctx.buf,
    ctx.spec.formula,
    ctx.spec.slots.length,
    {
      load: (s, k) => ctx.load(s, k, t),
      loadAt: (s, k) => ctx.loadAt(s, k, t),
    },
    CHUNK_MIN_DIM,
    CHUNK_UNROLL,
    NATIVE_LOOP,
    ctx.pre?.(t),
  );
}

function emitSum(ctx: TileCtx): void {
  const { buf, spec, acc } = ctx;
  const red = reductionDef(spec.reduction.kind);
  buf.stmt(`#pragma omp simd reduction(+: ${acc.f.join(', ')})`);
  buf.block('for (int t = t0; t < t1; t++)', () => {
    red.accumulate(buf, spec.reduction, acc, value(ctx, 't'), '(o + t)');
  });
}

function emitLse(ctx: TileCtx): void {
  const { buf, spec, acc } = ctx;
  const r = spec.reduction;
  const d = buf.d;
  const nv = bufferedComponents(spec);
  const V = (c: number) => `V${c}`;
  for (let c = 0; c < nv; c++) buf.stmt(`alignas(64) T ${V(c)}[TILE];`);
  buf.stmt(`T tm = ${d.lit(Number.NEGATIVE_INFINITY)};`);
  buf.stmt('#pragma omp simd reduction(max: tm)');
  buf.block('for (int t = t0; t < t1; t++)', () => {
    const v = value(ctx, 't');
    buf.stmt(`${V(0)}[t] = ${v[0]};`);
    for (let c = 1; c < nv; c++) buf.stmt(`${V(c)}[t] = ${v[r.dimF + c - 1]};`);
    buf.stmt(`tm = ${V(0)}[t] > tm ? ${V(0)}[t] : tm;`);
  });
  // The tile's own state (max, sums) in the layout of src/reduction/logsumexp.ts: s_c sums
  // exp(F - max) times the weights 1 (LogSumExp), G (LogSumExpWeight) or [1, G] (SumSoftMaxWeight).
  const weights: string[] = reductionDef(r.kind).expSums!(r).map((w) =>
    w === 'one' ? '' : ` * ${V(1 + w)}[t]`,
  );
  const sums = weights.map((_, k) => `ts${k}`);
  // A +inf maximum would give exp(inf - inf) = NaN: such (rare) tiles take the scalar monoid path.
  buf.block(`if (tm == ${d.lit(Number.POSITIVE_INFINITY)})`, () => {
    buf.block('for (int t = t0; t < t1; t++)', () => {
      const v = Array.from({ length: nv }, (_, c) => `${V(c)}[t]`);
      reductionDef(r.kind).accumulate(buf, r, acc, v, '(o + t)');
    });
  });
  buf.block(`else if (tm > ${d.lit(Number.NEGATIVE_INFINITY)})`, () => {
    for (const s of sums) buf.stmt(d.declAcc(s, d.lit(0)));
    buf.stmt(`#pragma omp simd reduction(+: ${sums.join(', ')})`);
    buf.block('for (int t = t0; t < t1; t++)', () => {
      // As in the monoid, an F of -inf or NaN contributes nothing, whatever its weight.
      buf.stmt(`const bool ok = ${V(0)}[t] > ${d.lit(Number.NEGATIVE_INFINITY)};`);
      buf.stmt(`const T e = ${d.call('exp', [`${V(0)}[t] - tm`])};`);
      weights.forEach((w, k) => buf.stmt(`${sums[k]} += ok ? e${w} : ${d.lit(0)};`));
    });
    buf.stmt(d.declAcc('tmA', 'tm'));
    reductionDef(r.kind).merge(buf, r, acc, { f: ['tmA', ...sums], i: [] });
  });
}

/** Per value component: the state slot a candidate must beat, and the comparison that admits it. */
function thresholds(spec: KernelSpec, acc: AccState): { slot: string; cmp: '<=' | '>=' }[] {
  const r = spec.reduction;
  const def = reductionDef(r.kind);
  return Array.from({ length: r.dimF }, (_, c) => def.threshold!(r, acc, c));
}

/**
 * Min/Max and their arg forms (reductions with a `best` comparison): per component, the tile's
 * best value by a SIMD min/max reduction and, for arg forms and only when it can change the row's
 * state (the threshold test), the first index holding it by a second SIMD pass over the tile
 * buffer. The tile state (value, index or -1) is folded in with the reduction's `merge`, so ties go
 * to the lowest index and NaN never wins, as in the scalar accumulate, without its branches.
 */
function emitSelectBest(ctx: TileCtx, better: '<' | '>'): void {
  const { buf, spec, acc } = ctx;
  const r = spec.reduction;
  const d = buf.d;
  const indices = acc.i.length > 0;
  const comps = Array.from({ length: r.dimF }, (_, c) => c);
  const worst = d.lit(better === '<' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
  if (indices) for (const c of comps) buf.stmt(`alignas(64) T V${c}[TILE];`);
  for (const c of comps) buf.stmt(`T tb${c} = ${worst};`);
  buf.stmt(
    `#pragma omp simd reduction(${better === '<' ? 'min' : 'max'}: ${comps.map((c) => `tb${c}`).join(', ')})`,
  );
  buf.block('for (int t = t0; t < t1; t++)', () => {
    const v = value(ctx, 't');
    for (const c of comps) {
      buf.stmt(`const T v${c} = ${v[c]};`);
      if (indices) buf.stmt(`V${c}[t] = v${c};`);
      // NaN compares false: it never replaces a lane's best (which starts at the worst value).
      buf.stmt(`tb${c} = v${c} ${better} tb${c} ? v${c} : tb${c};`);
    }
  });
  if (!indices) {
    reductionDef(r.kind).merge(buf, r, acc, { f: comps.map((c) => `tb${c}`), i: [] });
    return;
  }
  const th = thresholds(spec, acc);
  for (const c of comps) {
    buf.stmt(`int32_t ti${c} = -1;`);
    buf.stmt(`T tv${c} = tb${c};`);
    buf.block(`if (tb${c} ${th[c]!.cmp} ${th[c]!.slot})`, () => {
      buf.stmt('int u0 = t1;');
      buf.stmt('#pragma omp simd reduction(min: u0)');
      buf.block('for (int u = t0; u < t1; u++)', () => {
        buf.stmt(`const int w = V${c}[u] == tb${c} ? u : t1;`);
        buf.stmt('u0 = w < u0 ? w : u0;');
      });
      // The value at that index (not the reduction's): -0 and +0 compare equal.
      buf.block('if (u0 < t1)', () => {
        buf.stmt(`ti${c} = (int32_t)(o + u0);`);
        buf.stmt(`tv${c} = V${c}[u0];`);
      });
    });
  }
  reductionDef(r.kind).merge(buf, r, acc, {
    f: comps.map((c) => `tv${c}`),
    i: comps.map((c) => `ti${c}`),
  });
}

function emitSelect(ctx: TileCtx): void {
  const { buf, spec, acc } = ctx;
  const r = spec.reduction;
  const best = reductionDef(r.kind).best;
  if (best) {
    emitSelectBest(ctx, best);
    return;
  }
  const V = (c: number) => `V${c}`;
  for (let c = 0; c < r.dimF; c++) buf.stmt(`alignas(64) T ${V(c)}[TILE];`);
  buf.stmt('#pragma omp simd');
  buf.block('for (int t = t0; t < t1; t++)', () => {
    const v = value(ctx, 't');
    for (let c = 0; c < r.dimF; c++) buf.stmt(`${V(c)}[t] = ${v[c]};`);
  });
  const th = thresholds(spec, acc);
  buf.block('for (int c0 = t0; c0 < t1; c0 += 16)', () => {
    buf.stmt('const int c1 = t1 - c0 < 16 ? t1 : c0 + 16;');
    th.forEach((h, c) => buf.stmt(`const A th${c} = ${h.slot};`));
    buf.stmt('int hit = 0;');
    buf.stmt('#pragma omp simd reduction(|: hit)');
    buf.block('for (int t = c0; t < c1; t++)', () => {
      buf.stmt(`hit |= ${th.map((h, c) => `(${V(c)}[t] ${h.cmp} th${c})`).join(' | ')};`);
    });
    buf.block('if (hit)', () => {
      buf.block('for (int t = c0; t < c1; t++)', () => {
        const v = Array.from({ length: r.dimF }, (_, c) => `${V(c)}[t]`);
        reductionDef(r.kind).accumulate(buf, r, acc, v, '(o + t)');
      });
    });
  });
}

function emitLanes(ctx: TileCtx): void {
  const { buf, spec, acc } = ctx;
  const r = spec.reduction;
  const red = reductionDef(r.kind);
  const lane: AccState = { f: acc.f.map((n) => `L_${n}[l]`), i: acc.i.map((n) => `L_${n}[l]`) };
  const local: AccState = { f: acc.f.map((n) => `b_${n}`), i: acc.i.map((n) => `b_${n}`) };
  for (const n of acc.f) buf.stmt(`A L_${n}[16];`);
  for (const n of acc.i) buf.stmt(`int32_t L_${n}[16];`);
  buf.block('for (int l = 0; l < 16; l++)', () => red.init(buf, r, lane));
  buf.stmt('int u = t0;');
  buf.block('for (; u + 16 <= t1; u += 16)', () => {
    buf.stmt('#pragma omp simd');
    buf.block('for (int l = 0; l < 16; l++)', () => {
      buf.stmt('const int t = u + l;');
      loadLane(buf, acc, local);
      red.accumulate(buf, r, local, value(ctx, 't'), '(o + t)');
      storeLane(buf, acc, local);
    });
  });
  buf.block('for (int l = 0; l < 16; l++)', () => {
    loadLane(buf, acc, local);
    red.merge(buf, r, acc, local);
  });
  buf.block('for (int t = u; t < t1; t++)', () => {
    red.accumulate(buf, r, acc, value(ctx, 't'), '(o + t)');
  });
}

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

/**
 * The formula's value at one pair, emitted as the row-vectorised path computes it (also
 * mixedRank.ts, whose results must be the same bit for bit); `load(s, k)` reads component k of
 * slot s. No component loops (the row-vectorised path has none).
 */
export function formulaValue(
  buf: CodeBuffer,
  spec: KernelSpec,
  load: (s: number, k: number) => string,
): string[] {
  return emitWithChunks(
    buf,
    spec.formula,
    spec.slots.length,
    { load, loadAt: () => 'internal: no component loops here' },
    CHUNK_MIN_DIM,
    CHUNK_UNROLL,
    NATIVE_LOOP,
  );
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

function loadLane(buf: CodeBuffer, acc: AccState, local: AccState): void {
  acc.f.forEach((n, k) => buf.stmt(`A ${local.f[k]} = L_${n}[l];`));
  acc.i.forEach((n, k) => buf.stmt(`int32_t ${local.i[k]} = L_${n}[l];`));
}

function storeLane(buf: CodeBuffer, acc: AccState, local: AccState): void {
  acc.f.forEach((n, k) => buf.stmt(`L_${n}[l] = ${local.f[k]};`));
  acc.i.forEach((n, k) => buf.stmt(`L_${n}[l] = ${local.i[k]};`));
}
