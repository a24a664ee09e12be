import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import { CodeBuffer } from '../common/codebuffer.js';
import { cudaDialect } from './dialect.js';
import { type CudaGemm, emitGemmColumnLoop } from './gemm.js';
import type { SlotLayout } from './layout.js';
import { type PassEmit, range } from './passes.js';

/**
 * The pieces the CUDA kernels are made of: row loads, j-tiles in shared memory, the column loop
 * of one pass, the output writes, the partial-state addresses and the kernel signature.
 */

/** What every emitter of one module reads: the spec, its C types, slot layout and passes. */
export interface Gen {
  spec: KernelSpec;
  T: string;
  A: string;
  layout: SlotLayout;
  passes: PassEmit[];
  /** Partial state per row (all passes). */
  PF: number;
  PI: number;
  fastMath: boolean;
  /** The tiled path for dot-product-dominated formulas (gemm.ts), when the spec takes it. */
  gemm?: CudaGemm;
}

/** Runs `body` once per pass: inside a `for (c0 ...)` loop for looped passes. */
export function eachPass(buf: CodeBuffer, g: Gen, body: (pass: PassEmit, p: number) => void): void {
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

export function newBuf(g: Gen): CodeBuffer {
  return new CodeBuffer(
    cudaDialect(g.spec.dtype, { accumulator: g.spec.reduction.accumulator, fastMath: g.fastMath }),
  );
}

export function inputParams(g: Gen): string[] {
  return g.spec.slots.map((_, s) => `const ${g.T}* __restrict__ in${s}`);
}

/** Loads parameters and i-variables kept in registers, and row pointers of the others. */
export function emitRowLoads(buf: CodeBuffer, g: Gen): void {
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
export function loader(g: Gen) {
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
export function emitTileLoad(buf: CodeBuffer, g: Gen, endExpr: string): void {
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
export function emitColumnLoop(buf: CodeBuffer, g: Gen, pass: PassEmit, acc: AccState): void {
  const red = reductionDef(pass.shape.kind);
  const ld = loader(g);
  if (g.gemm) {
    const e = {
      spec: g.spec,
      T: g.T,
      gemm: g.gemm,
      ld,
      value: (b: CodeBuffer, pre: ReadonlyMap<number, string>) => pass.value(b, ld, pre),
    };
    emitGemmColumnLoop(buf, e, pass.shape, acc);
    return;
  }
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

export function emitSharedDecl(buf: CodeBuffer, g: Gen): void {
  if (g.layout.tileRow === 0 && !g.gemm) return;
  buf.stmt('extern __shared__ __align__(16) unsigned char lt_smem[];');
  buf.stmt(`${g.T}* __restrict__ tile = reinterpret_cast<${g.T}*>(lt_smem);`);
}

/** A bare `{ ... }` scope. */
export function scope(buf: CodeBuffer, body: () => void): void {
  buf.stmt('{');
  body();
  buf.stmt('}');
}

export function passSpec(g: Gen, pass: PassEmit): KernelSpec {
  return { ...g.spec, reduction: pass.shape };
}

/** Writes a pass's outputs for row i (guarded for a partial last chunk). */
export function emitFinalize(buf: CodeBuffer, g: Gen, pass: PassEmit, acc: AccState): void {
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
export function partAt(total: number, off: string, k: number, split: string): string {
  return `((size_t)${split} * ${total} + ${off === '0' ? k : `${off} + ${k}`}) * nI + i`;
}

export function kernel(name: string, params: string[], body: CodeBuffer): string {
  const inner = body
    .toString()
    .split('\n')
    .map((l) => (l.startsWith('#') ? l : `  ${l}`))
    .join('\n');
  return `extern "C" __global__ void ${name}(\n    ${params.join(',\n    ')}) {\n${inner}\n}`;
}
