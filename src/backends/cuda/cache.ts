import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, ensurePrivateDir, readPrivateFile } from '../common/privateFiles.js';
import type { ModuleImage } from './nvrtc.js';

/**
 * The on-disk cache of compiled modules. One file per key (sha256 of the key), written to a private
 * temporary file in the same folder and renamed into place: readers see a whole file or none, and
 * several processes compiling the same kernel at once all succeed (the last rename wins; the
 * contents are identical). Every file repeats its full key and lengths, so a foreign, truncated or
 * colliding file is ignored and replaced. The cache is best effort: I/O errors never fail a kernel.
 * Trust (common/privateFiles.ts): the folder must be private to this user, else it is not used;
 * a file owned by someone else, writable by others or a symbolic link is never read.
 */
export class ModuleCache {
  /** Why the folder cannot be trusted (then the cache reads and writes nothing), checked once. */
  private untrusted: string | undefined | null = null;

  constructor(readonly dir: string) {}

  /** Whether the folder is private to this user (created 0700 when missing); warns once when not. */
  private usable(): boolean {
    if (this.untrusted === null) {
      this.untrusted = ensurePrivateDir(this.dir);
      if (this.untrusted) {
        process.emitWarning(`lazytensor: CUDA module cache ${this.dir} is not used: ${this.untrusted}`, {
          type: 'LazyTensorWarning',
          code: 'LAZYTENSOR_CUDA',
        });
      }
    }
    return this.untrusted === undefined;
  }

  /** The file of a key. */
  fileOf(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.ltmod`);
  }

  /** The image of a key, if a whole file holds it and it belongs to this user alone. */
  get(key: string): ModuleImage | undefined {
    if (!this.usable()) return undefined;
    const r = readPrivateFile(this.fileOf(key));
    return r.state === 'ok' ? decode(r.data, key) : undefined;
  }

  put(key: string, image: ModuleImage): void {
    const file = this.fileOf(key);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    if (!this.usable()) return;
    try {
      fs.writeFileSync(tmp, encode(key, image), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing to clean
      }
    }
  }

  /** Removes a key's file (e.g. an image the driver refused). */
  remove(key: string): void {
    try {
      fs.rmSync(this.fileOf(key), { force: true });
    } catch {
      // best effort
    }
  }
}

const MAGIC = Buffer.from('LTCUDA01', 'latin1');

function digest(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

/**
 * File layout: magic, u32 key length, key (utf8), u8 kind (0 cubin, 1 ptx), u32 image length,
 * image, sha256 of the image (so a damaged body is detected before the driver sees it).
 */
export function encode(key: string, image: ModuleImage): Buffer {
  const k = Buffer.from(key, 'utf8');
  const head = Buffer.alloc(MAGIC.length + 4 + k.length + 1 + 4);
  MAGIC.copy(head, 0);
  let o = MAGIC.length;
  head.writeUInt32LE(k.length, o);
  o += 4;
  k.copy(head, o);
  o += k.length;
  head.writeUInt8(image.kind === 'cubin' ? 0 : 1, o);
  o += 1;
  head.writeUInt32LE(image.image.length, o);
  const body = Buffer.from(image.image.buffer, image.image.byteOffset, image.image.length);
  return Buffer.concat([head, body, digest(body)]);
}

/** Parses a cache file; undefined unless it is whole and holds exactly `key`. */
export function decode(buf: Buffer, key: string): ModuleImage | undefined {
  const k = Buffer.from(key, 'utf8');
  let o = MAGIC.length;
  if (buf.length < o + 4 || !buf.subarray(0, o).equals(MAGIC)) return undefined;
  if (buf.readUInt32LE(o) !== k.length) return undefined;
  o += 4;
  if (buf.length < o + k.length + 5 || !buf.subarray(o, o + k.length).equals(k)) return undefined;
  o += k.length;
  const kind = buf.readUInt8(o);
  o += 1;
  const n = buf.readUInt32LE(o);
  o += 4;
  if (kind > 1 || buf.length !== o + n + 32) return undefined;
  const body = buf.subarray(o, o + n);
  if (!digest(body).equals(buf.subarray(o + n))) return undefined;
  return { image: new Uint8Array(body), kind: kind === 0 ? 'cubin' : 'ptx' };
}

/** The cache folder: `cuda` in the cache root shared with the native backend (common/privateFiles.ts). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.join(cacheRoot(env), 'cuda');
}
