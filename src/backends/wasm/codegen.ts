import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import { CodeBuffer } from '../common/codebuffer.js';
import {
  C_LOOP,
  CHUNK_MIN_DIM,
  CHUNK_UNROLL,
  dynamicSlots,
  emitWithChunks,
  type LoopSyntax,
} from '../common/loops.js';
import { declareState } from '../common/state.js';
import { wasmDialect } from './dialect.js';
import { encodeModule, type FuncDef, T } from './encoder.js';
import { relaxedSimd } from './features.js';
import { parseStatements } from './lang.js';
import { Lowering } from './lower.js';
import { MATH_IMPORTS } from './lowerMath.js';
import { MAX_PAGES } from './memory.js';
import { vexpF32, vexpF32Code, vexpF64Code, vlogF32 } from './vmath.js';

/**
 * Memory layout the host writes before calling `span` (all offsets in bytes, 16-aligned):
 *   int32 header at 0: word s = base of slot s; word S = out; S + 1 = outIdx; S + 2 = the column
 *   stride of j-slots (elements). i-slots and outputs are row-major [n, dim]; j-slots are stored
 *   by component (structure of arrays): component k of column j of slot s is at
 *   base_s + (k * stride + j) * bytes, so SIMD loads take consecutive columns; p-slots are dim values.
 */
/**
 * Component loops of large vector sums (common/loops.ts): four partial sums, vectors over columns
 * in the SIMD loop, scalars in the tail.
 */
const PARTIALS = 4;
const SIMD_LOOP: LoopSyntax = { ...C_LOOP, partials: PARTIALS, declSum: (n) => `vec ${n} = 0.0;` };
const SCALAR_LOOP: LoopSyntax = { ...C_LOOP, partials: PARTIALS };

export const HEADER_WORDS = (spec: KernelSpec): number => spec.slots.length + 3;

/** The generated module of a spec: its bytes and its text (for errors and tests). */
export interface WasmKernelModule {
  bytes: Uint8Array;
  text: string;
  lanes: number;
}

/**
 * Generates the wasm module of a spec: one exported function
 *   span(i0, i1, cr, r0, r1)
 * that reduces rows [i0, i1) over the column intervals at cr (int32 pairs r0..r1 - 1) and writes
 * their output rows, with SIMD over columns (f32x4 or f64x2) and a scalar tail. Ops and reductions
 * emit through the shared codegen; nothing here comes from user text. The module imports its
 * memory (e.memory): a shared one (`sharedMemory`, the threads' common arena) or a thread's own.
 */
export function generateWasm(spec: KernelSpec, sharedMemory = false): WasmKernelModule {
  const f32 = spec.dtype === 'float32';
  const B = f32 ? 4 : 8;
  const L = f32 ? 4 : 2;
  const S = spec.slots.length;
  const red = reductionDef(spec.reduction.kind);
  const r = spec.reduction;
  const buf = new CodeBuffer(wasmDialect(spec.dtype));
  const st = (s: string) => buf.stmt(s);
  // Slots read at a run-time component index (component loops), and any large slot: addressed
  // from their base at each use rather than through one local per component (bounded code).
  const dyn = dynamicSlots(spec.formula);
  const big = (s: number) => dyn.has(s) || spec.slots[s]!.dim >= CHUNK_MIN_DIM;
  const emit = (
    load: (s: number, k: number) => string,
    loadAt: (s: number, k: string) => string,
    simd: boolean,
  ) =>
    emitWithChunks(
      buf,
      spec.formula,
      S,
      { load, loadAt },
      CHUNK_MIN_DIM,
      CHUNK_UNROLL,
      simd ? SIMD_LOOP : SCALAR_LOOP,
    );

  spec.slots.forEach((slot, s) => {
    st(`int P${s} = ldi(${4 * s});`);
    if (slot.cat === 'p' && !big(s))
      for (let k = 0; k < slot.dim; k++) st(`val p${s}_${k} = ldf(P${s} + ${k * B});`);
  });
  st(`int PO = ldi(${4 * S});`);
  st(`int PQ = ldi(${4 * S + 4});`);
  st(`int NS = ldi(${4 * S + 8});`);
  if (spec.slots.some((slot, s) => slot.cat === 'j' && big(s))) st(`int NSB = NS * ${B};`);
  spec.slots.forEach((slot, s) => {
    if (slot.cat === 'j' && !big(s))
      for (let k = 0; k < slot.dim; k++) st(`int Y${s}_${k} = P${s} + ${k} * NS * ${B};`);
  });
  const accType = r.accumulator === 'float64' ? 'f64' : f32 ? 'f32' : 'f64';
  const vecSum = red.plainSum?.(r) === true && accType === (f32 ? 'f32' : 'f64');

  st('int i = i0;');
  st('while (i < i1) {');
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'i') return;
    if (big(s)) {
      st(`int X${s} = P${s} + i * ${slot.dim * B};`);
      return;
    }
    st(`int XR${s} = P${s} + i * ${slot.dim * B};`);
    for (let k = 0; k < slot.dim; k++) st(`val x${s}_${k} = ldf(XR${s} + ${k * B});`);
  });
  const acc = declareState(buf, spec, 'a');
  red.init(buf, r, acc);
  const vacc = vecSum ? Array.from({ length: r.dimF }, (_, k) => `va${k}`) : [];
  for (const v of vacc) st(`vec ${v} = 0.0;`);
  // Log-sum-exp family: each lane keeps its own (max, sums) state, folded in per row with merge.
  const weights = !vecSum && accType === (f32 ? 'f32' : 'f64') ? red.expSums?.(r) : undefined;
  const lseSums = weights ? weights.map((_, c) => `vs${c}`) : [];
  if (weights) {
    st('vec vm = (-inf);');
    for (const v of lseSums) st(`vec ${v} = 0.0;`);
  }
  st('int r = r0;');
  st('while (r < r1) {');
  st('int j = ldi(cr + r * 8);');
  st('int j1 = ldi(cr + r * 8 + 4);');
  // SIMD loop over L columns at a time.
  st(`while (j + ${L} <= j1) {`);
  const columnBases = () =>
    spec.slots.forEach((slot, s) => {
      if (slot.cat === 'j' && big(s)) st(`int Q${s} = P${s} + j * ${B};`);
    });
  columnBases();
  // Row values and parameters splat from memory at each use: a load, no instruction of the
  // vector units, where a splat held in a register across the loop (V8 spills and re-splats it,
  // 16 xmm registers) costs more. Large slots: component k of a column at Q + k * NSB, of a row
  // at X + k * B.
  const vvalue = emit(
    (s, k) => {
      const slot = spec.slots[s]!;
      if (slot.cat === 'j') return big(s) ? `ldv(Q${s} + ${k} * NSB)` : `ldv(Y${s}_${k} + j * ${B})`;
      if (slot.cat === 'i') return big(s) ? `ldsv(X${s} + ${k * B})` : `ldsv(XR${s} + ${k * B})`;
      return `ldsv(P${s} + ${k * B})`;
    },
    (s, k) => {
      const slot = spec.slots[s]!;
      if (slot.cat === 'j') return `ldv(Q${s} + (${k}) * NSB)`;
      return `ldsv(${slot.cat === 'i' ? 'X' : 'P'}${s} + (${k}) * ${B})`;
    },
    true,
  );
  if (vecSum) {
    vacc.forEach((v, k) => st(`${v} = ${v} + ${vvalue[k]};`));
  } else if (weights) {
    // Rescale only when a lane's maximum grows; NaN and -inf values add nothing (as the scalar fold).
    st(`vec vf = ${vvalue[0]};`);
    st('if (any(vf > vm)) {');
    st('vec vn = sel(vf > vm, vf, vm);');
    st('vec vc = sel(vn > (-inf), expn(vm - vn), 1.0);'); // vn >= vm: at most 1
    for (const v of lseSums) st(`${v} = ${v} * vc;`);
    st('vm = vn;');
    st('}');
    st('vec ve = sel(vf > (-inf), expn(vf - vm), 0.0);'); // vm >= vf: at most 1
    weights.forEach((w, c) =>
      st(`${lseSums[c]} = ${lseSums[c]} + ${w === 'one' ? 've' : `ve * ${vvalue[r.dimF + w]}`};`),
    );
  } else {
    const lanes = () => {
      for (let l = 0; l < L; l++) {
        const lv = vvalue.map((v) => buf.let(`lane(${v}, ${l})`));
        red.accumulate(buf, r, acc, lv, `(j + ${l})`);
      }
    };
    if (red.threshold) {
      // Selections: lanes are visited only when one of them can change the state.
      const tests = Array.from({ length: r.dimF }, (_, c) => {
        const t = red.threshold!(r, acc, c);
        return `(${vvalue[c]} ${t.cmp} ${t.slot})`;
      });
      st(`if (any(${tests.join(' || ')})) {`);
      lanes();
      st('}');
    } else {
      lanes();
    }
  }
  st(`j = j + ${L};`);
  st('}');
  // Scalar tail.
  st('while (j < j1) {');
  columnBases();
  const scalarAt = (s: number, k: string): string => {
    const slot = spec.slots[s]!;
    if (slot.cat === 'j') return `ldf(Q${s} + (${k}) * NSB)`;
    return `ldf(${slot.cat === 'i' ? 'X' : 'P'}${s} + (${k}) * ${B})`;
  };
  const value = emit(
    (s, k) => {
      const slot = spec.slots[s]!;
      if (big(s)) return scalarAt(s, String(k));
      if (slot.cat === 'j') return `ldf(Y${s}_${k} + j * ${B})`;
      return `${slot.cat === 'i' ? 'x' : 'p'}${s}_${k}`;
    },
    scalarAt,
    false,
  );
  red.accumulate(buf, r, acc, value, 'j');
  st('j = j + 1;');
  st('}');
  st('r = r + 1;');
  st('}');
  if (vecSum) {
    const other: AccState = { f: vacc.map((_, k) => `vs${k}`), i: [] };
    vacc.forEach((v, k) => {
      const lanesSum = Array.from({ length: L }, (_, l) => `lane(${v}, ${l})`).join(' + ');
      st(`acc vs${k} = ${lanesSum};`);
    });
    red.merge(buf, r, acc, other);
  }
  for (let l = 0; weights && l < L; l++) {
    const m = buf.let(`lane(vm, ${l})`);
    red.merge(buf, r, acc, { f: [m, ...lseSums.map((v) => buf.let(`lane(${v}, ${l})`))], i: [] });
  }
  for (let k = 0; k < spec.outDim; k++) st(`val o${k} = 0.0;`);
  for (let k = 0; k < spec.outIdxDim; k++) st(`int q${k} = 0;`);
  red.finalize(
    buf,
    r,
    acc,
    (k) => `o${k}`,
    (k) => `q${k}`,
  );
  for (let k = 0; k < spec.outDim; k++) st(`stf(PO + (i * ${spec.outDim} + ${k}) * ${B}, o${k});`);
  for (let k = 0; k < spec.outIdxDim; k++) st(`sti(PQ + (i * ${spec.outIdxDim} + ${k}) * 4, q${k});`);
  st('i = i + 1;');
  st('}');

  const text = buf.toString();
  const vexpInline = { f32: vexpF32Code, f64: vexpF64Code };
  const helpers = f32
    ? { vexp: MATH_IMPORTS.length, vlog: MATH_IMPORTS.length + 1, vexpInline }
    : { vexpInline };
  const low = new Lowering(
    { compute: f32 ? 'f32' : 'f64', acc: accType, helpers, fma: relaxedSimd() },
    ['i0', 'i1', 'cr', 'r0', 'r1'].map((name) => ({ name, ty: 'i32' as const })),
  );
  low.stmts(parseStatements(text));
  const span: FuncDef = {
    type: { params: [T.i32, T.i32, T.i32, T.i32, T.i32], results: [] },
    locals: low.locals,
    body: low.code(),
    export: 'span',
  };
  const f64 = { params: [T.f64], results: [T.f64] };
  const f64x2 = { params: [T.f64, T.f64], results: [T.f64] };
  const imports = MATH_IMPORTS.map((name) => ({
    module: 'm',
    name,
    type: name === 'atan2' || name === 'pow' || name === 'fmod' ? f64x2 : f64,
  }));
  const funcs = f32 ? [vexpF32(), vlogF32(), span] : [span];
  const memory = { module: 'e', name: 'memory', pages: 1, maxPages: MAX_PAGES, shared: sharedMemory };
  return { bytes: encodeModule(imports, funcs, memory), text, lanes: L };
}
