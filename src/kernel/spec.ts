import { check, LazyTensorError } from '../errors.js';
import {
  type Cat,
  canonicalKey,
  isVar,
  mapDag,
  type Node,
  newWalk,
  nodeCache,
  setNodeCache,
  setWalkPos,
  topoOrder,
  varCat,
  varIndex,
  variablesOf,
  walkPos,
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
}

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
  const staticKey = `${kind}|${k}|${reduction.dimF}|${reduction.dimG}|${accumulator}|${dtype}|${axis}`;
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
  };
  byStatic.set(staticKey, spec);
  return { spec, slotVars };
}

/**
 * Specs by the structure of their request: the formula (and weight) with each variable written as
 * its slot, category and dimension instead of its identity, plus every static option. Requests
 * that differ only by variable numbering (a user loop that builds fresh Vi/Vj every call) find
 * their spec, and through it their compiled kernel, without renumbering or re-validating the
 * formula. The structure is a list of numbers (`structure`), found by its hash and compared in
 * full. Bounded in entries and in size: past the bounds the oldest hash bucket is dropped (its specs
 * are rebuilt when needed).
 */
interface StructureEntry {
  readonly codes: readonly number[];
  readonly spec: KernelSpec;
}
const byStructure = new Map<number, StructureEntry[]>();
let structureCount = 0;
/** Numbers held by all entries' codes. */
let structureCodes = 0;
const MAX_STRUCTURES = 1024;
/** At most 2^20 numbers (8 MB) of codes in all; a larger structure alone is not kept. */
const MAX_STRUCTURE_CODES = 1 << 20;

/** Small integer codes of op names, kinds and option strings (one table: names never clash in use). */
const nameCodes = new Map<string, number>();
function nameCode(name: string | undefined): number {
  if (name === undefined) return 0;
  let c = nameCodes.get(name);
  if (c === undefined) {
    c = nameCodes.size + 1;
    nameCodes.set(name, c);
  }
  return c;
}

/** Scratch list of the structure being read (copied only when a new entry is stored). */
const scratch: number[] = [];
const stackN: Node[] = [];
const stackK: number[] = [];
const VAR = -1;
const OP = -2;

/**
 * Writes the structure of a request into `scratch` and returns its slot variables (first
 * appearance of each distinct (category, index) in topological order, as buildSpec numbers them).
 * Every fact buildSpec reads is written: the kind, K, axis, dtype and accumulator; each node in
 * topological order (the order of `topoOrder`) with its op, dimension, integer params and
 * arguments (by position); each variable as its slot, category and dimension; the positions of
 * the formula and weight roots.
 */
function structure(req: SpecRequest): Node[] {
  const out = scratch;
  out.length = 0;
  out.push(
    nameCode(req.kind),
    req.k === undefined ? -1 : req.k,
    nameCode(req.axis),
    nameCode(req.dtype),
    nameCode(req.accumulator),
  );
  const walk = newWalk();
  const slotVars: Node[] = [];
  let slotOf: Map<string, number> | undefined;
  let count = 0;
  const roots = req.weight === undefined ? 1 : 2;
  for (let r = 0; r < roots; r++) {
    const root = r === 0 ? req.formula : req.weight!;
    if (walkPos(root, walk) >= 0) continue;
    stackN.push(root);
    stackK.push(0);
    while (stackN.length > 0) {
      const top = stackN.length - 1;
      const n = stackN[top]!;
      const k = stackK[top]!;
      if (k < n.args.length) {
        stackK[top] = k + 1;
        const c = n.args[k]!;
        if (walkPos(c, walk) < 0) {
          stackN.push(c);
          stackK.push(0);
        }
        continue;
      }
      stackN.pop();
      stackK.pop();
      if (walkPos(n, walk) >= 0) continue;
      setWalkPos(n, walk, count++);
      if (isVar(n)) {
        let slot = 0;
        if (slotOf === undefined) {
          // Few variables (the usual case): a scan, no map.
          while (
            slot < slotVars.length &&
            !(slotVars[slot]!.params[0] === n.params[0] && slotVars[slot]!.params[1] === n.params[1])
          )
            slot++;
          if (slot === slotVars.length) {
            slotVars.push(n);
            if (slotVars.length > 16) slotOf = new Map(slotVars.map((v, s) => [varId(v), s]));
          }
        } else {
          const id = varId(n);
          const known = slotOf.get(id);
          if (known === undefined) {
            slot = slotVars.length;
            slotOf.set(id, slot);
            slotVars.push(n);
          } else slot = known;
        }
        out.push(VAR, slot, n.params[1]!, n.dim);
        continue;
      }
      out.push(OP, nameCode(n.op), n.dim, n.params.length);
      for (const p of n.params) out.push(p);
      out.push(n.args.length);
      for (const a of n.args) out.push(walkPos(a, walk));
    }
  }
  out.push(roots, walkPos(req.formula, walk));
  if (req.weight !== undefined) out.push(walkPos(req.weight, walk));
  return slotVars;
}

/** A variable's identity for slot numbering: its category and index (as buildSpec numbers slots). */
function varId(v: Node): string {
  return `${v.params[1]}:${v.params[0]}`;
}

/** Hash of a list of numbers (integers of any size: both 32-bit halves are mixed in). */
function hashCodes(codes: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const c of codes) {
    h = Math.imul(h ^ (c | 0), 0x01000193);
    h = Math.imul(h ^ ((c / 0x100000000) | 0), 0x01000193);
  }
  return h;
}

function sameCodes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The last spec asked of a formula node (cached on the node: see `nodeCache`). */
interface LastSpec {
  readonly weight: Node | undefined;
  readonly kind: ReductionKind;
  readonly k: number | undefined;
  readonly axis: 'i' | 'j';
  readonly dtype: DType;
  readonly accumulator: AccumulatorKind | undefined;
  readonly built: BuiltSpec;
}

/**
 * The spec of a request (buildSpec's result), cached: on the formula node for a request repeated
 * on the same formula, and by structure for a request of the same shape on fresh variables. A
 * request that buildSpec rejects is never cached, so it throws every time.
 */
export function specFor(req: SpecRequest): BuiltSpec {
  const last = nodeCache(req.formula) as LastSpec | undefined;
  if (
    last !== undefined &&
    last.weight === req.weight &&
    last.kind === req.kind &&
    last.k === req.k &&
    last.axis === req.axis &&
    last.dtype === req.dtype &&
    last.accumulator === req.accumulator
  )
    return last.built;
  const slotVars = structure(req);
  const h = hashCodes(scratch);
  const bucket = byStructure.get(h);
  let built: BuiltSpec | undefined;
  if (bucket) {
    for (const e of bucket) if (sameCodes(e.codes, scratch)) built = { spec: e.spec, slotVars };
  }
  if (!built) {
    const codes = scratch.slice();
    built = buildSpec(req);
    if (codes.length <= MAX_STRUCTURE_CODES) {
      while (structureCount >= MAX_STRUCTURES || structureCodes + codes.length > MAX_STRUCTURE_CODES) {
        const oldest = byStructure.entries().next().value;
        if (!oldest) break;
        byStructure.delete(oldest[0]);
        for (const e of oldest[1]) structureCodes -= e.codes.length;
        structureCount -= oldest[1].length;
      }
      const entries = byStructure.get(h);
      if (entries) entries.push({ codes, spec: built.spec });
      else byStructure.set(h, [{ codes, spec: built.spec }]);
      structureCount++;
      structureCodes += codes.length;
    }
  }
  const { weight, kind, k, axis, dtype, accumulator } = req;
  setNodeCache(req.formula, { weight, kind, k, axis, dtype, accumulator, built } satisfies LastSpec);
  return built;
}
