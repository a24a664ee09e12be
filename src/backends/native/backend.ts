import { check, LazyTensorError } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { jsBackend } from '../js/index.js';
import type { Backend, BackendStatus, CompiledKernel, RunArgs } from '../types.js';
import { type LibraryEntry, pollLibrary, requestLibrary, waitLibrary } from './libraries.js';
import { nativeThreads, resolveNativeOptions } from './options.js';
import { stats } from './stats.js';
import { toolState } from './toolstate.js';

/** Below this many pairs a call runs on one thread (thread start-up would dominate). */
const SERIAL_PAIRS = 1 << 16;

/**
 * A native kernel. While its library is being built it runs on the JS backend; each call checks
 * (one atomic load) whether the build finished and switches to native code as soon as it has.
 */
export class NativeKernel implements CompiledKernel {
  readonly backend = 'native';
  /** Which engine served the last call. */
  lastEngine: 'native' | 'js' | undefined;
  private js: CompiledKernel | undefined;

  constructor(
    readonly spec: KernelSpec,
    private readonly lib: LibraryEntry | undefined,
    private readonly symbol: string,
  ) {}

  /** 'ready' once native code serves calls; 'pending' while compiling; 'failed' when the JS backend serves them for good. */
  get state(): 'ready' | 'pending' | 'failed' {
    return this.lib ? pollLibrary(this.lib) : 'failed';
  }

  /** Blocks until the library is built (or failed). */
  waitReady(): 'ready' | 'failed' {
    return this.lib ? (waitLibrary(this.lib) as 'ready' | 'failed') : 'failed';
  }

  run(args: RunArgs): void {
    const entry = this.entry();
    if (!entry) {
      this.fallback(args);
      return;
    }
    const code = entry.call(this.cArgs(args));
    this.after(code);
  }

  /**
   * Runs on a koffi worker thread so that the event loop stays free. The buffers must not be
   * touched until the promise settles.
   */
  async runAsync(args: RunArgs): Promise<void> {
    const entry = this.entry();
    if (!entry) {
      this.fallback(args);
      return;
    }
    const code = await entry.callAsync(this.cArgs(args));
    this.after(code);
  }

  private entry() {
    if (!this.lib || pollLibrary(this.lib) !== 'ready') return undefined;
    return this.lib.entries.get(this.symbol);
  }

  private fallback(args: RunArgs): void {
    stats.fallbackRuns++;
    this.lastEngine = 'js';
    this.js ??= jsBackend.compile(this.spec);
    this.js.run(args);
  }

  private after(code: number): void {
    if (code !== 0) throw new LazyTensorError('native kernel could not allocate its working memory');
    stats.nativeRuns++;
    this.lastEngine = 'native';
  }

  /** Validates the buffers (C++ trusts them) and lays out the C arguments. */
  private cArgs(args: RunArgs): unknown[] {
    const { spec } = this;
    const { inputs, nI, nJ, out, outIdx, ranges } = args;
    const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
    check(
      Number.isInteger(nI) && nI >= 0 && nI < 2 ** 31,
      () => `nI must be an integer in [0, 2^31), got ${nI}`,
    );
    check(
      Number.isInteger(nJ) && nJ >= 0 && nJ < 2 ** 31,
      () => `nJ must be an integer in [0, 2^31), got ${nJ}`,
    );
    check(
      inputs.length === spec.slots.length,
      () => `expected ${spec.slots.length} input arrays, got ${inputs.length}`,
    );
    spec.slots.forEach((slot, s) => {
      const a = inputs[s];
      check(
        a instanceof F,
        () => `input ${s} must be a ${F.name} (kernel dtype ${spec.dtype}), got ${a?.constructor.name}`,
      );
      const need = slot.cat === 'i' ? nI * slot.dim : slot.cat === 'j' ? nJ * slot.dim : slot.dim;
      check(
        a.length >= need,
        () => `input ${s} (${slot.cat}, dim ${slot.dim}) needs ${need} values, got ${a.length}`,
      );
    });
    if (spec.outDim > 0) {
      check(out instanceof F, () => `out must be a ${F.name}, got ${out?.constructor.name}`);
      check(out.length >= nI * spec.outDim, () => `out needs ${nI * spec.outDim} values, got ${out.length}`);
    }
    if (spec.outIdxDim > 0) {
      check(
        outIdx instanceof Int32Array,
        () => `outIdx must be an Int32Array, got ${outIdx?.constructor.name}`,
      );
      check(
        outIdx.length >= nI * spec.outIdxDim,
        () => `outIdx needs ${nI * spec.outIdxDim} values, got ${outIdx.length}`,
      );
    }
    let rr: Int32Array | null = null;
    let sl: Int32Array | null = null;
    let cr: Int32Array | null = null;
    if (ranges) {
      ({ rowRanges: rr, slices: sl, colRanges: cr } = ranges);
      check(
        rr instanceof Int32Array && sl instanceof Int32Array && cr instanceof Int32Array,
        'ranges must be three Int32Arrays',
      );
      const nb = sl.length;
      check(
        rr.length >= 2 * nb,
        () => `rowRanges needs ${2 * nb} values for ${nb} blocks, got ${rr!.length}`,
      );
      const nr = Math.floor(cr.length / 2);
      for (let b = 0; b < nb; b++) {
        const s = sl[b]!;
        check(s >= 0 && s <= nr, () => `slices[${b}] = ${s} is outside [0, ${nr}] (column ranges available)`);
      }
    }
    const pairs = nI * nJ;
    const threads = pairs < SERIAL_PAIRS ? 1 : nativeThreads();
    return [
      ...inputs,
      nI,
      nJ,
      spec.outDim > 0 ? out! : null,
      spec.outIdxDim > 0 ? outIdx! : null,
      rr,
      sl,
      cr,
      sl ? sl.length : -1,
      threads,
    ];
  }
}

const kernels = new Map<string, NativeKernel>();

function kernelKey(spec: KernelSpec): string {
  return `${toolState().key}\0${spec.key}`;
}

/** Forgets the in-memory kernels (after clearing the cache or changing options). */
export function forgetKernels(): void {
  kernels.clear();
}

/**
 * Compiles several specs into one library (one compiler run: much cheaper than one per spec).
 * Specs already known in this process are skipped. In sync mode this returns when the library
 * is loaded; otherwise it builds in the background.
 */
export function precompileNative(specs: readonly KernelSpec[]): NativeKernel[] {
  const fresh: KernelSpec[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const k = kernelKey(s);
    if (!kernels.has(k) && !seen.has(k)) {
      seen.add(k);
      fresh.push(s);
    }
  }
  if (fresh.length > 0) {
    const lib = requestLibrary(fresh);
    fresh.forEach((s, k) => kernels.set(kernelKey(s), new NativeKernel(s, lib, `lt_k${k}`)));
  }
  return specs.map((s) => kernels.get(kernelKey(s))!);
}

function status(): BackendStatus {
  const t = toolState();
  if (t.unavailable || !t.toolchain) return { available: false, reason: t.unavailable ?? 'no C++ compiler' };
  const threads = resolveNativeOptions().threads;
  return {
    available: true,
    device: `${t.toolchain.cpuModel.trim()}, ${threads} threads, ${t.toolchain.version}`,
  };
}

/**
 * The native backend: C++ generated from the KernelSpec, compiled by the system compiler at run
 * time, cached on disk, loaded with koffi. Compilation runs in the background unless sync mode is
 * on; calls made meanwhile run on the JS backend.
 */
export const nativeBackend: Backend = {
  name: 'native',
  status,
  compile(spec: KernelSpec): CompiledKernel {
    return precompileNative([spec])[0]!;
  },
};
