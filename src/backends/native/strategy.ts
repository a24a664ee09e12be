import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { C_LOOP, CHUNK_MIN_DIM, CHUNK_UNROLL, emitWithChunks, type LoopSyntax } from '../common/loops.js';

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
  return formulaValue(
    ctx.buf,
    ctx.spec,
    (s, k) => ctx.load(s, k, t),
    (s, k) => ctx.loadAt(s, k, t),
    ctx.pre?.(t),
  );
}

/**
 * The formula's value at one pair, as every native path computes it (the tiles here, the
 * row-vectorised path of rowTile.ts and mixedRank.ts, whose results must be the same bit for bit):
 * `load(s, k)` reads component k of slot s, `loadAt(s, k)` at a run-time component index (component
 * loops of large vector sums), `pre` maps node uids to vector reductions already computed.
 */
export function formulaValue(
  buf: CodeBuffer,
  spec: KernelSpec,
  load: (s: number, k: number) => string,
  loadAt: (s: number, k: string) => string = () => 'internal: no component loops here',
  pre?: ReadonlyMap<number, string>,
): string[] {
  return emitWithChunks(
    buf,
    spec.formula,
    spec.slots.length,
    { load, loadAt },
    CHUNK_MIN_DIM,
    CHUNK_UNROLL,
    NATIVE_LOOP,
    pre,
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

function loadLane(buf: CodeBuffer, acc: AccState, local: AccState): void {
  acc.f.forEach((n, k) => buf.stmt(`A ${local.f[k]} = L_${n}[l];`));
  acc.i.forEach((n, k) => buf.stmt(`int32_t ${local.i[k]} = L_${n}[l];`));
}

function storeLane(buf: CodeBuffer, acc: AccState, local: AccState): void {
  acc.f.forEach((n, k) => buf.stmt(`L_${n}[l] = ${local.f[k]};`));
  acc.i.forEach((n, k) => buf.stmt(`L_${n}[l] = ${local.i[k]};`));
}
