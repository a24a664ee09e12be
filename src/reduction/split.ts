import type { OutputSplit, ReductionShape } from './types.js';

/** `c0 + k` as an expression (folded when c0 is a number). */
export function plus(c0: string, k: number): string {
  if (/^\d+$/.test(c0)) return String(Number(c0) + k);
  return k === 0 ? c0 : `${c0} + ${k}`;
}

/**
 * The split of a reduction whose components of F are independent and whose output k is component
 * k (Sum, Min, Max and their arg forms): `perComponent` scalars of state per component.
 */
export function splitByComponent(r: ReductionShape, maxState: number, perComponent: number): OutputSplit {
  return {
    fixed: [],
    offset: 0,
    width: r.dimF,
    chunk: Math.max(1, Math.floor(maxState / perComponent)),
    shape: (n) => ({ ...r, dimF: n }),
    outIndex: (k, _n, c0) => plus(c0, k),
    compOf: (k) => k,
  };
}
