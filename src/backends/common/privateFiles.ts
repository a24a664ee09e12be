import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Trust rules for the on-disk caches of compiled code (native libraries, CUDA modules). Node only:
 * the browser build never imports this file.
 *
 * A cached file becomes code in this process (dlopen runs a library's constructors; the CUDA driver
 * runs a module's kernels), so only files this user made are used: the folder and every file must
 * belong to the current user and be writable by nobody else. A checksum next to the file cannot
 * give that guarantee (whoever can write the folder can write the checksum too).
 */

/** The current user id (-1 where the platform has none). */
export function currentUid(): number {
  return process.getuid?.() ?? -1;
}

/** What ownership checks read from a stat: owner and permission bits. */
export interface OwnerMode {
  uid: number;
  mode: number;
}

/**
 * Why a file or folder cannot be trusted by user `uid` (undefined when it can): it must belong to
 * `uid` and be writable by neither its group nor others. (uid -1: no ownership on this platform.)
 */
export function checkOwnedPrivate(st: OwnerMode, uid: number): string | undefined {
  if (uid >= 0 && st.uid !== uid) return `it belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if (uid >= 0 && (st.mode & 0o022) !== 0)
    return `it is writable by ${st.mode & 0o002 ? 'all users' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Why the folder holding a cache folder lets another user replace it (undefined when it does not):
 * it must belong to `uid` or to root, and others may write it only when its sticky bit is set
 * (like /tmp: then nobody but the owner of an entry, and the folder's owner, can rename or delete it).
 */
export function checkParentSafe(st: OwnerMode, uid: number): string | undefined {
  if (uid < 0) return undefined;
  if (st.uid !== uid && st.uid !== 0)
    return `it belongs to uid ${st.uid}, neither this user (uid ${uid}) nor root`;
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
    return `it is writable by ${st.mode & 0o002 ? 'all users' : 'its group'} without the sticky bit (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Creates a cache folder (mode 0700) and checks that it can be trusted (checkOwnedPrivate) and
 * that nobody else can replace it (checkParentSafe on its parent); returns why not, or undefined
 * when the folder is usable.
 */
export function ensurePrivateDir(dir: string, uid = currentUid()): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const checks = [
      [dir, checkOwnedPrivate],
      [path.dirname(dir), checkParentSafe],
    ] as const;
    for (const [d, rule] of checks) {
      const st = statSync(d);
      if (!st.isDirectory()) return `${d} is not a folder`;
      const why = rule(st, uid);
      if (why) return `${d} is not safe: ${why}`;
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What readPrivateFile finds. */
export type PrivateRead =
  | { state: 'ok'; data: Buffer; id: string }
  | { state: 'missing' }
  | { state: 'unreadable' }
  | { state: 'untrusted'; reason: string };

/**
 * Reads a cached file only if it can be trusted: a regular file (not a symbolic link), owned by
 * `uid` and writable by nobody else. One open (O_NOFOLLOW), one fstat and one read of that same
 * open file, so the checked file is the file read. `id` is its device and inode.
 */
export function readPrivateFile(file: string, uid = currentUid()): PrivateRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    if (code === 'ELOOP') return { state: 'untrusted', reason: 'it is a symbolic link' };
    return { state: 'unreadable' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { state: 'untrusted', reason: 'it is not a regular file' };
    const why = checkOwnedPrivate(st, uid);
    if (why) return { state: 'untrusted', reason: why };
    const data = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < st.size) {
      const r = readSync(fd, data, n, st.size - n, n);
      if (r === 0) break;
      n += r;
    }
    return n === st.size ? { state: 'ok', data, id: `${st.dev}:${st.ino}` } : { state: 'unreadable' };
  } catch {
    return { state: 'unreadable' };
  } finally {
    closeSync(fd);
  }
}

/** The per-user folder under the temp dir, used when the configured cache cannot be used. */
export function tmpCacheRoot(): string {
  return path.join(os.tmpdir(), `lazytensor-${currentUid()}`);
}

function homeDir(): string | undefined {
  try {
    const h = os.homedir();
    return h && path.isAbsolute(h) ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The root of every backend's disk cache: LAZYTENSOR_CACHE_DIR, else $XDG_CACHE_HOME/lazytensor
 * (when absolute), else ~/.cache/lazytensor, else (no usable home directory) the per-user folder
 * under the temp dir. Each backend uses a folder of its own in it.
 */
export function cacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.LAZYTENSOR_CACHE_DIR) return path.resolve(env.LAZYTENSOR_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'lazytensor');
  const home = homeDir();
  return home ? path.join(home, '.cache', 'lazytensor') : tmpCacheRoot();
}
