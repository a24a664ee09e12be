/**
 * The spec cache in front of `buildSpec`: specs found by the structure of their request, so that a
 * loop building the same formula on fresh variables reuses its spec (and compiled kernel).
 */
import { isVar, type Node, newWalk, nodeCache, setNodeCache, setWalkPos, walkPos } from '../formula/node.js';
import type { DType } from '../ndarray.js';
import type { AccumulatorKind, ReductionKind } from '../reduction/index.js';
import { type BuiltSpec, buildSpec, type KernelSpec, type SpecRequest } from './spec.js';

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
    nameCode(groupSumsCode(req)),
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

/** A request's `groupSums` option as a string (undefined without it). */
function groupSumsCode(req: SpecRequest): string | undefined {
  const g = req.groupSums;
  return g ? `gs:${g.dim}:${g.weighted === true}` : undefined;
}

/** The last spec asked of a formula node (cached on the node: see `nodeCache`). */
interface LastSpec {
  readonly weight: Node | undefined;
  readonly kind: ReductionKind;
  readonly k: number | undefined;
  readonly axis: 'i' | 'j';
  readonly dtype: DType;
  readonly accumulator: AccumulatorKind | undefined;
  readonly groupSums: string | undefined;
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
    last.accumulator === req.accumulator &&
    last.groupSums === groupSumsCode(req)
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
  const groupSums = groupSumsCode(req);
  setNodeCache(req.formula, {
    weight,
    kind,
    k,
    axis,
    dtype,
    accumulator,
    groupSums,
    built,
  } satisfies LastSpec);
  return built;
}
