import { randomBytes } from 'node:crypto';
import { copyFileSync, linkSync } from 'node:fs';
import path from 'node:path';
import type { KernelSpec } from '../../kernel/spec.js';
import { type BuildResult, type PendingBuild, submitBuild } from './builder.js';
import {
  clearDir,
  inspectLibrary,
  type LibraryCheck,
  libraryPath,
  nativeDir,
  readMarker,
  removeFile,
  writeMarker,
} from './cache.js';
import { generateUnit, UNIT_KEY_SYMBOL } from './codegen.js';
import { bindKernel, type KernelEntry, openLibrary, readUnitKey } from './library.js';
import { resolveNativeOptions } from './options.js';
import { PRELUDE } from './prelude.js';
import { stats } from './stats.js';
import { libraryHash } from './toolchain.js';
import { forgetToolState, toolState, warnOnce } from './toolstate.js';

/** A compiled (or compiling) translation unit holding one or more kernels. */
export interface LibraryEntry {
  readonly id: string;
  readonly specs: readonly KernelSpec[];
  readonly symbols: readonly string[];
  /** The unit key the library must report (codegen's unitKey). */
  readonly key: string;
  state: 'pending' | 'ready' | 'failed';
  error?: string;
  /** Bound entry points, by symbol (when ready). */
  entries: Map<string, KernelEntry>;
  build?: PendingBuild;
  /** When the current build started (performance.now(), ms). */
  startedAt: number;
  source: string;
  attempts: { args: string[]; hash: string }[];
  dir: string;
  /** True once a bad cached file was deleted and rebuilt (never loops). */
  healed: boolean;
}

const libraries = new Map<string, LibraryEntry>();
/**
 * Paths this process has dlopened by name, with the device:inode then loaded: dlopen returns the
 * library already loaded under a name, so other contents at that path are loaded through a link.
 */
const opened = new Map<string, string>();

/** Forgets in-memory libraries (loaded code stays mapped; the next request goes to the disk cache). */
export function forgetLibraries(): void {
  libraries.clear();
  forgetToolState();
}

/** Deletes the disk cache of the current cache root; returns the number of files removed. */
export function clearCache(): number {
  const dir = nativeDir(resolveNativeOptions().cacheRoot);
  forgetLibraries();
  return clearDir(dir);
}

/** The path the library of these specs has (or will have) in the cache with the current compiler. */
export function libraryFileFor(specs: readonly KernelSpec[]): string | undefined {
  const t = toolState();
  if (!t.toolchain) return undefined;
  const source = generateUnit(specs).source;
  const args = t.toolchain.flagSets[t.flagLevel]!;
  return libraryPath(t.dir, libraryHash(source, t.toolchain, args));
}

function probeSource(): string {
  return `${PRELUDE}\nLT_EXPORT int lt_probe(int n) { return (int)lt::exp_((float)n); }\n`;
}

/**
 * The library for a list of specs: from memory, from the disk cache, or a new build (waited for
 * in sync mode, else running in the background while callers use the JS backend).
 */
export function requestLibrary(specs: readonly KernelSpec[]): LibraryEntry | undefined {
  const t0 = performance.now();
  const t = toolState();
  if (!t.toolchain || t.unavailable) return undefined;
  const tc = t.toolchain;
  const unit = generateUnit(specs);
  const attempts = tc.flagSets
    .slice(t.flagLevel)
    .map((args) => ({ args, hash: libraryHash(unit.source, tc, args) }));
  const id = `${t.dir}\0${attempts[0]!.hash}`;
  const hit = libraries.get(id);
  if (hit) return hit;
  const lib: LibraryEntry = {
    id,
    specs,
    symbols: unit.symbols,
    key: unit.key,
    state: 'pending',
    entries: new Map(),
    source: unit.source,
    attempts,
    dir: t.dir,
    healed: false,
    startedAt: 0,
  };
  libraries.set(id, lib);
  const file = libraryPath(t.dir, attempts[0]!.hash);
  const c = inspectLibrary(file);
  const loaded = c.state === 'ok' ? load(lib, file, c) : undefined;
  if (loaded === 'ok') {
    stats.diskHits++;
    stats.lastLoadMs = performance.now() - t0;
    return lib;
  }
  if (c.state !== 'missing') heal(lib, file, refusal(lib, c, loaded));
  startBuild(lib);
  return lib;
}

/** Why a library is refused (untrusted, or built for other kernels), or undefined (merely broken). */
function refusal(lib: LibraryEntry, c: LibraryCheck, loaded: LoadOutcome | undefined): string | undefined {
  if (c.state === 'untrusted') return c.reason;
  return loaded === 'foreign' ? lib.error : undefined;
}

/** Deletes a cached file that cannot be used and counts it: refused (with a warning) or healed. */
function heal(lib: LibraryEntry, file: string, refused: string | undefined): void {
  if (refused) {
    stats.refused++;
    warnOnce(`lazytensor: refused the cached library ${file} (${refused}); it is deleted and rebuilt`);
  } else stats.healed++;
  removeFile(file);
  lib.healed = true;
}

function startBuild(lib: LibraryEntry): void {
  const t = toolState();
  const tc = t.toolchain!;
  lib.state = 'pending';
  lib.startedAt = performance.now();
  lib.build = submitBuild({
    dir: lib.dir,
    command: tc.command,
    prefixArgs: tc.prefixArgs,
    source: lib.source,
    probeSource: probeSource(),
    attempts: lib.attempts,
    timeoutMs: 300_000,
    lockWaitMs: 300_000,
  });
  if (resolveNativeOptions().sync) finish(lib, lib.build.wait(900_000));
}

/**
 * Loads a library that passed inspectLibrary and checks, after dlopen, that it was built for
 * these kernels (its unit key). A path this process already loaded with other contents is loaded
 * through a fresh hard link, since dlopen would return the old library for the same path.
 */
type LoadOutcome = 'ok' | 'foreign' | 'error';

function load(lib: LibraryEntry, file: string, c: LibraryCheck): LoadOutcome {
  let via = file;
  const before = opened.get(file);
  if (before !== undefined && before !== c.id) {
    via = path.join(path.dirname(file), `.tmp-load-${randomBytes(6).toString('hex')}.so`);
    try {
      linkSync(file, via);
    } catch {
      copyFileSync(file, via);
    }
  }
  try {
    const handle = openLibrary(via);
    if (via === file) opened.set(file, c.id ?? '');
    const key = readUnitKey(handle, UNIT_KEY_SYMBOL);
    if (key !== lib.key) {
      lib.error = `it was built for other kernels (unit key ${key ?? 'missing'}, expected ${lib.key})`;
      return 'foreign';
    }
    lib.specs.forEach((spec, k) =>
      lib.entries.set(lib.symbols[k]!, bindKernel(handle, lib.symbols[k]!, spec)),
    );
    lib.state = 'ready';
    return 'ok';
  } catch (e) {
    lib.error = (e as Error).message;
    return 'error';
  } finally {
    if (via !== file) removeFile(via);
  }
}

function finish(lib: LibraryEntry, r: BuildResult): void {
  lib.build = undefined;
  stats.lastBuildMs = r.ms;
  if (r.ok && r.path) {
    if (r.compiled) {
      stats.compiles++;
      rememberBuildMs(lib.dir, r.ms);
    }
    if (r.attempt && r.attempt > 0) {
      const t = toolState();
      if (t.flagLevel === 0) {
        t.flagLevel = 1;
        writeMarker(t.markerFile, { flagLevel: 1 });
        warnOnce(
          `lazytensor: the C++ compiler rejected the fast flags; native code is built with portable flags (${r.error ?? ''})`.trim(),
        );
      }
    }
    const c = inspectLibrary(r.path);
    const loaded = c.state === 'ok' ? load(lib, r.path, c) : undefined;
    if (loaded === 'ok') return;
    if (!lib.healed) {
      heal(lib, r.path, refusal(lib, c, loaded));
      startBuild(lib);
      return;
    }
    fail(
      lib,
      `the compiled library ${r.path} could not be loaded: ${c.reason ?? lib.error ?? 'corrupt file'}`,
    );
    return;
  }
  if (r.broken) {
    const t = toolState();
    t.unavailable = `the C++ compiler ${t.toolchain?.command} cannot build libraries: ${firstLines(r.error)}`;
    fail(lib, t.unavailable, 'lazytensor: native backend disabled, using the JS backend');
    return;
  }
  fail(lib, `compilation failed: ${firstLines(r.error)}`);
}

function firstLines(s: string | undefined, n = 12): string {
  return (s ?? 'unknown error').split('\n').slice(0, n).join('\n');
}

function fail(
  lib: LibraryEntry,
  why: string,
  what = 'lazytensor: native code unavailable for a kernel, using the JS backend',
): void {
  lib.state = 'failed';
  lib.error = why;
  warnOnce(`${what}: ${why}`);
}

/** Advances a pending library (cheap when nothing changed); returns its state. */
export function pollLibrary(lib: LibraryEntry): LibraryEntry['state'] {
  if (lib.state === 'pending' && lib.build) {
    const r = lib.build.poll();
    if (r) finish(lib, r);
  }
  return lib.state;
}

/**
 * Blocks until a pending library is ready or failed, or `timeoutMs` passed (then it is still
 * 'pending'; a build that takes more than 15 minutes fails).
 */
export function waitLibrary(lib: LibraryEntry, timeoutMs = Number.POSITIVE_INFINITY): LibraryEntry['state'] {
  if (timeoutMs === Number.POSITIVE_INFINITY) {
    while (lib.state === 'pending' && lib.build) finish(lib, lib.build.wait(900_000));
  } else if (lib.state === 'pending' && lib.build) {
    const r = lib.build.waitFor(timeoutMs);
    if (r) finish(lib, r);
  }
  return lib.state;
}

/** Build time assumed before any build was measured here (g++ on a kernel, any dimension). */
const DEFAULT_BUILD_MS = 2000;
const BUILD_TIME_FILE = 'build-time.json';
/** Recent compile time per cache folder: this process's last, else the one persisted there. */
const buildMs = new Map<string, number>();

function rememberBuildMs(dir: string, ms: number): void {
  buildMs.set(dir, ms);
  writeMarker(path.join(dir, BUILD_TIME_FILE), { ms });
}

/** How long a build in `dir` is expected to take, in ms. */
export function expectedBuildMs(dir: string): number {
  let ms = buildMs.get(dir);
  if (ms === undefined) {
    const m = readMarker<{ ms?: unknown }>(path.join(dir, BUILD_TIME_FILE));
    ms = typeof m?.ms === 'number' && Number.isFinite(m.ms) && m.ms > 0 ? m.ms : DEFAULT_BUILD_MS;
    buildMs.set(dir, ms);
  }
  return ms;
}

/** Seconds until a pending library's build is expected to finish (0 when overdue or not pending). */
export function expectedReadySeconds(lib: LibraryEntry): number {
  if (lib.state !== 'pending') return 0;
  return Math.max(0, expectedBuildMs(lib.dir) - (performance.now() - lib.startedAt)) / 1000;
}
