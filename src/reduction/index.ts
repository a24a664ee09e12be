import { LazyTensorError } from '../errors.js';
import { argReductions } from './argmin.js';
import { kminReductions } from './kmin.js';
import { logsumexpReductions } from './logsumexp.js';
import { sumReduction } from './sum.js';
import type { ReductionDef, ReductionKind } from './types.js';

export * from './types.js';

const all: ReductionDef[] = [sumReduction, ...logsumexpReductions, ...argReductions, ...kminReductions];
const table = new Map<ReductionKind, ReductionDef>(all.map((r) => [r.kind, r]));

/** The monoid of a reduction kind. */
export function reductionDef(kind: ReductionKind): ReductionDef {
  const d = table.get(kind);
  if (!d) throw new LazyTensorError(`unknown reduction '${kind}'`);
  return d;
}

/** All reduction names. */
export const REDUCTION_KINDS: readonly ReductionKind[] = all.map((r) => r.kind);

/** True for reductions that take a weight G (value = Concat(F, G)). */
export function isWeighted(kind: ReductionKind): boolean {
  return reductionDef(kind).weighted;
}

/** The kinds with a trait, e.g. `kindsWhere((d) => d.usesK)` (for messages). */
export function kindsWhere(pred: (d: ReductionDef) => boolean): ReductionKind[] {
  return all.filter(pred).map((d) => d.kind);
}
