import type { Node } from '../../formula/node.js';
import { elementwiseTree } from '../../kernel/passes/elementwise.js';
import { gather } from '../../kernel/passes/gather.js';
import { type PassPlan, planPasses, stateOf } from '../../kernel/passes/split.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, type ReductionShape, reductionDef } from '../../reduction/index.js';
import { CodeBuffer } from '../common/codebuffer.js';
import { declareState } from '../common/state.js';
import { emitCudaChunks, emitCudaComponentsAt, type SlotLoader, vectorSlots } from './chunk.js';
import { cType, cudaDialect } from './dialect.js';
import { type SlotLayout, slotLayout } from './layout.js';

/** Version of the generated code; part of every cache key. Bump it when the codegen changes. */
export const CUDA_CODEGEN_VERSION = 1;

/** Largest block the launcher uses. */
export const MAX_BLOCK = 256;

/** Kind of one kernel parameter, in order: a device pointer or a 32-bit int. */
export type ParamKind = 'ptr' | 'int';

/** A kernel of the generated module: its name and parameter kinds. */
export interface KernelEntry {
  name: string;
  params: readonly ParamKind[];
}

/**
 * The CUDA code of one spec, as two modules compiled separately (the second only when needed):
 *  - `main`: one thread per output row, j-tiles staged in shared memory, dense or block-sparse
 *    (params: inputs..., out, outIdx, nI, nJ, seg, slices, colRanges; seg = null for dense runs);
 *  - `split` holds the 2-D scheme for few rows and many columns: `partial`, where block (x, y)
 *    reduces the rows of block x over column chunk y and stores its state (params: inputs...,
 *    partF, partI, nI, nJ, chunk), and `merge`, which folds the nSplit partial states of each row
 *    with the reduction's merge and writes the output (params: partF, partI, out, outIdx, nI, nSplit).
 */
export interface GeneratedCuda {
  sources: { main: string; split: string };
  main: KernelEntry;
  partial: KernelEntry;
  merge: KernelEntry;
  layout: SlotLayout;
  /** Float (accumulator type) and int scalars of state per row stored by `partial`. */
  partF: number;
  partI: number;
  /** Bytes of one accumulator float. */
  accBytes: 4 | 8;
  /** Number of passes over j (output split for large states). */
  passes: number;
}

/** Code generation options (they are part of the cache key). */
export interface CudaCodegenOptions {
  /** Use `__expf`-style intrinsics for float32. */
  fastMath?: boolean;
  /** Prefix of kernel names (default 'lt'); lets many modules share one translation unit. */
  prefix?: string;
}

const PRELUDE = `#ifndef LT_PRELUDE
#define LT_PRELUDE
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#endif`;

/**
 * One pass of the kernel over j: a single pass, or a run-time loop of identical passes over the
 * output chunks (`c0` = 0, chunk, 2 chunk, ...) when the split components are an elementwise
 * expression that can be evaluated at a run-time component index.
 */
interface PassEmit {
  shape: ReductionShape;
  loop?: { count: number; chunk: number };
  /** Emits the value components this pass reduces. */
  value(buf: CodeBuffer, ld: SlotLoader): string[];
  outIndex(k: number): string;
  /** For a loop whose last chunk is partial: the condition under which output k exists. */
  outGuard?(k: number): string;
  stateF: number;
  stateI: number;
  /** Offsets of this pass's state in a row of the 2-D scheme's partial state (expressions). */
  offF: string;
  offI: string;
}

interface Gen {
  spec: KernelSpec;
  T: string;
  A: string;
  layout: SlotLayout;
  passes: PassEmit[];
  /** Partial state per row (all passes). */
  PF: number;
  PI: number;
  fastMath: boolean;
}

const range = (a: number, n: number) => Array.from({ length: n }, (_, k) => a + k);

/** The passes of a spec and the slots they read at run-time indices. */
function passEmits(spec: KernelSpec, plan: PassPlan | undefined): { passes: PassEmit[]; dynamic: number[] } {
  const n = spec.slots.length;
  if (!plan) {
    const st = stateOf(spec.reduction);
    const pass: PassEmit = {
      shape: spec.reduction,
      value: (buf, ld) => emitCudaChunks(buf, spec.formula, n, ld),
      outIndex: (k) => String(k),
      stateF: st.f,
      stateI: st.i,
      offF: '0',
      offI: '0',
    };
    return { passes: [pass], dynamic: [] };
  }
  const { width, offset, fixed } = plan;
  const vec: Node = gather(spec.formula, range(offset, width));
  const nPass = Math.ceil(width / plan.chunk);
  const dyn = nPass >= 2 && vec.dim > 1 && elementwiseTree(vec);
  const passes: PassEmit[] = [];
  const fixedNode = fixed.length > 0 ? gather(spec.formula, fixed) : undefined;
  if (dyn) {
    // One run-time loop over balanced chunks; the last one may be partial: its loads are clamped
    // to the last component and its missing outputs are not written.
    const chunk = Math.ceil(width / nPass);
    const partial = chunk * nPass !== width;
    const st = stateOf(plan.shape(chunk));
    passes.push({
      shape: plan.shape(chunk),
      loop: { count: nPass, chunk },
      value: (buf, ld) => [
        ...(fixedNode ? emitCudaChunks(buf, fixedNode, n, ld) : []),
        ...emitCudaComponentsAt(
          buf,
          vec,
          n,
          ld,
          (u) =>
            partial ? `(c0 + ${u} < ${width} ? c0 + ${u} : ${width - 1})` : u === 0 ? 'c0' : `c0 + ${u}`,
          chunk,
        ),
      ],
      outIndex: (k) => plan.outIndex(k, chunk, 'c0'),
      outGuard: partial ? (k) => `c0 + ${plan.compOf(k, chunk)} < ${width}` : undefined,
      stateF: st.f,
      stateI: st.i,
      offF: `(c0 / ${chunk}) * ${st.f}`,
      offI: `(c0 / ${chunk}) * ${st.i}`,
    });
    return { passes, dynamic: vectorSlots(vec) };
  }
  const chunk = plan.chunk;
  let offF = 0;
  let offI = 0;
  for (let c0 = 0; c0 < width; c0 += chunk) {
    const w = Math.min(chunk, width - c0);
    const shape = plan.shape(w);
    const st = stateOf(shape);
    const f = gather(spec.formula, [...fixed, ...range(offset + c0, w)]);
    passes.push({
      shape,
      value: (buf, ld) => emitCudaChunks(buf, f, n, ld),
      outIndex: (k) => plan.outIndex(k, w, String(c0)),
      stateF: st.f,
      stateI: st.i,
      offF: String(offF),
      offI: String(offI),
    });
    offF += st.f;
    offI += st.i;
  }
  return { passes, dynamic: [] };
}

/** Runs `body` once per pass: inside a `for (c0 ...)` loop for looped passes. */
function eachPass(buf: CodeBuffer, g: Gen, body: (pass: PassEmit, p: number) => void): void {
  g.passes.forEach((pass, p) => {
    if (pass.loop) {
      buf.stmt('#pragma unroll 1');
      buf.block(`for (int c0 = 0; c0 < ${pass.loop.count * pass.loop.chunk}; c0 += ${pass.loop.chunk})`, () =>
        body(pass, p),
      );
    } else {
      scope(buf, () => body(pass, p));
    }
  });
}

function newBuf(g: Gen): CodeBuffer {
  return new CodeBuffer(
    cudaDialect(g.spec.dtype, { accumulator: g.spec.reduction.accumulator, fastMath: g.fastMath }),
  );
}

function inputParams(g: Gen): string[] {
  return g.spec.slots.map((_, s) => `const ${g.T}* __restrict__ in${s}`);
}

/** Loads parameters and i-variables kept in registers, and row pointers of the others. */
function emitRowLoads(buf: CodeBuffer, g: Gen): void {
  const { T } = g;
  g.spec.slots.forEach((slot, s) => {
    const mode = g.layout.modes[s];
    if (slot.cat === 'p' && mode === 'reg') {
      for (let k = 0; k < slot.dim; k++) buf.stmt(`const ${T} p${s}_${k} = in${s}[${k}];`);
    }
    if (slot.cat === 'i') {
      if (mode === 'reg') {
        for (let k = 0; k < slot.dim; k++) buf.stmt(`${T} x${s}_${k} = 0;`);
        buf.block('if (active)', () => {
          for (let k = 0; k < slot.dim; k++) buf.stmt(`x${s}_${k} = in${s}[(size_t)i * ${slot.dim} + ${k}];`);
        });
      } else {
        buf.stmt(`const ${T}* __restrict__ xr${s} = in${s} + (size_t)(active ? i : 0) * ${slot.dim};`);
      }
    }
  });
}

/** Expressions of slot components inside the j-loop (`t` is the tile row, `j` the column). */
function loader(g: Gen) {
  const at = (s: number, k: string): string => {
    const slot = g.spec.slots[s]!;
    const mode = g.layout.modes[s];
    if (slot.cat === 'p') return mode === 'reg' ? `p${s}_${k}` : `in${s}[${k}]`;
    if (slot.cat === 'i') return mode === 'reg' ? `x${s}_${k}` : `xr${s}[${k}]`;
    if (mode === 'shared') {
      const off = g.layout.tileOffset[s]!;
      return `yt[${off === 0 ? k : `${off} + ${k}`}]`;
    }
    return `yr${s}[${k}]`;
  };
  return {
    load: (s: number, k: number) => at(s, String(k)),
    loadAt: (s: number, k: string) => {
      const slot = g.spec.slots[s]!;
      if (slot.cat === 'p' || (slot.cat === 'i' && g.layout.modes[s] !== 'reg')) return at(s, k);
      if (slot.cat === 'j') return at(s, `(${k})`);
      throw new Error(`internal: slot ${s} is indexed at run time but lives in registers`);
    },
  };
}

/** Cooperative copy of tile rows [jt, jt + n) of the shared slots into `tile`. */
function emitTileLoad(buf: CodeBuffer, g: Gen, endExpr: string): void {
  const tr = g.layout.tileRow;
  g.spec.slots.forEach((slot, s) => {
    if (g.layout.modes[s] !== 'shared') return;
    const off = g.layout.tileOffset[s]!;
    const D = slot.dim;
    if (D <= 8) {
      scope(buf, () => {
        buf.stmt('const int jl = jt + (int)threadIdx.x;');
        buf.block('if (jl < ' + endExpr + ')', () => {
          for (let k = 0; k < D; k++) {
            buf.stmt(`tile[(int)threadIdx.x * ${tr} + ${off + k}] = in${s}[(size_t)jl * ${D} + ${k}];`);
          }
        });
      });
    } else {
      // Coalesced: consecutive threads copy consecutive elements of the slot's rows.
      scope(buf, () => {
        buf.stmt(
          `const int ne = (${endExpr} - jt < (int)blockDim.x ? ${endExpr} - jt : (int)blockDim.x) * ${D};`,
        );
        buf.block('for (int e = (int)threadIdx.x; e < ne; e += (int)blockDim.x)', () => {
          buf.stmt(`tile[(e / ${D}) * ${tr} + ${off} + e % ${D}] = in${s}[(size_t)jt * ${D} + e];`);
        });
      });
    }
  });
}

/** The reduction of one pass over columns [jb, je) (both block-uniform). */
function emitColumnLoop(buf: CodeBuffer, g: Gen, pass: PassEmit, acc: AccState): void {
  const red = reductionDef(pass.shape.kind);
  const ld = loader(g);
  const needJ =
    pass.stateI > 0 || g.layout.modes.some((m, s) => m === 'global' && g.spec.slots[s]!.cat === 'j');
  const body = () => {
    g.spec.slots.forEach((slot, s) => {
      if (slot.cat === 'j' && g.layout.modes[s] === 'global') {
        buf.stmt(`const ${g.T}* __restrict__ yr${s} = in${s} + (size_t)j * ${slot.dim};`);
      }
    });
    red.accumulate(buf, pass.shape, acc, pass.value(buf, ld), 'j');
  };
  if (g.layout.tileRow === 0) {
    buf.block('if (active)', () => {
      buf.block('for (int j = jb; j < je; j++)', body);
    });
    return;
  }
  buf.block('for (int jt = jb; jt < je; jt += (int)blockDim.x)', () => {
    emitTileLoad(buf, g, 'je');
    buf.stmt('__syncthreads();');
    buf.block('if (active)', () => {
      buf.stmt('const int nt = je - jt < (int)blockDim.x ? je - jt : (int)blockDim.x;');
      buf.block('for (int t = 0; t < nt; t++)', () => {
        if (needJ) buf.stmt('const int j = jt + t;');
        buf.stmt(`const ${g.T}* __restrict__ yt = tile + t * ${g.layout.tileRow};`);
        body();
      });
    });
    buf.stmt('__syncthreads();');
  });
}

function emitSharedDecl(buf: CodeBuffer, g: Gen): void {
  if (g.layout.tileRow === 0) return;
  buf.stmt('extern __shared__ __align__(16) unsigned char lt_smem[];');
  buf.stmt(`${g.T}* __restrict__ tile = reinterpret_cast<${g.T}*>(lt_smem);`);
}

/** A bare `{ ... }` scope. */
function scope(buf: CodeBuffer, body: () => void): void {
  buf.stmt('{');
  body();
  buf.stmt('}');
}

function passSpec(g: Gen, pass: PassEmit): KernelSpec {
  return { ...g.spec, reduction: pass.shape };
}

function mainKernel(g: Gen, name: string): string {
  const buf = newBuf(g);
  const { T } = g;
  emitSharedDecl(buf, g);
  buf.stmt('int i; int rowEnd; int r0; int r1;');
  buf.block('if (seg != 0)', () => {
    buf.stmt('const int sb = 3 * (int)blockIdx.x;');
    buf.stmt('i = seg[sb] + (int)threadIdx.x;');
    buf.stmt('rowEnd = seg[sb + 1];');
    buf.stmt('const int rb = seg[sb + 2];');
    buf.stmt('r0 = rb > 0 ? slices[rb - 1] : 0;');
    buf.stmt('r1 = rb >= 0 ? slices[rb] : 0;');
  });
  buf.block('else', () => {
    buf.stmt('i = (int)(blockIdx.x * blockDim.x + threadIdx.x);');
    buf.stmt('rowEnd = nI;');
    buf.stmt('r0 = 0;');
    buf.stmt('r1 = 1;');
  });
  buf.stmt('const bool active = i < rowEnd;');
  emitRowLoads(buf, g);
  eachPass(buf, g, (pass, p) => {
    const acc = declareState(buf, passSpec(g, pass), `a${p}_`);
    const red = reductionDef(pass.shape.kind);
    red.init(buf, pass.shape, acc);
    buf.block('for (int r = r0; r < r1; r++)', () => {
      buf.stmt('const int jb = seg != 0 ? colRanges[2 * r] : 0;');
      buf.stmt('const int je = seg != 0 ? colRanges[2 * r + 1] : nJ;');
      emitColumnLoop(buf, g, pass, acc);
    });
    buf.block('if (active)', () => emitFinalize(buf, g, pass, acc));
  });
  const params = [
    ...inputParams(g),
    `${T}* __restrict__ out`,
    'int* __restrict__ outIdx',
    'const int nI',
    'const int nJ',
    'const int* __restrict__ seg',
    'const int* __restrict__ slices',
    'const int* __restrict__ colRanges',
  ];
  return kernel(name, params, buf);
}

/** Writes a pass's outputs for row i (guarded for a partial last chunk). */
function emitFinalize(buf: CodeBuffer, g: Gen, pass: PassEmit, acc: AccState): void {
  const red = reductionDef(pass.shape.kind);
  const { spec } = g;
  const out = (k: number) => `out[(size_t)i * ${spec.outDim} + ${pass.outIndex(k)}]`;
  const outIdx = (k: number) => `outIdx[(size_t)i * ${spec.outIdxDim} + ${pass.outIndex(k)}]`;
  const guard = pass.outGuard;
  if (!guard) {
    red.finalize(buf, pass.shape, acc, out, outIdx);
    return;
  }
  const dims = red.outDims(pass.shape);
  const fv = range(0, dims.values).map((k) => `fo_${k}`);
  const fi = range(0, dims.indices).map((k) => `fi_${k}`);
  for (const n of fv) buf.stmt(`${g.T} ${n};`);
  for (const n of fi) buf.stmt(`int ${n};`);
  red.finalize(
    buf,
    pass.shape,
    acc,
    (k) => fv[k]!,
    (k) => fi[k]!,
  );
  fv.forEach((n, k) => buf.stmt(`if (${guard(k)}) ${out(k)} = ${n};`));
  fi.forEach((n, k) => buf.stmt(`if (${guard(k)}) ${outIdx(k)} = ${n};`));
}

/** Address of state scalar k of a pass in the partial buffers: layout [split][component][row] (coalesced). */
function partAt(total: number, off: string, k: number, split: string): string {
  return `((size_t)${split} * ${total} + ${off === '0' ? k : `${off} + ${k}`}) * nI + i`;
}

function partialKernel(g: Gen, name: string): string {
  const buf = newBuf(g);
  const { A } = g;
  emitSharedDecl(buf, g);
  buf.stmt('const int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);');
  buf.stmt('const bool active = i < nI;');
  buf.stmt('const int jb = (int)blockIdx.y * chunk;');
  buf.stmt('const int je = nJ - jb > chunk ? jb + chunk : nJ;');
  emitRowLoads(buf, g);
  eachPass(buf, g, (pass, p) => {
    const acc = declareState(buf, passSpec(g, pass), `a${p}_`);
    reductionDef(pass.shape.kind).init(buf, pass.shape, acc);
    emitColumnLoop(buf, g, pass, acc);
    buf.block('if (active)', () => {
      acc.f.forEach((a, k) => buf.stmt(`partF[${partAt(g.PF, pass.offF, k, 'blockIdx.y')}] = ${a};`));
      acc.i.forEach((a, k) => buf.stmt(`partI[${partAt(g.PI, pass.offI, k, 'blockIdx.y')}] = ${a};`));
    });
  });
  const params = [
    ...inputParams(g),
    `${A}* __restrict__ partF`,
    'int* __restrict__ partI',
    'const int nI',
    'const int nJ',
    'const int chunk',
  ];
  return kernel(name, params, buf);
}

function mergeKernel(g: Gen, name: string): string {
  const buf = newBuf(g);
  const { T, A } = g;
  buf.stmt('const int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);');
  buf.stmt('if (i >= nI) return;');
  eachPass(buf, g, (pass, p) => {
    const red = reductionDef(pass.shape.kind);
    const ps = passSpec(g, pass);
    const acc = declareState(buf, ps, `a${p}_`);
    const load = (st: AccState, split: string) => {
      st.f.forEach((n, k) => buf.stmt(`${n} = partF[${partAt(g.PF, pass.offF, k, split)}];`));
      st.i.forEach((n, k) => buf.stmt(`${n} = partI[${partAt(g.PI, pass.offI, k, split)}];`));
    };
    load(acc, '0');
    buf.block('for (int s = 1; s < nSplit; s++)', () => {
      const other = declareState(buf, ps, `o${p}_`);
      load(other, 's');
      red.merge(buf, pass.shape, acc, other);
    });
    emitFinalize(buf, g, pass, acc);
  });
  const params = [
    `const ${A}* __restrict__ partF`,
    'const int* __restrict__ partI',
    `${T}* __restrict__ out`,
    'int* __restrict__ outIdx',
    'const int nI',
    'const int nSplit',
  ];
  return kernel(name, params, buf);
}

function kernel(name: string, params: string[], body: CodeBuffer): string {
  const inner = body
    .toString()
    .split('\n')
    .map((l) => (l.startsWith('#') ? l : `  ${l}`))
    .join('\n');
  return `extern "C" __global__ void ${name}(\n    ${params.join(',\n    ')}) {\n${inner}\n}`;
}

function kinds(params: string[]): ParamKind[] {
  return params.map((p) => (p.includes('*') ? 'ptr' : 'int'));
}

/**
 * Generates the CUDA C++ module of a spec. Only IR-derived identifiers and exact literals appear
 * in the source; it needs no header (NVRTC compiles it as it is).
 */
export function generateCuda(spec: KernelSpec, opts: CudaCodegenOptions = {}): GeneratedCuda {
  const prefix = opts.prefix ?? 'lt';
  const T = cType(spec.dtype);
  const A = spec.reduction.accumulator === 'float64' ? 'double' : T;
  const { passes, dynamic } = passEmits(spec, planPasses(spec));
  let PF = 0;
  let PI = 0;
  for (const p of passes) {
    const n = p.loop?.count ?? 1;
    PF += n * p.stateF;
    PI += n * p.stateI;
  }
  const g: Gen = {
    spec,
    T,
    A,
    layout: slotLayout(spec, dynamic),
    passes,
    PF,
    PI,
    fastMath: opts.fastMath ?? false,
  };
  const names = { main: `${prefix}_main`, partial: `${prefix}_part`, merge: `${prefix}_merge` };
  const header = `// lazytensor CUDA module (codegen v${CUDA_CODEGEN_VERSION}), ${spec.reduction.kind} ${spec.dtype}`;
  const main = [header, PRELUDE, mainKernel(g, names.main)].join('\n\n');
  const split = [header, PRELUDE, partialKernel(g, names.partial), mergeKernel(g, names.merge)].join('\n\n');
  const nIn = spec.slots.length;
  const inKinds: ParamKind[] = new Array(nIn).fill('ptr');
  return {
    sources: { main: `${main}\n`, split: `${split}\n` },
    main: { name: names.main, params: [...inKinds, ...kinds(['*', '*', 'i', 'i', '*', '*', '*'])] },
    partial: { name: names.partial, params: [...inKinds, ...kinds(['*', '*', 'i', 'i', 'i'])] },
    merge: { name: names.merge, params: kinds(['*', '*', '*', '*', 'i', 'i']) },
    layout: g.layout,
    partF: PF,
    partI: PI,
    accBytes: A === 'double' ? 8 : 4,
    passes: passes.reduce((n, p) => n + (p.loop?.count ?? 1), 0),
  };
}
