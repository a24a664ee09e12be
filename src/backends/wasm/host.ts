import type { KernelSpec } from '../../kernel/spec.js';
import { HEADER_WORDS } from './codegen.js';
import { MATH_IMPORTS } from './lowerMath.js';
import { MAX_PAGES } from './memory.js';

/**
 * The JavaScript side of a wasm kernel, as SOURCE: a factory body (a function of `$lib`, the JS
 * prelude helpers, and `$arena`, the shared WebAssembly.Memory of this thread or undefined) that
 * returns `make(inputs, out, outIdx) -> { span }`, the shape of the JS backend's factories, so the
 * same row driver and worker pool run it on any thread. Each thread compiles the module once per
 * kernel and keeps one instance on its memory (the arena, or one of its own when `$arena` is
 * undefined): `make` writes the inputs in (j-slots by component, for SIMD loads), `span` runs rows
 * and copies their output rows out. On a shared arena, `make.stage` writes a run's inputs once,
 * every thread's `make.attach()` runs rows on them without copies, and `read` copies the outputs
 * out. Only the module bytes (from the IR) and the slot layout vary between kernels.
 */
export function hostSource(spec: KernelSpec, bytes: Uint8Array): string {
  let bin = '';
  for (let k = 0; k < bytes.length; k++) bin += String.fromCharCode(bytes[k]!);
  const layout = {
    slots: spec.slots.map((s) => [s.cat, s.dim]),
    f32: spec.dtype === 'float32',
    outDim: spec.outDim,
    outIdxDim: spec.outIdxDim,
    header: HEADER_WORDS(spec),
  };
  return `
const MOD = new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(btoa(bin))}), (c) => c.charCodeAt(0)));
const LAY = ${JSON.stringify(layout)};
const MATH = {
${MATH_IMPORTS.map((n) => `  ${n}: ${n === 'pow' || n === 'round' || n === 'fmod' ? `$lib.$${n}` : `Math.${n}`},`).join('\n')}
};
const F = LAY.f32 ? Float32Array : Float64Array;
const B = F.BYTES_PER_ELEMENT;
const S = LAY.slots.length;
// Header words after the kernel's: the column pair [0, nJ] of dense spans (read by attached spans).
const DENSE = LAY.header;
// The js backend's pool compiles factories as functions of $lib alone: no arena there.
let memory = typeof $arena === 'undefined' ? undefined : $arena;
let inst;
const BLOCK_PAIRS = 1 << 20;
const al = (n) => (n + 15) & ~15;
// Views of the whole memory, remade only when it grows (a run makes no typed array of its own).
let heap = null;
let heapF = null;
let heapI = null;
const views = () => {
  if (memory.buffer !== heap) {
    heap = memory.buffer;
    heapF = new F(heap);
    heapI = new Int32Array(heap);
  }
};
const instance = () => {
  memory ??= new WebAssembly.Memory({ initial: 1, maximum: ${MAX_PAGES} });
  inst ??= new WebAssembly.Instance(MOD, { m: MATH, e: { memory } });
  return inst.exports.span;
};
const ensure = (bytes) => {
  const have = memory.buffer.byteLength;
  if (bytes > have) {
    try {
      memory.grow(Math.ceil((bytes - have) / 65536));
    } catch (e) {
      throw new RangeError('wasm backend: a run needs ' + bytes + ' bytes of WebAssembly memory, more than this runtime grants');
    }
  }
  views();
};
/** dst[t0..t1) = src[at + t0 .. at + t1): a loop for a few values, a block copy for many. */
const copyOut = (dst, src, at, t0, t1) => {
  if (t1 - t0 > 64) dst.set(src.subarray(at + t0, at + t1), t0);
  else for (let t = t0; t < t1; t++) dst[t] = src[at + t];
};
/** Calls of bounded work: V8 first runs a module in its baseline tier and switches a function to optimized code between calls (never inside one), so long spans are cut into blocks. */
const runBlocks = (run, i0, i1, crAt, cols, r0, r1) => {
  const step = Math.max(1, Math.floor(BLOCK_PAIRS / Math.max(1, cols)));
  for (let s = i0; s < i1; s += step) run(s, Math.min(i1, s + step), crAt, r0, r1);
};
/**
 * Lays out and writes a run's inputs (and the int32 arrays extras, after them) into the memory;
 * returns the addresses: outputs, extras, and the free space after them.
 */
const load = (inputs, nI, extras) => {
  let nJ = 0;
  for (let s = 0; s < S; s++) if (LAY.slots[s][0] === 'j') nJ = inputs[s].length / LAY.slots[s][1];
  const stride = (nJ + 3) & ~3;
  const bases = new Array(S);
  let top = al(4 * (LAY.header + 2));
  for (let s = 0; s < S; s++) {
    const [cat, dim] = LAY.slots[s];
    bases[s] = top;
    top = al(top + B * (cat === 'j' ? stride * dim : inputs[s].length));
  }
  const outBase = top;
  top = al(top + B * nI * LAY.outDim);
  const idxBase = top;
  top = al(top + 4 * nI * LAY.outIdxDim);
  const at = new Array(extras.length);
  for (let e = 0; e < extras.length; e++) {
    at[e] = top;
    top = al(top + 4 * extras[e].length);
  }
  ensure(top + 64);
  for (let s = 0; s < S; s++) heapI[s] = bases[s];
  heapI[S] = outBase;
  heapI[S + 1] = idxBase;
  heapI[S + 2] = stride;
  heapI[DENSE] = 0;
  heapI[DENSE + 1] = nJ;
  for (let s = 0; s < S; s++) {
    const [cat, dim] = LAY.slots[s];
    const src = inputs[s];
    const o0 = bases[s] / B;
    if (cat !== 'j' || dim === 1) {
      heapF.set(src, o0);
      continue;
    }
    for (let k = 0; k < dim; k++) {
      const o = o0 + k * stride;
      for (let j = 0, q = k; j < nJ; j++, q += dim) heapF[o + j] = src[q];
    }
  }
  for (let e = 0; e < extras.length; e++) heapI.set(extras[e], at[e] >> 2);
  return { outAt: outBase / B, idxAt: idxBase >> 2, extras: at, free: top };
};
function make(inputs, out, outIdx) {
  const run = instance();
  const nI = out ? out.length / Math.max(1, LAY.outDim) : outIdx ? outIdx.length / Math.max(1, LAY.outIdxDim) : 0;
  const { outAt, idxAt, free } = load(inputs, nI, []);
  const crBase = free;
  let crCap = (memory.buffer.byteLength - crBase) >> 2;
  const crAt = crBase >> 2;
  const span = (i0, i1, cr, r0, r1) => {
    const n = 2 * (r1 - r0);
    if (n > crCap) {
      ensure(crBase + 4 * n);
      crCap = (memory.buffer.byteLength - crBase) >> 2;
    }
    let cols = 0;
    for (let k = 0; k < n; k += 2) {
      const a = cr[2 * r0 + k];
      const b = cr[2 * r0 + k + 1];
      heapI[crAt + k] = a;
      heapI[crAt + k + 1] = b;
      cols += b - a;
    }
    runBlocks(run, i0, i1, crBase, cols, 0, r1 - r0);
    // The kernel never grows its memory, so the views are still those of this run.
    if (LAY.outDim > 0) copyOut(out, heapF, outAt, i0 * LAY.outDim, i1 * LAY.outDim);
    if (LAY.outIdxDim > 0) copyOut(outIdx, heapI, idxAt, i0 * LAY.outIdxDim, i1 * LAY.outIdxDim);
  };
  return { span };
}
/** Writes a run's inputs and extras into the shared memory once; read copies all its outputs out. */
make.stage = (inputs, nI, extras) => {
  instance();
  const { outAt, idxAt, extras: at } = load(inputs, nI, extras);
  const read = (out, outIdx) => {
    views();
    if (out && LAY.outDim > 0) copyOut(out, heapF, outAt, 0, nI * LAY.outDim);
    if (outIdx && LAY.outIdxDim > 0) copyOut(outIdx, heapI, idxAt, 0, nI * LAY.outIdxDim);
  };
  return { extras: at, read };
};
/**
 * Rows on the staged run, without copies: column intervals are views of the memory (their byte
 * offset is their address) or the dense pair [0, nJ] the run's header holds; outputs stay in the
 * memory for read.
 */
make.attach = () => {
  const run = instance();
  const span = (i0, i1, cr, r0, r1) => {
    let cols = 0;
    for (let k = r0; k < r1; k++) cols += cr[2 * k + 1] - cr[2 * k];
    const at = cr.buffer instanceof SharedArrayBuffer ? cr.byteOffset : 4 * DENSE;
    runBlocks(run, i0, i1, at, cols, r0, r1);
  };
  return { span };
};
return make;
`;
}
