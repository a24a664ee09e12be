import { type OutputSplit, type ReductionShape, reductionDef } from '../../reduction/index.js';
import type { KernelSpec } from '../spec.js';

/**
 * Output splitting for reductions whose state is too large for registers (a Sum of a 300-wide
 * vector, a softmax weight of width 300): the kernel reduces the output `chunk` components at a
 * time, each pass a full loop over j with a narrower ReductionShape. How a kind splits is its
 * `split` trait (src/reduction); this pass only decides when to split.
 */
export type PassPlan = OutputSplit;

/** Largest state a pass keeps in registers, in 32-bit words (a double takes two), before the output is split. */
export const MAX_PASS_WORDS = 64;

/** State words of a shape. */
export function stateOf(shape: ReductionShape): { f: number; i: number } {
  return reductionDef(shape.kind).stateSize(shape);
}

/** The output split of a spec, or undefined when its state fits in `maxWords` registers. */
export function planPasses(spec: KernelSpec, maxWords = MAX_PASS_WORDS): PassPlan | undefined {
  const r = spec.reduction;
  const full = stateOf(r);
  // Budget in scalars: float state in the accumulator type, int state one word each (approximately).
  const wide = spec.dtype === 'float64' || r.accumulator === 'float64';
  const maxState = wide ? Math.floor(maxWords / 2) : maxWords;
  if (full.f + full.i <= maxState) return undefined;
  return reductionDef(r.kind).split(r, maxState);
}
