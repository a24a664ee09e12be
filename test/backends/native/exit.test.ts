/**
 * A process that made a multi-threaded native call must exit cleanly. koffi dlcloses kernel
 * libraries when Node tears down; the library dragged the OpenMP runtime out with it while its
 * idle workers still spun, and the process died with SIGSEGV (exit status 139). Libraries are now
 * linked NODELETE. OMP_WAIT_POLICY=active keeps the workers spinning, so that the crash, when
 * present, shows in (nearly) every run instead of by chance.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type NativeKernel, nativeBackend, setNativeOptions } from '../../../src/backends/native/index.js';
import { cacheSpec } from './fixtures/spec.js';
import { freshCacheDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs fixtures/exit-after-call.ts; resolves with its exit status (or signal) and stdout. */
function runChild(dir: string): Promise<{ status: string; out: string; err: string }> {
  const script = path.join(here, 'fixtures', 'exit-after-call.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, LAZYTENSOR_CACHE_DIR: dir, OMP_WAIT_POLICY: 'active' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ status: signal ?? String(code), out, err }));
  });
}

describe('native process exit', () => {
  afterAll(() => setNativeOptions({ cacheDir: undefined, sync: undefined, threads: undefined }));

  it('exits with status 0 after a multi-threaded native call, every time', async () => {
    const dir = freshCacheDir();
    // Compile here once, so that the children load the library from the disk cache.
    setNativeOptions({ sync: true, cacheDir: dir, threads: 2 });
    expect((nativeBackend.compile(cacheSpec('Sum')) as NativeKernel).waitReady()).toBe('ready');
    const statuses: string[] = [];
    for (let run = 0; run < 8; run++) {
      const r = await runChild(dir);
      expect(r.out.trim(), r.err).toBe('native');
      statuses.push(r.status);
    }
    expect(statuses).toEqual(Array(8).fill('0'));
  });
});
