/** Counters for tests and benchmarks. */
export interface NativeStats {
  /** Libraries this process compiled. */
  compiles: number;
  /** Libraries loaded from the disk cache. */
  diskHits: number;
  /** Cached libraries found truncated or corrupt, deleted and rebuilt. */
  healed: number;
  /**
   * Cached libraries refused (owned by another user, writable by others, a symbolic link, or
   * built for other kernels), deleted and rebuilt.
   */
  refused: number;
  /** Calls served by native code / by the JS fallback (library not ready or failed). */
  nativeRuns: number;
  fallbackRuns: number;
  /** Calls that found the library compiling and waited for it (the fallback would have taken longer). */
  waitedRuns: number;
  /** Wall time of the last build (compiler run, or wait for another process), in ms. */
  lastBuildMs: number;
  /** Time of the last disk-cache hit: codegen + hash + verify + dlopen + bind, in ms. */
  lastLoadMs: number;
}

export const stats: NativeStats = {
  compiles: 0,
  diskHits: 0,
  healed: 0,
  refused: 0,
  nativeRuns: 0,
  fallbackRuns: 0,
  waitedRuns: 0,
  lastBuildMs: 0,
  lastLoadMs: 0,
};
