import { check, LazyTensorError } from '../errors.js';
import {
  type Cat,
  canonicalKey,
  isVar,
  mapDag,
  type Node,
  topoOrder,
  varCat,
  varIndex,
  variablesOf,
} from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { Var } from '../formula/ops/leaves.js';
import { checkLimit, MAX_K, MAX_KERNEL_SCALARS } from '../limits.js';
import type { DType } from '../ndarray.js';
import {
  type AccumulatorKind,
  type ReductionKind,
  type ReductionShape,
  reductionDef,
} from '../reduction/index.js';

/** One input slot of a kernel: its category and dimension. Slot k is `Var(k, dim, cat)` in the formula. */
export interface SlotSpec {
  cat: Cat;
  dim: number;
}

/**
 * Everything static about one reduction, nothing about sizes or values. Always a reduction over
 * j: a reduction over i is normalised by swapping the roles of i and j (`transposed`).
 */
export interface KernelSpec {
  /** Canonical, process-independent cache key (backends append their target). */
  readonly key: string;
  /** The value reduced per pair: F, or Concat(F, G) for weighted reductions. Vars are slots. */
  readonly formula: Node;
  readonly reduction: ReductionShape;
  readonly slots: readonly SlotSpec[];
  readonly dtype: DType;
  /** Floats and int32s per output row. */
  readonly outDim: number;
  readonly outIdxDim: number;
  /** True when the user reduced over i (i and j swapped in this spec). */
  readonly transposed: boolean;
  /**
   * Arg reductions only: the kernel also sums, per selected column, the rows' values of this
   * dimension (and weights when `weighted`) after its row loop (reduction/groupSums.ts).
   */
  readonly groupSums?: GroupSumsSpec;
}

/** The static part of a `groupSums` request: the values' dimension and whether rows are weighted. */
export interface GroupSumsSpec {
  readonly dim: number;
  readonly weighted: boolean;
}

/** The kinds that accept `groupSums`: one index per row. */
export const GROUP_SUM_KINDS: readonly ReductionKind[] = ['ArgMin', 'ArgMax', 'Min_ArgMin', 'Max_ArgMax'];

/**
 * One reduction as the user layers ask for it (LazyTensor, genred, gradients): the fields every
 * request record shares. The formula and weight have arbitrary variable indices.
 */
export interface ReductionRequest {
  formula: Node;
  weight?: Node;
  kind: ReductionKind;
  /** K of the K-min kinds (ignored by the others). */
  k?: number;
  axis: 'i' | 'j';
}

/** What the user layer asks for: a request plus the dtype and accumulator of the kernel. */
export interface SpecRequest extends ReductionRequest {
  dtype: DType;
  accumulator?: AccumulatorKind;
  groupSums?: GroupSumsSpec;
}

/** Validates a `groupSums` request against its reduction (an arg reduction over j). */
function checkGroupSumsSpec(g: GroupSumsSpec, kind: ReductionKind, axis: 'i' | 'j'): void {
  check(
    GROUP_SUM_KINDS.includes(kind),
    () => `groupSums needs an arg reduction (${GROUP_SUM_KINDS.join(', ')}), got ${kind}`,
  );
  check(axis === 'j', () => `groupSums needs a reduction over j (one index per i-row), got axis '${axis}'`);
  check(
    Number.isInteger(g.dim) && g.dim >= 1,
    () => `groupSums: the values' dimension must be an integer >= 1, got ${String(g.dim)}`,
  );
}

/** The static shape of a request's reduction (dimG and K are 0 where the kind takes none). */
export function requestShape(
  req: ReductionRequest,
  accumulator: AccumulatorKind = 'default',
): ReductionShape {
  const def = reductionDef(req.kind);
  return {
    kind: req.kind,
    dimF: req.formula.dim,
    dimG: def.weighted && req.weight ? req.weight.dim : 0,
    k: def.usesK ? (req.k ?? 0) : 0,
    accumulator,
  };
}

/** Floats and int32s per output row of a request. */
export function requestOutDims(req: ReductionRequest): { values: number; indices: number } {
  return reductionDef(req.kind).outDims(requestShape(req));
}

/**
 * An output of raw shape [..., n, outDim] (values or indices) as the user sees it: the last
 * dimension becomes the kind's row shape ([K] or [K, dimF] for the K-min kinds).
 */
export function userOutputShape(req: ReductionRequest, raw: readonly number[]): number[] {
  const n = raw[raw.length - 1]!;
  return [...raw.slice(0, -1), ...reductionDef(req.kind).rowShape(requestShape(req), n)];
}

/** A spec plus, per slot, the variable of the request that feeds it. */
export interface BuiltSpec {
  spec: KernelSpec;
  /** `slotVars[k]` is the request's Var node (original index and category) for slot k. */
  slotVars: Node[];
}

/** Specs by canonical (slot-numbered) formula, then by the static options (see buildSpec). */
const canonicalSpecs = new WeakMap<Node, Map<string, KernelSpec>>();

/**
 * Rejects a kernel over MAX_KERNEL_SCALARS before any code is generated: the scalar values of
 * one (i, j) step (each distinct node's components, variables included) plus the accumulator's.
 */
function checkKernelSize(value: Node, shape: ReductionShape): void {
  let scalars = 0;
  for (const n of topoOrder(value)) scalars += n.dim;
  const state = reductionDef(shape.kind).stateSize(shape);
  scalars += state.f + state.i;
  checkLimit(
    'the kernel size (scalar values per (i, j) step: formula nodes plus reduction state)',
    scalars,
    'MAX_KERNEL_SCALARS',
    MAX_KERNEL_SCALARS,
    'use fewer or smaller vectors, or split the formula into several reductions',
  );
}

/** Validates a request and builds its KernelSpec (variables renumbered to slots, axis normalised to j). */
export function buildSpec(req: SpecRequest): BuiltSpec {
  const { kind, axis, dtype } = req;
  const def = reductionDef(kind);
  check(axis === 'i' || axis === 'j', () => `axis must be 'i' or 'j', got ${String(axis)}`);
  check(
    dtype === 'float32' || dtype === 'float64',
    () => `dtype must be float32 or float64, got ${String(dtype)}`,
  );
  const accumulator = req.accumulator ?? 'default';
  const gs = req.groupSums && { dim: req.groupSums.dim, weighted: req.groupSums.weighted === true };
  if (gs) checkGroupSumsSpec(gs, kind, axis);
  check(
    accumulator === 'default' || accumulator === 'float64' || accumulator === 'kahan',
    () => `accumulator must be 'default', 'float64' or 'kahan', got ${String(accumulator)}`,
  );
  if (def.scalarF) {
    check(
      req.formula.dim === 1,
      () => `${kind} needs a scalar formula (dimension 1), got dimension ${req.formula.dim}`,
    );
  }
  const weighted = def.weighted;
  if (weighted) check(req.weight !== undefined, () => `${kind} needs a weight formula`);
  else check(req.weight === undefined, () => `${kind} takes no weight formula`);
  let k = 0;
  if (def.usesK) {
    k = req.k ?? Number.NaN;
    check(Number.isInteger(k) && k >= 1, () => `${kind} needs an integer K >= 1, got ${String(req.k)}`);
  }
  checkLimit(`${kind}: K`, k, 'MAX_K', MAX_K);
  const value = weighted ? op('Concat', [req.formula, req.weight!]) : req.formula;
  checkKernelSize(value, {
    kind,
    dimF: req.formula.dim,
    dimG: weighted ? req.weight!.dim : 0,
    k,
    accumulator,
  });

  // Slots: variables in order of first appearance; i and j swapped for a reduction over i.
  const vars = variablesOf(value);
  const seen = new Map<string, number>();
  const slotVars: Node[] = [];
  for (const v of vars) {
    const id = `${varCat(v)}:${varIndex(v)}`;
    const prev = seen.get(id);
    if (prev !== undefined) {
      if (slotVars[prev]!.dim !== v.dim) {
        throw new LazyTensorError(
          `variable ${varIndex(v)} (${varCat(v)}) is used with dimensions ${slotVars[prev]!.dim} and ${v.dim}`,
        );
      }
      continue;
    }
    seen.set(id, slotVars.length);
    slotVars.push(v);
  }
  const swap = (c: Cat): Cat => (axis === 'i' ? (c === 'i' ? 'j' : c === 'j' ? 'i' : c) : c);
  const slots: SlotSpec[] = slotVars.map((v) => ({ cat: swap(varCat(v)), dim: v.dim }));
  const formula = mapDag(
    value,
    (n) => {
      if (!isVar(n)) return undefined;
      const s = seen.get(`${varCat(n)}:${varIndex(n)}`)!;
      return Var(s, n.dim, slots[s]!.cat);
    },
    (name, args, params) => op(name, args, params),
  );
  const reduction: ReductionShape = {
    kind,
    dimF: req.formula.dim,
    dimG: weighted ? req.weight!.dim : 0,
    k,
    accumulator,
  };
  // One spec object per canonical formula and static options: requests that differ only by
  // variable numbering (a fresh LazyTensor per solver step) share it, and with it the compiled kernel.
  const gsKey = gs ? `${gs.dim}${gs.weighted ? 'w' : ''}` : '';
  const staticKey = `${kind}|${k}|${reduction.dimF}|${reduction.dimG}|${accumulator}|${dtype}|${axis}|${gsKey}`;
  let byStatic = canonicalSpecs.get(formula);
  if (!byStatic) {
    byStatic = new Map();
    canonicalSpecs.set(formula, byStatic);
  }
  const known = byStatic.get(staticKey);
  if (known) return { spec: known, slotVars };
  const outs = def.outDims(reduction);
  const key = [
    `red=${kind}`,
    `k=${k}`,
    `dimF=${reduction.dimF}`,
    `dimG=${reduction.dimG}`,
    `acc=${accumulator}`,
    `dtype=${dtype}`,
    `slots=${slots.map((s) => `${s.cat}${s.dim}`).join(',')}`,
    `f=${canonicalKey(formula)}`,
    ...(gs ? [`gs=${gsKey}`] : []),
  ].join(';');
  const spec: KernelSpec = {
    key,
    formula,
    reduction,
    slots,
    dtype,
    outDim: outs.values,
    outIdxDim: outs.indices,
    transposed: axis === 'i',
    ...(gs ? { groupSums: gs } : {}),
  };
  byStatic.set(staticKey, spec);
  return { spec, slotVars };
}
