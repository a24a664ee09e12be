import type { KernelSpec } from '../../kernel/spec.js';
import { reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { dynamicSlots } from '../common/loops.js';
import { blocking } from './blocking.js';
import { cppDialect } from './dialect.js';
import { orderExpansion, selectionSpec } from './expand.js';
import { gemmSites } from './gemm.js';
import { emitGroupSums, groupSumsParams } from './groupSums.js';
import { type KernelCtx, viaPointer } from './kernelCtx.js';
import { emitMixedColumns, emitMixedRows, mixedRanking } from './mixedRank.js';
import { emitChunkStates, emitOutputs, finalizeRow } from './rowStates.js';
import { rowVectorised } from './rowTile.js';
import { emitSoa, jColumns } from './soa.js';
import { NativeBuffer } from './sumtree.js';
import { emitTileWalk } from './tileWalk.js';

/**
 * One kernel is one `extern "C"` function:
 *
 *   int <symbol>(const T* in0, ..., const T* inS, int64_t nI, int64_t nJ, T* out, int32_t* outIdx,
 *                const int32_t* rowRanges, const int32_t* slices, const int32_t* colRanges,
 *                int64_t nBlocks, int32_t threads)
 *
 * (outputs null when absent; with group sums (groupSums.ts) three more parameters follow
 * `threads`: the values, the weights (null when unweighted) and the sums; nBlocks -1 for a dense reduction, else the number of row blocks, the
 * range pointers then being valid; returns 0, or -1 when memory ran out).
 *
 * The j-side is copied once per call into a tile-blocked structure-of-arrays buffer (soa.ts): one
 * base pointer plus compile-time offsets reach every component, so even 50-dimensional data
 * vectorise without running out of registers. Rows are split into chunks run in parallel; each
 * chunk walks the blocks and, per row, runs the vectorised tile body of its strategy
 * (tileWalk.ts). Vector reductions over a large dimension that pair an i- and a j-variable
 * (squared distances, scalar products) are computed first, for GEMM_ROWS rows at a time, by the
 * register-tiled micro-kernel of gemm.ts; the strategy then reads their values. Nearest-neighbour
 * selections of a float64 squared distance at D <= 16 (Min, ArgMin, Min_ArgMin) rank the columns
 * in float32 first and certify each row (mixedRank.ts), falling back to these loops per row or
 * per call.
 */

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
      `int32_t* __restrict outIdx, const int32_t* rr, const int32_t* sl, const int32_t* cr, int64_t nb, int32_t threads${groupSumsParams(spec)}) {`,
  );
  buf.stmt(`typedef ${T} T;`);
  buf.stmt(`typedef ${d.accType} A;`);
  buf.stmt(`const int TILE = ${tile};`);
  buf.stmt(`const int64_t RB = ${rows};`);
  buf.stmt('(void)out; (void)outIdx; (void)TILE;');
  emitSoa(buf, spec, expansion);
  // Nearest-neighbour selections at small D: float32 ranking, certified (mixedRank.ts).
  const mixed = mixedRanking(spec);
  if (mixed) emitMixedColumns(buf, mixed);
  const freeAll = mixed ? 'free(soa); free(mrY); free(mrYD);' : 'free(soa);';
  const dyn = dynamicSlots(spec.formula);
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'p' || viaPointer(spec, dyn, s)) return;
    for (let k = 0; k < slot.dim; k++) buf.stmt(`const T P${s}_${k} = in${s}[${k}];`);
  });
  buf.stmt('int64_t chunk = nI / ((int64_t)(threads > 0 ? threads : 1) * 8);');
  // Work items of the mixed ranking hold up to MRROWS rows (at least a register block of them),
  // the others up to RB.
  buf.stmt(`const int64_t RBI = ${mixed ? 'mrOk ? MRROWS : RB' : 'RB'};`);
  buf.stmt('chunk = chunk < 1 ? 1 : chunk > RBI ? RBI : chunk;');
  if (mixed) buf.stmt(`if (mrOk && chunk < ${16 * mixed.nv}) chunk = ${16 * mixed.nv};`);
  buf.stmt('lt::Plan plan;');
  buf.block('if (!lt::plan(&plan, nI, nJ, rr, sl, cr, nb, chunk))', () => {
    buf.stmt(freeAll);
    buf.stmt('return -1;');
  });
  buf.stmt('lt::parallel_for(plan.n, threads, [&](int64_t w) {');
  buf.stmt('const lt::Item it = plan.items[w];');
  // Local copies: through the lambda's by-reference captures the vectoriser would see possibly
  // aliased pointers and fall back to gathers.
  emitLocals(buf, spec, dyn);
  // Per-row states of the chunk, kept in arrays between tiles.
  const names = red.stateSize(sel.reduction);
  const ctx: KernelCtx = {
    buf,
    spec,
    sel,
    red,
    expansion,
    dyn,
    tile,
    cols: jColumns(spec),
    gemm: gemmSites(spec),
    states: {
      f: Array.from({ length: names.f }, (_, k) => `af${k}`),
      i: Array.from({ length: names.i }, (_, k) => `ai${k}`),
    },
    byRows: rowVectorised(spec),
    iComponents: spec.slots.flatMap((slot, s) =>
      slot.cat === 'i' ? Array.from({ length: slot.dim }, (_, k) => ({ s, k, dim: slot.dim })) : [],
    ),
  };
  const direct = () => {
    emitChunkStates(ctx);
    emitTileWalk(ctx);
    emitOutputs(ctx);
  };
  if (mixed) {
    buf.block('if (mrOk)', () => emitMixedRows(ctx, mixed, (acc) => finalizeRow(ctx, acc)));
    buf.block('else', direct);
  } else direct();
  buf.stmt('});');
  buf.stmt('free(plan.items);');
  buf.stmt(freeAll);
  emitGroupSums(buf, spec);
  buf.stmt('return 0;');
  buf.stmt('}');
  return buf.toString();
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
