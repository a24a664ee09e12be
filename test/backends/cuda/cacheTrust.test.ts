import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkParentSafe, currentUid } from '../../../src/backends/common/privateFiles.js';
import { ModuleCache } from '../../../src/backends/cuda/cache.js';

// The CUDA module cache follows the native cache's trust rules: a folder or file another user could
// have written is never read (its kernels would run in this process's GPU context).
const image = { image: Uint8Array.from([1, 2, 3, 4, 5]), kind: 'cubin' as const };
const isRoot = currentUid() === 0;
let tmp: string | undefined;

function fresh(): string {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazytensor-cuda-trust-'));
  return path.join(tmp, 'cuda');
}

afterEach(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('the folder holding a cache folder', () => {
  it('may be shared only with the sticky bit (like /tmp), and must belong to the user or root', () => {
    expect(checkParentSafe({ uid: 1000, mode: 0o40700 }, 1000)).toBeUndefined();
    expect(checkParentSafe({ uid: 0, mode: 0o41777 }, 1000)).toBeUndefined();
    expect(checkParentSafe({ uid: 0, mode: 0o40777 }, 1000)).toMatch(/without the sticky bit/);
    expect(checkParentSafe({ uid: 1000, mode: 0o40770 }, 1000)).toMatch(/its group without the sticky bit/);
    expect(checkParentSafe({ uid: 1234, mode: 0o41777 }, 1000)).toMatch(/belongs to uid 1234/);
  });
});

describe('CUDA module cache trust', () => {
  it('creates its folder 0700 and its files 0600, and reads them back', () => {
    const dir = fresh();
    const c = new ModuleCache(dir);
    c.put('k', image);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(c.fileOf('k')).mode & 0o777).toBe(0o600);
    expect(new ModuleCache(dir).get('k')?.image).toEqual(image.image);
  });

  it('does not use a folder writable by others', () => {
    const dir = fresh();
    new ModuleCache(dir).put('k', image);
    fs.chmodSync(dir, 0o777);
    const c = new ModuleCache(dir);
    expect(c.get('k')).toBeUndefined();
    c.put('k2', image);
    expect(fs.existsSync(c.fileOf('k2'))).toBe(false);
  });

  it('does not read a file writable by others, or a symbolic link', () => {
    const dir = fresh();
    const c = new ModuleCache(dir);
    c.put('k', image);
    fs.chmodSync(c.fileOf('k'), 0o666);
    expect(new ModuleCache(dir).get('k')).toBeUndefined();
    c.put('k2', image);
    const target = c.fileOf('k2');
    const link = c.fileOf('k3');
    // A valid file for key k3, reached through a link: still refused.
    fs.writeFileSync(`${target}.real`, fs.readFileSync(target));
    new ModuleCache(path.join(tmp!, 'other')).put('k3', image);
    fs.symlinkSync(new ModuleCache(path.join(tmp!, 'other')).fileOf('k3'), link);
    expect(new ModuleCache(dir).get('k3')).toBeUndefined();
  });

  it.skipIf(!isRoot)('does not read a file that belongs to another user', () => {
    const dir = fresh();
    const c = new ModuleCache(dir);
    c.put('k', image);
    expect(new ModuleCache(dir).get('k')).toBeDefined();
    fs.chownSync(c.fileOf('k'), 1234, 1234);
    expect(new ModuleCache(dir).get('k')).toBeUndefined();
  });
});
