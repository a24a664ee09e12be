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
return function make(inputs, out, outIdx) {
  inst ??= new WebAssembly.Instance(MOD, IMPORTS);
  const memory = inst.exports.memory;
  const run = inst.exports.span;
  const S = LAY.slots.length;
  const nI = out ? out.length / Math.max(1, LAY.outDim) : outIdx ? outIdx.length / Math.max(1, LAY.outIdxDim) : 0;
  let nJ = 0;
  LAY.slots.forEach(([cat, dim], s) => { if (cat === 'j') nJ = inputs[s].length / dim; });
  const stride = (nJ + 3) & ~3;
  const bases = [];
  let top = al(4 * LAY.header);
  LAY.slots.forEach(([cat, dim], s) => {
    bases.push(top);
    top = al(top + B * (cat === 'j' ? stride * dim : inputs[s].length));
  });
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
  };
  ensure(crBase + 64);
  crCap = (memory.buffer.byteLength - crBase) >> 2;
  const hdr = new Int32Array(memory.buffer, 0, LAY.header);
  bases.forEach((b, s) => { hdr[s] = b; });
  hdr[S] = outBase;
  hdr[S + 1] = idxBase;
  hdr[S + 2] = stride;
  LAY.slots.forEach(([cat, dim], s) => {
    const src = inputs[s];
    if (cat !== 'j' || dim === 1) {
      new F(memory.buffer, bases[s], src.length).set(src);
      return;
    }
    const dst = new F(memory.buffer, bases[s], stride * dim);
    for (let k = 0; k < dim; k++) {
      const o = k * stride;
      for (let j = 0, q = k; j < nJ; j++, q += dim) dst[o + j] = src[q];
    }
  });
  let outView = LAY.outDim > 0 ? new F(memory.buffer, outBase, nI * LAY.outDim) : null;
  let idxView = LAY.outIdxDim > 0 ? new Int32Array(memory.buffer, idxBase, nI * LAY.outIdxDim) : null;
  let crView = new Int32Array(memory.buffer, crBase, crCap);
  const span = (i0, i1, cr, r0, r1) => {
    const n = 2 * (r1 - r0);
    if (n > crCap) {
      ensure(crBase + 4 * n);
      crCap = (memory.buffer.byteLength - crBase) >> 2;
      crView = new Int32Array(memory.buffer, crBase, crCap);
      if (outView) outView = new F(memory.buffer, outBase, nI * LAY.outDim);
      if (idxView) idxView = new Int32Array(memory.buffer, idxBase, nI * LAY.outIdxDim);
    }
    for (let k = 0; k < n; k++) crView[k] = cr[2 * r0 + k];
    // Calls of bounded work: V8 first runs a module in its baseline tier and switches a function
    // to optimized code between calls (never inside one), so long spans are cut into blocks.
    let cols = 0;
    for (let k = 0; k < n; k += 2) cols += crView[k + 1] - crView[k];
    const step = Math.max(1, Math.floor(BLOCK_PAIRS / Math.max(1, cols)));
    for (let s = i0; s < i1; s += step) run(s, Math.min(i1, s + step), crBase, 0, r1 - r0);
    if (outView) out.set(outView.subarray(i0 * LAY.outDim, i1 * LAY.outDim), i0 * LAY.outDim);
    if (idxView) outIdx.set(idxView.subarray(i0 * LAY.outIdxDim, i1 * LAY.outIdxDim), i0 * LAY.outIdxDim);
  };
  return { span };
};
`;
}
