import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { declareState } from '../common/state.js';
import { emitCertifiedRow } from './expand.js';
import type { KernelCtx } from './kernelCtx.js';

/**
 * The per-row reduction states of a work item: declared as arrays of the chunk and initialised,
 * loaded into and stored from the locals of one row, and finalised into the outputs.
 */

/** Declares the chunk's row states (and the arrays its rows' i-data and norms need) and initialises them. */
export function emitChunkStates(ctx: KernelCtx): void {
  const { buf, sel, red, expansion, states, byRows, iComponents } = ctx;
  for (const n of states.f) buf.stmt(`A S_${n}[RB];`);
  for (const n of states.i) buf.stmt(`int32_t S_${n}[RB];`);
  // The row-vectorised path of narrow tiles reads the chunk's i-variables from arrays.
  if (byRows) for (const { s, k } of iComponents) buf.stmt(`alignas(64) T XS${s}_${k}[RB];`);
  // Expanded kernels: |x_i|^2 of the chunk's rows, once per row.
  if (expansion) buf.stmt('alignas(64) T NX[RB];');
  buf.block('for (int64_t i = it.i0; i < it.i1; i++)', () => {
    buf.stmt('const int64_t q = i - it.i0;');
    const acc = declareState(buf, sel, 'a');
    red.init(buf, sel.reduction, acc);
    storeStates(buf, acc);
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
}

/** Writes row i's outputs (`O`, `OI`) from a state of the spec's reduction. */
export function finalizeRow(ctx: KernelCtx, acc: AccState): void {
  const { buf, spec } = ctx;
  reductionDef(spec.reduction.kind).finalize(
    buf,
    spec.reduction,
    acc,
    (k) => `O[i * ${spec.outDim} + ${k}]`,
    (k) => `OI[i * ${spec.outIdxDim} + ${k}]`,
  );
}

/** Writes each row's outputs from its state (an expanded kernel's: from its certified candidates). */
export function emitOutputs(ctx: KernelCtx): void {
  const { buf, spec, expansion, states, gemm, cols } = ctx;
  const finalize = (acc: AccState) => finalizeRow(ctx, acc);
  if (expansion) emitMonotone(buf);
  buf.block('for (int64_t i = it.i0; i < it.i1; i++)', () => {
    buf.stmt('const int64_t q = i - it.i0;');
    if (expansion)
      emitCertifiedRow({
        buf,
        spec,
        e: expansion,
        scalar: gemm[expansion.site]!.scalar,
        candidates: states,
        yColumn: cols.get(expansion.ySlot)!,
        finalize,
      });
    else finalize(loadStates(buf, states));
  });
}

/** Declares row q's state locals, loaded from the chunk's arrays. */
export function loadStates(buf: CodeBuffer, states: AccState): AccState {
  for (const n of states.f) buf.stmt(`A ${n} = S_${n}[q];`);
  for (const n of states.i) buf.stmt(`int32_t ${n} = S_${n}[q];`);
  return { f: states.f, i: states.i };
}

/** Stores row q's state locals into the chunk's arrays. */
export function storeStates(buf: CodeBuffer, acc: AccState): void {
  for (const n of acc.f) buf.stmt(`S_${n}[q] = ${n};`);
  for (const n of acc.i) buf.stmt(`S_${n}[q] = ${n};`);
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
