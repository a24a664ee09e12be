/**
 * NativeKernel.runAsync works on private copies of its buffers: koffi hands C++ the raw memory of
 * typed arrays and keeps nothing alive, so a buffer transferred away and collected while the call
 * ran was freed under the kernel (exit status 139). Each scenario runs in its own process
 * (fixtures/transfer-in-flight.ts), since the failure is a crash.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NativeKernel, nativeBackend, setNativeOptions } from '../../../src/backends/native/index.js';
import { cacheSpec } from './fixtures/spec.js';
import { freshCacheDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function runChild(dir: string, mode: 'input' | 'out'): Promise<{ status: string; out: string; err: string }> {
  const script = path.join(here, 'fixtures', 'transfer-in-flight.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, LAZYTENSOR_CACHE_DIR: dir, MODE: mode },
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

describe('native runAsync and transferred buffers', () => {
  let dir = '';
  beforeAll(() => {
    dir = freshCacheDir();
    // Compile here once, so that the children load the library from the disk cache.
    setNativeOptions({ sync: true, cacheDir: dir, threads: 2 });
    expect((nativeBackend.compile(cacheSpec('Sum')) as NativeKernel).waitReady()).toBe('ready');
  });
  afterAll(() => setNativeOptions({ cacheDir: undefined, sync: undefined, threads: undefined }));

  it('computes from the values given when an input is transferred and collected mid-call', async () => {
    const r = await runChild(dir, 'input');
    expect(r.status, r.err).toBe('0');
    const res = JSON.parse(r.out.trim());
    expect(res).toMatchObject({ ok: true, engine: 'native', xDetached: true });
    expect(res.err).toBeLessThan(1e-12);
  });

  it('rejects with a LazyTensorError when the output is transferred mid-call', async () => {
    const r = await runChild(dir, 'out');
    expect(r.status, r.err).toBe('0');
    const res = JSON.parse(r.out.trim());
    expect(res).toMatchObject({ ok: false, name: 'LazyTensorError' });
    expect(res.message).toMatch(/out was transferred \(detached\)/);
  });
});
