import { check } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import type { RunArgs } from '../types.js';

/**
 * Checks a native run before any pointer reaches C++ (which trusts every size): sizes, arrays
 * (dtype, at least the lengths the kernel reads) and ranges. The ranges rules are the JS
 * backend's (src/backends/js/validate.ts): slices non-decreasing and within colRanges, column
 * intervals within [0, nJ]. Throws LazyTensorError.
 */
export function validateNativeRun(spec: KernelSpec, args: RunArgs): void {
  const { inputs, nI, nJ, out, outIdx, ranges } = args;
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  check(
    Number.isInteger(nI) && nI >= 0 && nI < 2 ** 31,
    () => `nI must be an integer in [0, 2^31), got ${nI}`,
  );
  check(
    Number.isInteger(nJ) && nJ >= 0 && nJ < 2 ** 31,
    () => `nJ must be an integer in [0, 2^31), got ${nJ}`,
  );
  check(
    inputs.length === spec.slots.length,
    () => `expected ${spec.slots.length} input arrays, got ${inputs.length}`,
  );
  spec.slots.forEach((slot, s) => {
    const a = inputs[s];
    check(
      a instanceof F,
      () => `input ${s} must be a ${F.name} (kernel dtype ${spec.dtype}), got ${a?.constructor.name}`,
    );
    const need = slot.cat === 'i' ? nI * slot.dim : slot.cat === 'j' ? nJ * slot.dim : slot.dim;
    check(
      a.length >= need,
      () => `input ${s} (${slot.cat}, dim ${slot.dim}) needs ${need} values, got ${a.length}`,
    );
  });
  if (spec.outDim > 0) {
    check(out instanceof F, () => `out must be a ${F.name}, got ${out?.constructor.name}`);
    check(out.length >= nI * spec.outDim, () => `out needs ${nI * spec.outDim} values, got ${out.length}`);
  }
  if (spec.outIdxDim > 0) {
    check(
      outIdx instanceof Int32Array,
      () => `outIdx must be an Int32Array, got ${outIdx?.constructor.name}`,
    );
    check(
      outIdx.length >= nI * spec.outIdxDim,
      () => `outIdx needs ${nI * spec.outIdxDim} values, got ${outIdx.length}`,
    );
  }
  if (!ranges) return;
  const { rowRanges: rr, slices: sl, colRanges: cr } = ranges;
  check(
    rr instanceof Int32Array && sl instanceof Int32Array && cr instanceof Int32Array,
    'ranges must be three Int32Arrays',
  );
  const nb = sl.length;
  check(rr.length >= 2 * nb, () => `rowRanges needs ${2 * nb} values for ${nb} blocks, got ${rr.length}`);
  const nr = Math.floor(cr.length / 2);
  let prev = 0;
  for (let b = 0; b < nb; b++) {
    const s = sl[b]!;
    check(
      s >= prev && s <= nr,
      () =>
        `ranges: slices must be non-decreasing and within [0, ${nr}] (the column intervals given), got ${s} at block ${b}` +
        (b > 0 ? ` after ${prev}` : ''),
    );
    prev = s;
  }
  for (let r = 0; r < nr; r++) {
    const a = cr[2 * r]!;
    const e = cr[2 * r + 1]!;
    check(
      a >= 0 && a <= e && e <= nJ,
      () => `ranges: column interval ${r} is [${a}, ${e}), expected 0 <= start <= end <= ${nJ}`,
    );
  }
}
