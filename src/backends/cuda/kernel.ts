import { check } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import type { FloatArray } from '../../ndarray.js';
import { validateRunArgs } from '../common/runargs.js';
import type { CompiledKernel, KernelRanges, RunArgs } from '../types.js';
import type { GeneratedCuda, KernelEntry } from './codegen.js';
import type { CudaContext } from './context.js';
import { DeviceArray, isDeviceArray, uploadArray } from './device-array.js';
import type { Handle } from './driver.js';
import { blockSize, buildSegments, forcedSplit, type SplitPlan, splitPlan } from './plan.js';

/** A loaded kernel function and its launch limit. */
export interface LoadedFn {
  entry: KernelEntry;
  fn: Handle;
  /** Most threads per block this function can be launched with (registers permitting). */
  maxThreads: number;
}

/** Which scheme to use: 'auto' picks the 2-D one for few rows and many columns. */
export type Scheme = 'auto' | '1d' | '2d';

/** What a kernel needs from its backend. */
export interface KernelHost {
  readonly ctx: CudaContext;
  readonly scheme: Scheme;
  /** The 2-D scheme's kernels (compiled on first use). */
  splitFns(kernel: CudaKernel): { partial: LoadedFn; merge: LoadedFn };
}

/** Inputs of a device-level run: DeviceArrays (kept on the GPU) or host arrays (copied for this call). */
export interface DeviceRunArgs {
  inputs: readonly (DeviceArray | FloatArray)[];
  nI: number;
  nJ: number;
  /** Where to write the values ([nI, outDim]); a new DeviceArray when omitted. */
  out?: DeviceArray;
  /** Where to write the indices ([nI, outIdxDim]); a new DeviceArray when omitted. */
  outIdx?: DeviceArray;
  ranges?: KernelRanges;
}

/** Outputs of a device-level run, still on the GPU (the kernel may still be running). */
export interface DeviceRunResult {
  out?: DeviceArray;
  outIdx?: DeviceArray;
}

/** Host inputs up to this many bytes go through one page-locked staging copy. */
const STAGE_LIMIT = 64 * 1024 * 1024;

function align(n: number): number {
  return Math.ceil(n / 256) * 256;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

interface Pointers {
  inputs: bigint[];
  out: bigint;
  outIdx: bigint;
  seg?: { ptr: bigint; blocks: number; slices: bigint; cols: bigint };
}

/**
 * A compiled reduction on the GPU. `run` takes host arrays (RunArgs) and waits for the result;
 * `runDevice` takes DeviceArrays (or host arrays) and returns DeviceArrays without waiting, so
 * iterative solvers keep their state on the GPU between steps.
 */
export class CudaKernel implements CompiledKernel {
  readonly backend = 'cuda';
  private readonly bs: number;

  constructor(
    readonly spec: KernelSpec,
    readonly gen: GeneratedCuda,
    private readonly host: KernelHost,
    readonly main: LoadedFn,
  ) {
    this.bs = blockSize(
      main.maxThreads,
      gen.shared.perThread,
      host.ctx.info.sharedPerBlock - gen.shared.fixed,
    );
  }

  private get elem(): number {
    return this.spec.dtype === 'float32' ? 4 : 8;
  }

  /** The one run check (sizes, dtypes, outputs, ranges), then that device inputs live in this context. */
  private check(args: RunArgs | DeviceRunArgs, optionalOutputs: boolean): void {
    validateRunArgs(this.spec, args, { device: true, optionalOutputs });
    for (const a of args.inputs) {
      check(
        ArrayBuffer.isView(a) || isDeviceArray(a),
        () =>
          `the cuda backend reads host arrays or its own device arrays, got a device buffer of backend '${(a as { backend?: string }).backend}'`,
      );
      if (isDeviceArray(a) && a.ctx !== this.host.ctx) {
        throw new TypeError('a DeviceArray of another CUDA context was passed to this kernel');
      }
    }
  }

  /** Runs on host arrays (DeviceArray inputs are accepted too) and waits for the output. */
  run(args: RunArgs): void {
    const { spec } = this;
    const { nI, nJ, ranges } = args;
    const inputs = args.inputs as readonly (DeviceArray | FloatArray)[];
    this.check(args, false);
    const outN = nI * spec.outDim;
    const idxN = nI * spec.outIdxDim;
    if (nI === 0) return;
    const { ctx } = this.host;
    ctx.guard(() => {
      ctx.makeCurrent();
      const seg = ranges ? buildSegments(ranges, nI, this.bs) : undefined;
      // Host pieces, packed at 256-byte offsets into one device buffer.
      const pieces: { view: ArrayBufferView; off: number }[] = [];
      let total = 0;
      const place = (view: ArrayBufferView) => {
        pieces.push({ view, off: total });
        total += align(view.byteLength);
        return pieces.length - 1;
      };
      const slot = inputs.map((a) => (isDeviceArray(a) ? -1 : place(a)));
      const rIdx = seg && ranges ? [place(seg), place(ranges.slices), place(ranges.colRanges)] : [];
      const outBytes = outN * this.elem;
      const outTotal = align(outBytes) + idxN * 4;
      const staged = total + outTotal <= STAGE_LIMIT;
      const st = staged ? ctx.staging(total + outTotal) : undefined;
      const inDev = total > 0 ? ctx.scratch('in', total) : 0n;
      if (st) {
        const u8 = new Uint8Array(st.view);
        for (const p of pieces) u8.set(bytesOf(p.view), p.off);
        ctx.upload(inDev, st.addr, total);
      } else {
        for (const p of pieces) ctx.upload(inDev + BigInt(p.off), p.view, p.view.byteLength);
      }
      const devOf = (k: number) => inDev + BigInt(pieces[k]!.off);
      const outDev = ctx.scratch('out', outTotal);
      const ptrs: Pointers = {
        inputs: inputs.map((a, s) => (isDeviceArray(a) ? a.ptr : devOf(slot[s]!))),
        out: outDev,
        outIdx: outDev + BigInt(align(outBytes)),
        seg: seg
          ? { ptr: devOf(rIdx[0]!), blocks: seg.length / 3, slices: devOf(rIdx[1]!), cols: devOf(rIdx[2]!) }
          : undefined,
      };
      this.enqueue(ptrs, nI, nJ);
      if (st) {
        ctx.download(st.addr + BigInt(total), outDev, outTotal);
        ctx.sync();
        if (args.out) {
          args.out.set(
            spec.dtype === 'float32'
              ? new Float32Array(st.view, total, outN)
              : new Float64Array(st.view, total, outN),
          );
        }
        if (args.outIdx) args.outIdx.set(new Int32Array(st.view, total + align(outBytes), idxN));
      } else {
        if (args.out) ctx.download(args.out, ptrs.out, outBytes);
        if (args.outIdx) ctx.download(args.outIdx, ptrs.outIdx, idxN * 4);
        ctx.sync();
      }
    });
  }

  /**
   * Queues the reduction and returns its outputs as DeviceArrays without waiting. Host-array inputs
   * are copied for this call only; DeviceArray inputs stay where they are.
   */
  runDevice(args: DeviceRunArgs): DeviceRunResult {
    const { spec } = this;
    const { nI, nJ, ranges } = args;
    this.check(args, true);
    const { ctx } = this.host;
    return ctx.guard(() => {
      ctx.makeCurrent();
      const temps: DeviceArray[] = [];
      const dev = (a: DeviceArray | FloatArray | Int32Array): DeviceArray => {
        if (isDeviceArray(a)) return a;
        const d = uploadArray(ctx, a);
        temps.push(d);
        return d;
      };
      try {
        const out =
          spec.outDim > 0 ? (args.out ?? new DeviceArray(ctx, spec.dtype, [nI, spec.outDim])) : undefined;
        const outIdx =
          spec.outIdxDim > 0
            ? (args.outIdx ?? new DeviceArray(ctx, 'int32', [nI, spec.outIdxDim]))
            : undefined;
        if (nI === 0) return { out, outIdx };
        const seg = ranges ? buildSegments(ranges, nI, this.bs) : undefined;
        const ptrs: Pointers = {
          inputs: args.inputs.map((a) => dev(a).ptr),
          out: out?.ptr ?? 0n,
          outIdx: outIdx?.ptr ?? 0n,
          seg:
            seg && ranges
              ? {
                  ptr: dev(seg).ptr,
                  blocks: seg.length / 3,
                  slices: dev(ranges.slices).ptr,
                  cols: dev(ranges.colRanges).ptr,
                }
              : undefined,
        };
        this.enqueue(ptrs, nI, nJ);
        return { out, outIdx };
      } finally {
        // Back to the pool: any reuse is queued on the same stream, after this kernel.
        for (const t of temps) t.free();
      }
    });
  }

  /** The 2-D split for a dense run, if any. */
  private split(nI: number, nJ: number): SplitPlan | undefined {
    const { scheme, ctx } = this.host;
    if (scheme === '1d' || nJ === 0) return undefined;
    if (scheme === '2d') return forcedSplit(nJ, this.bs, 3);
    return splitPlan(nI, nJ, this.bs, ctx.info.smCount);
  }

  /** Queues the launches of one reduction. */
  private enqueue(p: Pointers, nI: number, nJ: number): void {
    const { ctx } = this.host;
    const { perThread, fixed } = this.gen.shared;
    const sharedFor = (bs: number) => bs * perThread + fixed;
    const launch = (
      f: LoadedFn,
      grid: [number, number, number],
      bs: number,
      smem: number,
      values: (bigint | number)[],
    ) => {
      const params = ctx.packArgs(f.entry.params, values);
      ctx.driver.launchKernel(f.fn, grid, [bs, 1, 1], smem, ctx.stream, params);
    };
    if (p.seg) {
      launch(this.main, [p.seg.blocks, 1, 1], this.bs, sharedFor(this.bs), [
        ...p.inputs,
        p.out,
        p.outIdx,
        nI,
        nJ,
        p.seg.ptr,
        p.seg.slices,
        p.seg.cols,
      ]);
      return;
    }
    const split = this.split(nI, nJ);
    if (!split) {
      launch(this.main, [Math.ceil(nI / this.bs), 1, 1], this.bs, sharedFor(this.bs), [
        ...p.inputs,
        p.out,
        p.outIdx,
        nI,
        nJ,
        0n,
        0n,
        0n,
      ]);
      return;
    }
    const { partial, merge } = this.host.splitFns(this);
    const bs2 = blockSize(partial.maxThreads, perThread, ctx.info.sharedPerBlock - fixed);
    const fBytes = align(split.nSplit * this.gen.partF * nI * this.gen.accBytes);
    const part = ctx.scratch('part', fBytes + split.nSplit * this.gen.partI * nI * 4);
    launch(partial, [Math.ceil(nI / bs2), split.nSplit, 1], bs2, sharedFor(bs2), [
      ...p.inputs,
      part,
      part + BigInt(fBytes),
      nI,
      nJ,
      split.chunk,
    ]);
    const bm = blockSize(merge.maxThreads, 0, ctx.info.sharedPerBlock);
    launch(merge, [Math.ceil(nI / bm), 1, 1], bm, 0, [
      part,
      part + BigInt(fBytes),
      p.out,
      p.outIdx,
      nI,
      split.nSplit,
    ]);
  }
}
