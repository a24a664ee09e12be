import { check, LazyTensorError } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { validateRunArgs } from '../common/runargs.js';
import { DeferredKernel, type KernelState } from '../serving.js';
import type { Backend, BackendStatus, CompiledKernel, RunArgs } from '../types.js';
import {
  expectedReadySeconds,
  type LibraryEntry,
  pollLibrary,
  requestLibrary,
  waitLibrary,
} from './libraries.js';
import { nativeMixedRank, nativeThreads, resolveNativeOptions } from './options.js';
import { stats } from './stats.js';
import { toolState } from './toolstate.js';

/** Below this many pairs a call runs on one thread (thread start-up would dominate). */
const SERIAL_PAIRS = 1 << 16;

/**
 * A native kernel. While its library is being built, each call either waits for it or runs on the
 * registry's fallback backend, by the serving policy of ../serving.ts (the `sync` option forces
 * either way); each call checks (one atomic load) whether the build finished and switches to
 * native code as soon as it has.
 */
export class NativeKernel extends DeferredKernel {
  readonly backend = 'native';

  constructor(
    spec: KernelSpec,
    private readonly lib: LibraryEntry | undefined,
    private readonly symbol: string,
  ) {
    super(spec);
  }

  /** 'ready' once native code serves calls; 'pending' while compiling; 'failed' when the fallback serves them for good. */
  get state(): KernelState {
    return this.lib ? pollLibrary(this.lib) : 'failed';
  }

  /** Blocks until the library is built or failed (or `timeoutMs` passed: then 'pending'). */
  waitReady(timeoutMs?: number): KernelState {
    return this.lib ? waitLibrary(this.lib, timeoutMs) : 'failed';
  }

  /** Seconds until the build should be done: the last compile time here (else about 2 s) less the time spent. */
  expectedReadySeconds(): number {
    return this.lib ? expectedReadySeconds(this.lib) : 0;
  }

  protected waitPolicy(): boolean | undefined {
    return resolveNativeOptions().sync;
  }

  protected countFallback(): void {
    stats.fallbackRuns++;
  }

  protected countWaited(): void {
    stats.waitedRuns++;
  }

  protected runReady(args: RunArgs): boolean {
    const entry = this.lib!.entries.get(this.symbol);
    if (!entry) return false;
    validateRunArgs(this.spec, args);
    const code = entry.call(this.cArgs(args));
    this.after(code);
    if (args.groups) args.groups.written = true;
    return true;
  }

  /**
   * Runs on a koffi worker thread so that the event loop stays free. koffi hands C++ the raw
   * memory of typed arrays and keeps no reference to them, so a buffer transferred away (and
   * collected) while the call runs would be freed under it. The call therefore works on private
   * copies of the inputs, ranges and outputs (O(nI + nJ) copying against O(nI nJ) work), held
   * until it ends; the outputs are copied into `out` / `outIdx` when it settles. Rejects with a
   * LazyTensorError when an output was transferred (detached) meanwhile.
   */
  protected async runReadyAsync(args: RunArgs): Promise<boolean> {
    const entry = this.lib!.entries.get(this.symbol);
    if (!entry) return false;
    validateRunArgs(this.spec, args);
    const own = privateCopies(this.spec, args);
    const code = await entry.callAsync(this.cArgs(own));
    this.after(code);
    copyBack(own.out, args.out, 'out');
    copyBack(own.outIdx, args.outIdx, 'outIdx');
    if (own.groups && args.groups) {
      copyBack(own.groups.out, args.groups.out, 'groups.out');
      args.groups.written = true;
    }
    return true;
  }

  private after(code: number): void {
    if (code !== 0) throw new LazyTensorError('native kernel could not allocate its working memory');
    stats.nativeRuns++;
  }

  /** Lays out the C arguments of validated buffers. */
  private cArgs(args: RunArgs): unknown[] {
    const { spec } = this;
    const { inputs, nI, nJ, out, outIdx, ranges } = args;
    const pairs = nI * nJ;
    const threads = pairs < SERIAL_PAIRS ? 1 : nativeThreads();
    return [
      ...inputs,
      nI,
      nJ,
      spec.outDim > 0 ? out! : null,
      spec.outIdxDim > 0 ? outIdx! : null,
      ranges ? ranges.rowRanges : null,
      ranges ? ranges.slices : null,
      ranges ? ranges.colRanges : null,
      ranges ? ranges.slices.length : -1,
      threads,
      ...(args.groups ? [args.groups.values, args.groups.weights ?? null, args.groups.out] : []),
    ];
  }
}

/** Copies of the parts of validated buffers a kernel reads, and fresh outputs it writes. */
function privateCopies(spec: KernelSpec, args: RunArgs): RunArgs {
  const { nI, nJ } = args;
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const inputs = spec.slots.map((slot, s) =>
    args.inputs[s]!.slice(0, slot.cat === 'i' ? nI * slot.dim : slot.cat === 'j' ? nJ * slot.dim : slot.dim),
  );
  const r = args.ranges;
  return {
    inputs,
    nI,
    nJ,
    out: spec.outDim > 0 ? new F(nI * spec.outDim) : undefined,
    outIdx: spec.outIdxDim > 0 ? new Int32Array(nI * spec.outIdxDim) : undefined,
    ranges: r && { rowRanges: r.rowRanges.slice(), slices: r.slices.slice(), colRanges: r.colRanges.slice() },
    groups: args.groups && {
      values: args.groups.values.slice(),
      weights: args.groups.weights?.slice(),
      out: new Float64Array(args.groups.out.length),
    },
  };
}

/** Copies a private output into the caller's buffer, unless it was detached meanwhile. */
function copyBack<A extends Float32Array | Float64Array | Int32Array>(
  from: A | undefined,
  to: A | undefined,
  name: string,
): void {
  if (!from || !to) return;
  check(
    to.length >= from.length,
    () =>
      `${name} was transferred (detached) while the native runAsync call ran: it holds ${to.length} values, the results need ${from.length}; buffers given to runAsync must not be transferred until it settles`,
  );
  to.set(from);
}

const kernels = new Map<string, NativeKernel>();

function kernelKey(spec: KernelSpec): string {
  // The generated code depends on the mixedRank option too.
  return `${toolState().key}\0${nativeMixedRank() ? '' : 'plain\0'}${spec.key}`;
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
  priority: 10,
  status,
  compile(spec: KernelSpec): CompiledKernel {
    return precompileNative([spec])[0]!;
  },
};
