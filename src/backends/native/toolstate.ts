import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensurePrivateDir,
  nativeDir,
  readMarker,
  removeStaleTemps,
  tmpCacheRoot,
  writeMarker,
} from './cache.js';
import { koffiInstalled } from './library.js';
import { resolveNativeOptions } from './options.js';
import { discoverToolchain, type Toolchain } from './toolchain.js';

/** Where this process builds and loads libraries, with which compiler and flags. */
export interface ToolState {
  key: string;
  toolchain?: Toolchain;
  /** Why native code cannot be built (no compiler, no koffi, compiler broken). */
  unavailable?: string;
  dir: string;
  /** Index of the first flag set to try (1 when the fast set is known not to work here). */
  flagLevel: number;
  markerFile: string;
}

let tool: ToolState | undefined;
const warned = new Set<string>();

/** Emits a warning once per distinct message. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { type: 'LazyTensorWarning', code: 'LAZYTENSOR_NATIVE' });
}

function toolchainId(tc: Toolchain): string {
  return createHash('sha256')
    .update([tc.command, ...tc.prefixArgs, tc.version, tc.cpu].join('\0'))
    .digest('hex')
    .slice(0, 16);
}

/** The current tool state (recomputed when the cache root or the compiler option changes). */
export function toolState(): ToolState {
  const o = resolveNativeOptions();
  const key = `${o.cacheRoot}\0${o.cxx ?? ''}`;
  if (tool && tool.key === key) return tool;
  const dir = cacheFolder(nativeDir(o.cacheRoot));
  removeStaleTemps(dir);
  const koffiMissing = koffiInstalled();
  const versions = path.join(dir, 'compilers.json');
  const known = readMarker<Record<string, string>>(versions) ?? {};
  const d = discoverToolchain(o.cxx, {
    get: (id) => known[id],
    set: (id, v) => writeMarker(versions, { ...known, [id]: v }),
  });
  const state: ToolState = { key, dir, flagLevel: 0, markerFile: '' };
  if (koffiMissing) state.unavailable = koffiMissing;
  else if (!d.ok) state.unavailable = d.reason;
  else {
    state.toolchain = d.toolchain;
    state.markerFile = path.join(dir, `toolchain-${toolchainId(d.toolchain)}.json`);
    const m = readMarker<{ flagLevel?: number }>(state.markerFile);
    if (m?.flagLevel === 1) state.flagLevel = 1;
  }
  tool = state;
  return state;
}

let privateDir: string | undefined;

/**
 * The folder libraries go to: `wanted` when it is private to this user (see ensurePrivateDir),
 * else the per-user folder under the temp dir when that is, else a folder of this process made
 * with mkdtemp (removed at exit: no disk cache across processes). Warns when it falls back.
 */
function cacheFolder(wanted: string): string {
  const why = ensurePrivateDir(wanted);
  if (!why) return wanted;
  const alt = nativeDir(tmpCacheRoot());
  const altWhy = alt === wanted ? why : ensurePrivateDir(alt);
  if (!altWhy) {
    warnOnce(`lazytensor: cache folder ${wanted} is not usable (${why}); using ${alt}`);
    return alt;
  }
  if (!privateDir) {
    const made = mkdtempSync(path.join(os.tmpdir(), 'lazytensor-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    privateDir = nativeDir(made);
  }
  warnOnce(
    `lazytensor: cache folder ${wanted} is not usable (${why}), nor ${alt} (${altWhy}); native libraries are cached for this process only, in ${privateDir}`,
  );
  ensurePrivateDir(privateDir);
  return privateDir;
}

/** Drops the tool state (the next call re-discovers the compiler and re-reads the markers). */
export function forgetToolState(): void {
  tool = undefined;
}
