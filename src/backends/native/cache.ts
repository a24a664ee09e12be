import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentUid, readPrivateFile, cacheRoot as sharedCacheRoot } from '../common/privateFiles.js';

export {
  checkOwnedPrivate,
  currentUid,
  ensurePrivateDir,
  type OwnerMode,
  tmpCacheRoot,
} from '../common/privateFiles.js';

/**
 * The on-disk library cache. Libraries are content-addressed (`<hash>.so`, the hash covering
 * source, compiler, flags and CPU), published by atomic rename and sealed with a trailer:
 *
 *   [shared object][8 bytes "LTNATIV1"][uint64 LE length of the object][32 bytes sha256 of the object]
 *
 * The trailer is checked before every load, so a truncated or corrupted file is detected (and
 * rebuilt) instead of being handed to dlopen, where a short file could crash the process.
 *
 * Trust: the seal only detects damage (whoever can write the folder can seal a file). What keeps
 * other users' code out of this process is ownership: the folder and every library must belong to
 * the current user and be writable by nobody else, checked before dlopen (which runs a library's
 * constructors); a folder that fails is not used, a library that fails is deleted and rebuilt.
 */
export const SEAL_MAGIC = 'LTNATIV1';
export const SEAL_BYTES = 48;

/**
 * The cache root: the `cacheDir` option, else the shared rule (LAZYTENSOR_CACHE_DIR, the XDG cache
 * directory, or the per-user folder under the temp dir).
 */
export function cacheRoot(option?: string): string {
  return option ? path.resolve(option) : sharedCacheRoot();
}

/** The native backend's folder in the cache root. */
export function nativeDir(root: string): string {
  return path.join(root, 'native');
}

/** Path of the library with a given content hash. */
export function libraryPath(dir: string, hash: string): string {
  return path.join(dir, `${hash}.so`);
}

/** Checks a sealed library: 'ok', 'missing' or 'corrupt' (bad trailer, length or checksum). */
export function verifySealed(file: string): 'ok' | 'missing' | 'corrupt' {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return 'missing';
  }
  return sealOk(data) ? 'ok' : 'corrupt';
}

function sealOk(data: Buffer): boolean {
  if (data.length < SEAL_BYTES + 64) return false;
  const t = data.length - SEAL_BYTES;
  if (data.toString('latin1', t, t + 8) !== SEAL_MAGIC) return false;
  if (data.readBigUInt64LE(t + 8) !== BigInt(t)) return false;
  const sha = createHash('sha256').update(data.subarray(0, t)).digest();
  return sha.equals(data.subarray(t + 16));
}

/** What inspectLibrary finds. */
export interface LibraryCheck {
  state: 'ok' | 'missing' | 'corrupt' | 'untrusted';
  /** Why it is untrusted. */
  reason?: string;
  /** Device and inode of the file checked (when ok). */
  id?: string;
}

/**
 * Checks a cached library before it may be loaded: a regular file (not a symbolic link), owned by
 * `uid` and writable by nobody else, with an intact seal. One open, one fstat and one read.
 */
export function inspectLibrary(file: string, uid = currentUid()): LibraryCheck {
  const r = readPrivateFile(file, uid);
  if (r.state === 'missing') return { state: 'missing' };
  if (r.state === 'untrusted') return { state: 'untrusted', reason: r.reason };
  if (r.state === 'unreadable' || !sealOk(r.data)) return { state: 'corrupt' };
  return { state: 'ok', id: r.id };
}

/** Removes a file, ignoring a missing one. */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Deletes the native cache folder; returns how many files it held. */
export function clearDir(dir: string): number {
  let n = 0;
  try {
    n = readdirSync(dir).length;
  } catch {
    return 0;
  }
  rmSync(dir, { recursive: true, force: true });
  return n;
}

/** Removes temporary files left by builds that were killed (older than `maxAgeMs`). */
export function removeStaleTemps(dir: string, maxAgeMs = 3_600_000): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith('.tmp-')) continue;
    const file = path.join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > maxAgeMs) unlinkSync(file);
    } catch {
      // raced with another process
    }
  }
}

/** Reads a small JSON marker, or undefined. */
export function readMarker<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes a small JSON marker atomically (temp file + rename). */
export function writeMarker(file: string, value: unknown): void {
  const tmp = path.join(
    path.dirname(file),
    `.tmp-${path.basename(file)}-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  try {
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, file);
  } catch {
    removeFile(tmp);
  }
}
