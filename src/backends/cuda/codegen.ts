import { planPasses } from '../../kernel/passes/split.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import { declareState } from '../common/state.js';
import { cType } from './dialect.js';
import { cudaGemmPlan } from './gemm.js';
import {
  eachPass,
  emitColumnLoop,
  emitFinalize,
  emitRowLoads,
  emitSharedDecl,
  type Gen,
  inputParams,
  kernel,
  newBuf,
  partAt,
  passSpec,
} from './kernelParts.js';
import { type SlotLayout, slotLayout } from './layout.js';
import { passEmits } from './passes.js';

/** Version of the generated code; part of every cache key. Bump it when the codegen changes. */
export const CUDA_CODEGEN_VERSION = 2;

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
 *    formulas dominated by dot products over a large D take the tiled path of gemm.ts (the feature
 *    dimension streamed in shared-memory blocks, running sums of 16 columns per thread);
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
  /** Dynamic shared memory of a launch: `perThread * blockSize + fixed` bytes. */
  shared: { perThread: number; fixed: number };
  /** Vector reductions computed by the tiled path (gemm.ts); 0 when the kernels are untiled. */
  tiledSites: number;
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
  /**
   * The tiled path for formulas dominated by dot products over a large D (gemm.ts); on by
   * default, false keeps one column at a time (for comparisons).
   */
  gemm?: boolean;
}

const PRELUDE = `#ifndef LT_PRELUDE
#define LT_PRELUDE
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#endif`;

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
  const plan = planPasses(spec);
  const { passes, dynamic } = passEmits(spec, plan);
  const gemm = opts.gemm === false ? undefined : cudaGemmPlan(spec, plan === undefined);
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
    layout: gemm?.layout ?? slotLayout(spec, dynamic),
    passes,
    PF,
    PI,
    fastMath: opts.fastMath ?? false,
    gemm,
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
    shared: gemm ? { perThread: 0, fixed: gemm.sharedBytes } : { perThread: g.layout.tileRowBytes, fixed: 0 },
    tiledSites: gemm?.sites.length ?? 0,
    partF: PF,
    partI: PI,
    accBytes: A === 'double' ? 8 : 4,
    passes: passes.reduce((n, p) => n + (p.loop?.count ?? 1), 0),
  };
}
