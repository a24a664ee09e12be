import type { KernelSpec } from '../../kernel/spec.js';
import { HEADER_WORDS } from './codegen.js';
import { MATH_IMPORTS } from './lower.js';

/**
 * The JavaScript side of a wasm kernel, as SOURCE: a factory body (a function of `$lib`, the JS
 * prelude helpers) that returns `make(inputs, out, outIdx) -> { span }`, exactly the shape of the
 * JS backend's factories, so the same row driver and worker pool run it on any thread. Each
 * thread compiles the module once per kernel and keeps one instance with its own memory: `make`
 * copies the inputs in (j-slots by component, for SIMD loads), `span` runs rows and copies their
 * output rows out. Only the module bytes (from the IR) and the slot layout vary between kernels.
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
const IMPORTS = { m: {
${MATH_IMPORTS.map((n) => `  ${n}: ${n === 'pow' || n === 'round' || n === 'fmod' ? `$lib.$${n}` : `Math.${n}`},`).join('\n')}
} };
const F = LAY.f32 ? Float32Array : Float64Array;
const B = F.BYTES_PER_ELEMENT;
let inst;
const BLOCK_PAIRS = 1 << 20;
const al = (n) => (n + 15) & ~15;
// Views of the whole memory, remade only when it grows (a run makes no typed array of its own).
let heap = null;
let heapF = null;
let heapI = null;
const views = (memory) => {
  if (memory.buffer !== heap) {
    heap = memory.buffer;
    heapF = new F(heap);
    heapI = new Int32Array(heap);
  }
};
/** dst[t0..t1) = src[at + t0 .. at + t1): a loop for a few values, a block copy for many. */
const copyOut = (dst, src, at, t0, t1) => {
  if (t1 - t0 > 64) dst.set(src.subarray(at + t0, at + t1), t0);
  else for (let t = t0; t < t1; t++) dst[t] = src[at + t];
};
return function make(inputs, out, outIdx) {
  inst ??= new WebAssembly.Instance(MOD, IMPORTS);
  const memory = inst.exports.memory;
  const run = inst.exports.span;
  const S = LAY.slots.length;
  const nI = out ? out.length / Math.max(1, LAY.outDim) : outIdx ? outIdx.length / Math.max(1, LAY.outIdxDim) : 0;
  let nJ = 0;
  for (let s = 0; s < S; s++) if (LAY.slots[s][0] === 'j') nJ = inputs[s].length / LAY.slots[s][1];
  const stride = (nJ + 3) & ~3;
  const bases = new Array(S);
  let top = al(4 * LAY.header);
  for (let s = 0; s < S; s++) {
    const [cat, dim] = LAY.slots[s];
    bases[s] = top;
    top = al(top + B * (cat === 'j' ? stride * dim : inputs[s].length));
  }
  const outBase = top;
  top = al(top + B * nI * LAY.outDim);
  const idxBase = top;
  top = al(top + 4 * nI * LAY.outIdxDim);
  const crBase = top;
  let crCap = 0;
  const ensure = (bytes) => {
    const have = memory.buffer.byteLength;
    if (bytes > have) {
      try {
        memory.grow(Math.ceil((bytes - have) / 65536));
      } catch (e) {
        throw new RangeError('wasm backend: a run needs ' + bytes + ' bytes of WebAssembly memory, more than this runtime grants');
      }
    }
    views(memory);
  };
  ensure(crBase + 64);
  crCap = (memory.buffer.byteLength - crBase) >> 2;
  for (let s = 0; s < S; s++) heapI[s] = bases[s];
  heapI[S] = outBase;
  heapI[S + 1] = idxBase;
  heapI[S + 2] = stride;
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
  const outAt = outBase / B;
  const idxAt = idxBase >> 2;
  const crAt = crBase >> 2;
  const span = (i0, i1, cr, r0, r1) => {
    const n = 2 * (r1 - r0);
    if (n > crCap) {
      ensure(crBase + 4 * n);
      crCap = (memory.buffer.byteLength - crBase) >> 2;
    }
    for (let k = 0; k < n; k++) heapI[crAt + k] = cr[2 * r0 + k];
    // Calls of bounded work: V8 first runs a module in its baseline tier and switches a function
    // to optimized code between calls (never inside one), so long spans are cut into blocks.
    let cols = 0;
    for (let k = 0; k < n; k += 2) cols += heapI[crAt + k + 1] - heapI[crAt + k];
    const step = Math.max(1, Math.floor(BLOCK_PAIRS / Math.max(1, cols)));
    for (let s = i0; s < i1; s += step) run(s, Math.min(i1, s + step), crBase, 0, r1 - r0);
    // The kernel never grows its memory, so the views are still those of this run.
    if (LAY.outDim > 0) copyOut(out, heapF, outAt, i0 * LAY.outDim, i1 * LAY.outDim);
    if (LAY.outIdxDim > 0) copyOut(outIdx, heapI, idxAt, i0 * LAY.outIdxDim, i1 * LAY.outIdxDim);
  };
  return { span };
};
`;
}
