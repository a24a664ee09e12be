import os from 'node:os';
import { check } from '../../errors.js';
import { cacheRoot } from './cache.js';

/** User options of the native backend. */
export interface NativeOptions {
  /**
   * Whether calls wait for the compiler. true: compile synchronously, the first call of a new
   * formula waits for its library (benchmarks, tests). false: calls made while it compiles always
   * run on the fallback backend (wasm or JS). Unset: each such call waits when the fallback is
   * expected to take longer than the rest of the build (see serving.ts). Default:
   * LAZYTENSOR_NATIVE_SYNC=1 (true) or 0 (false), else unset.
   */
  sync?: boolean;
  /** Cache root (libraries go to `<root>/native`). Default: LAZYTENSOR_CACHE_DIR, else the XDG cache dir. */
  cacheDir?: string;
  /** C++ compiler command (may include leading arguments, e.g. "ccache g++"). Default: CXX, else g++, clang++, c++. */
  cxx?: string;
  /** Threads per call. Default: LAZYTENSOR_NATIVE_THREADS, else the number of CPUs. */
  threads?: number;
  /**
   * Whether nearest-neighbour selections in float64 at small dimension rank their columns in
   * float32 first (mixedRank.ts; results identical either way). Default: on, unless
   * LAZYTENSOR_NATIVE_MIXED=0.
   */
  mixedRank?: boolean;
}

/** Options with every default applied. */
export interface ResolvedNativeOptions {
  /** undefined: the serving policy decides per call. */
  sync: boolean | undefined;
  cacheRoot: string;
  cxx: string | undefined;
  threads: number;
}

let current: NativeOptions = {};

/** Sets native backend options (merged with the previous ones; `undefined` restores a default). */
export function setNativeOptions(o: NativeOptions): void {
  if (o.threads !== undefined) {
    check(
      Number.isInteger(o.threads) && o.threads >= 1,
      () => `threads must be an integer >= 1, got ${o.threads}`,
    );
  }
  if (o.mixedRank !== undefined) {
    check(
      typeof o.mixedRank === 'boolean',
      () => `mixedRank must be true or false, got ${typeof o.mixedRank}`,
    );
  }
  current = { ...current, ...o };
  for (const k of Object.keys(o) as (keyof NativeOptions)[]) if (o[k] === undefined) delete current[k];
}

let envMixedRank: boolean | undefined;

/** Whether kernels generated now take the mixed-precision ranking (see NativeOptions.mixedRank). */
export function nativeMixedRank(): boolean {
  // Read on every kernel lookup: the environment once.
  envMixedRank ??= process.env.LAZYTENSOR_NATIVE_MIXED !== '0';
  return current.mixedRank ?? envMixedRank;
}

let cpuCount: number | undefined;

/** Threads per call in effect (cheap: read on every kernel call). */
export function nativeThreads(): number {
  cpuCount ??= os.availableParallelism?.() ?? os.cpus().length;
  return current.threads ?? envThreads() ?? cpuCount;
}

function envThreads(): number | undefined {
  const v = Number(process.env.LAZYTENSOR_NATIVE_THREADS);
  return Number.isInteger(v) && v >= 1 ? v : undefined;
}

function envSync(): boolean | undefined {
  const v = process.env.LAZYTENSOR_NATIVE_SYNC;
  return v === '1' ? true : v === '0' ? false : undefined;
}

/** The options in effect (explicit ones first, then environment variables, then defaults). */
export function resolveNativeOptions(): ResolvedNativeOptions {
  const cxxEnv = process.env.CXX;
  return {
    sync: current.sync ?? envSync(),
    cacheRoot: cacheRoot(current.cacheDir),
    cxx: current.cxx ?? (cxxEnv !== undefined && cxxEnv !== '' ? cxxEnv : undefined),
    threads: nativeThreads(),
  };
}
