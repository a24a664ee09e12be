import { topoOrder } from '../../formula/node.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { checkLimit, MAX_GENERATED_CODE } from '../../limits.js';
import { reductionDef } from '../../reduction/index.js';
import { CodeBuffer } from '../common/codebuffer.js';
import {
  CHUNK_MIN_DIM,
  CHUNK_UNROLL,
  dynamicSlots,
  emitWithChunks,
  type LoopSyntax,
} from '../common/loops.js';
import { declareState } from '../common/state.js';
import { jsDialect } from './dialect.js';
import { PRELUDE_NAMES } from './prelude.js';

/**
 * Generates the body of a kernel factory, a function of `$lib` (the thread's prelude helpers)
 * that returns
 *   make(inputs, out, outIdx) -> { span }
 * `span(i0, i1, cr, r0, r1)` reduces each row i in [i0, i1) over the column intervals
 * cr[2r]..cr[2r+1] for r in [r0, r1) and writes its output row. Rows go two at a time through
 * one pass over the columns (each column is loaded once for both rows) when the kernel is small
 * enough to gain from it, then one at a time. All loops live in the generated function, so each
 * kernel is optimized on its own. Parameters are read once per call of `make`. Only IR-derived
 * identifiers, prelude names and exact literals appear in the source.
 */
/** JavaScript loops over components (large vector sums): two partial sums per loop. */
const JS_LOOP: LoopSyntax = { declIndex: (k) => `let ${k} = 0`, partials: 2 };

/**
 * Whether slot s is read from its array at each use (`in<s>[...]`) rather than from one local per
 * component: slots a component loop indexes at run time, and any large slot (so the source stays
 * bounded whatever the dimension).
 */
function viaArray(spec: KernelSpec, dyn: ReadonlySet<number>, s: number): boolean {
  return dyn.has(s) || spec.slots[s]!.dim >= CHUNK_MIN_DIM;
}

export function generateJs(spec: KernelSpec): string {
  const buf = new CodeBuffer(jsDialect(spec.dtype));
  const dyn = dynamicSlots(spec.formula);
  buf.stmt(`const { ${PRELUDE_NAMES.join(', ')} } = $lib;`);
  buf.stmt('return function make(inputs, out, outIdx) {');
  spec.slots.forEach((_, s) => buf.stmt(`const in${s} = inputs[${s}];`));
  // Parameters: loaded once.
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'p' || viaArray(spec, dyn, s)) return;
    for (let k = 0; k < slot.dim; k++) buf.stmt(`const p${s}_${k} = in${s}[${k}];`);
  });
  buf.stmt('const span = function (i0, i1, cr, r0, r1) {');
  // Arrays read in the loop are copied into locals (cheaper than context slots).
  spec.slots.forEach((slot, s) => {
    if (slot.cat === 'j') buf.stmt(`const y${s} = in${s};`);
  });
  buf.stmt('let i = i0;');
  if (pairs(spec)) {
    buf.stmt('for (; i + 1 < i1; i += 2) {');
    emitRows(buf, spec, 2, dyn);
    buf.stmt('}');
  }
  buf.stmt('for (; i < i1; i++) {');
  emitRows(buf, spec, 1, dyn);
  buf.stmt('}');
  buf.stmt('};');
  buf.stmt('return { span };');
  buf.stmt('};');
  const source = buf.toString();
  checkLimit(
    'the generated JavaScript (characters)',
    source.length,
    'MAX_GENERATED_CODE',
    MAX_GENERATED_CODE,
  );
  return source;
}

/** Whether the two-row variant is worth generating: small formulas and small states only. */
function pairs(spec: KernelSpec): boolean {
  let ops = 0;
  for (const n of topoOrder(spec.formula)) ops += n.op === 'Var' ? 0 : n.dim;
  const st = reductionDef(spec.reduction.kind).stateSize(spec.reduction);
  return ops <= 64 && st.f + st.i <= 8;
}

/** Emits the statements that reduce rows i .. i + T - 1 (over the intervals r0..r1 of cr). */
function emitRows(buf: CodeBuffer, spec: KernelSpec, T: number, dyn: ReadonlySet<number>): void {
  const red = reductionDef(spec.reduction.kind);
  const accs = Array.from({ length: T }, (_, t) => {
    spec.slots.forEach((slot, s) => {
      if (slot.cat !== 'i' || viaArray(spec, dyn, s)) return;
      const row = t === 0 ? 'i' : `(i + ${t})`;
      for (let k = 0; k < slot.dim; k++)
        buf.stmt(`const x${s}_${k}_${t} = in${s}[${row} * ${slot.dim} + ${k}];`);
    });
    const acc = declareState(buf, spec, `a${t}`);
    red.init(buf, spec.reduction, acc);
    return acc;
  });
  buf.stmt('for (let r = r0; r < r1; r++) {');
  buf.stmt('const j1 = cr[2 * r + 1];');
  buf.stmt('for (let j = cr[2 * r]; j < j1; j++) {');
  const yAt = (s: number, k: number | string) => {
    const dim = spec.slots[s]!.dim;
    return dim === 1 ? `y${s}[j]` : `y${s}[j * ${dim} + ${k}]`;
  };
  if (T > 1) {
    // Column values shared by the T rows: loaded once.
    spec.slots.forEach((slot, s) => {
      if (slot.cat !== 'j' || viaArray(spec, dyn, s)) return;
      for (let k = 0; k < slot.dim; k++) buf.stmt(`const w${s}_${k} = ${yAt(s, k)};`);
    });
  }
  for (let t = 0; t < T; t++) {
    const row = t === 0 ? 'i' : `(i + ${t})`;
    const at = (s: number, k: string): string => {
      const slot = spec.slots[s]!;
      if (slot.cat === 'p') return `in${s}[${k}]`;
      if (slot.cat === 'i') return `in${s}[${row} * ${slot.dim} + ${k}]`;
      return yAt(s, `(${k})`);
    };
    const load = (s: number, k: number): string => {
      const slot = spec.slots[s]!;
      if (viaArray(spec, dyn, s)) return slot.cat === 'j' ? yAt(s, k) : at(s, String(k));
      if (slot.cat === 'p') return `p${s}_${k}`;
      if (slot.cat === 'i') return `x${s}_${k}_${t}`;
      return T > 1 ? `w${s}_${k}` : yAt(s, k);
    };
    const value = emitWithChunks(
      buf,
      spec.formula,
      spec.slots.length,
      { load, loadAt: at },
      CHUNK_MIN_DIM,
      CHUNK_UNROLL,
      JS_LOOP,
    );
    red.accumulate(buf, spec.reduction, accs[t]!, value, 'j');
  }
  buf.stmt('}');
  buf.stmt('}');
  for (let t = 0; t < T; t++) {
    const row = t === 0 ? 'i' : `(i + ${t})`;
    red.finalize(
      buf,
      spec.reduction,
      accs[t]!,
      (k) => `out[${row} * ${spec.outDim} + ${k}]`,
      (k) => `outIdx[${row} * ${spec.outIdxDim} + ${k}]`,
    );
  }
}
