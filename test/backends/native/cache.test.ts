/**
 * The native disk cache: content addressing (compiler, flags and CPU in the key), cache hits
 * without the compiler, atomic publication under 8 concurrent processes, self-healing of
 * truncated or corrupted libraries, stale locks, and clearing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySealed } from '../../../src/backends/native/cache.js';
import {
  clearNativeCache,
  libraryFileFor,
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../../../src/backends/native/index.js';
import { libraryHash, type Toolchain } from '../../../src/backends/native/toolchain.js';
import type { KernelSpec } from '../../../src/kernel/spec.js';
import { cacheSpec } from './fixtures/spec.js';
import { freshCacheDir, randomInputs, runJs } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Report {
  engines: string[];
  maxErr: number;
  compiles: number;
  diskHits: number;
}

/**
 * Runs fixtures/compile-race.ts in `n` separate processes that start compiling together: each
 * prints "ready"; once all have, the go-file is created and they proceed.
 */
function otherProcesses(dir: string, kinds: string, n = 1): Promise<Report[]> {
  const script = path.join(here, 'fixtures', 'compile-race.ts');
  const go = path.join(dir, `go-${Math.random().toString(36).slice(2)}`);
  let ready = 0;
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Report>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script], {
            env: { ...process.env, LAZYTENSOR_CACHE_DIR: dir, GO_FILE: go, KINDS: kinds, CXX: '' },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => {
            out += d;
            if (out.startsWith('ready\n') && !out.slice(6).length && ++ready === n) writeFileSync(go, '');
          });
          child.stderr.on('data', (d) => (err += d));
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out.slice(6).trim())) : reject(new Error(`exit ${code}: ${err}`)),
          );
        }),
    ),
  );
}

function runAndCheck(spec: KernelSpec): NativeKernel {
  const k = nativeBackend.compile(spec) as NativeKernel;
  const nI = 20;
  const nJ = 30;
  const inputs = randomInputs(spec, nI, nJ, 3);
  const out = new Float64Array(nI);
  k.run({ inputs, nI, nJ, out });
  expect(k.lastEngine).toBe('native');
  const ref = runJs(spec, { inputs, nI, nJ }, nI).out;
  for (let i = 0; i < nI; i++) expect(out[i]).toBeCloseTo(ref[i]!, 12);
  return k;
}

describe('native disk cache', () => {
  let dir = '';
  beforeEach(() => {
    dir = freshCacheDir();
    setNativeOptions({ sync: true, cacheDir: dir, cxx: undefined, threads: 2 });
    resetNativeMemory();
  });
  afterAll(() => setNativeOptions({ cacheDir: undefined, sync: undefined, threads: undefined }));

  it('keys libraries by source, compiler version, flags and CPU', () => {
    const tc: Toolchain = {
      command: 'g++',
      prefixArgs: [],
      version: 'g++ 12',
      flagSets: [['-O3']],
      cpu: 'x86;avx2',
      cpuModel: 'x86',
    };
    const base = libraryHash('src', tc, ['-O3']);
    expect(libraryHash('src', tc, ['-O3'])).toBe(base);
    expect(libraryHash('src2', tc, ['-O3'])).not.toBe(base);
    expect(libraryHash('src', { ...tc, version: 'g++ 13' }, ['-O3'])).not.toBe(base);
    expect(libraryHash('src', tc, ['-O2'])).not.toBe(base);
    expect(libraryHash('src', { ...tc, cpu: 'x86;avx512f' }, ['-O3'])).not.toBe(base);
    expect(libraryHash('src', { ...tc, command: 'clang++' }, ['-O3'])).not.toBe(base);
  });

  it('builds once in one process and serves another from disk without the compiler', async () => {
    const spec = cacheSpec();
    const [other] = await otherProcesses(dir, 'Sum');
    expect(other).toMatchObject({ engines: ['native'], compiles: 1, diskHits: 0 });
    expect(verifySealed(libraryFileFor([spec])!)).toBe('ok');
    const { compiles, diskHits } = nativeStats;
    runAndCheck(spec);
    expect(nativeStats.diskHits).toBe(diskHits + 1);
    expect(nativeStats.compiles).toBe(compiles);
    expect(nativeStats.lastLoadMs).toBeGreaterThan(0);
  });

  it('rebuilds a truncated or corrupted library instead of loading it', async () => {
    await otherProcesses(dir, 'Sum,Max');
    const truncated = libraryFileFor([cacheSpec('Sum')])!;
    const flipped = libraryFileFor([cacheSpec('Max')])!;
    truncateSync(truncated, Math.floor(readFileSync(truncated).length / 2));
    const bytes = readFileSync(flipped);
    bytes[Math.floor(bytes.length / 3)]! ^= 0xff;
    writeFileSync(flipped, bytes);
    for (const kind of ['Sum', 'Max'] as const) {
      const file = libraryFileFor([cacheSpec(kind)])!;
      expect(verifySealed(file)).toBe('corrupt');
      const { healed, compiles } = nativeStats;
      runAndCheck(cacheSpec(kind));
      expect(nativeStats.healed).toBe(healed + 1);
      expect(nativeStats.compiles).toBe(compiles + 1);
      expect(verifySealed(file)).toBe('ok');
    }
  });

  it('recognises files that are not sealed libraries', () => {
    const file = path.join(dir, 'x.so');
    expect(verifySealed(file)).toBe('missing');
    writeFileSync(file, 'not a library');
    expect(verifySealed(file)).toBe('corrupt');
    writeFileSync(file, Buffer.alloc(4096));
    expect(verifySealed(file)).toBe('corrupt');
  });

  it('breaks a stale lock left by a dead process', () => {
    const spec = cacheSpec('Max');
    const file = libraryFileFor([spec])!;
    // pid 2^22 + 1 is above Linux's default pid_max: no such process.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 4194305, host: os.hostname(), time: 0 }));
    runAndCheck(spec);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('clears the cache', () => {
    const spec = cacheSpec();
    runAndCheck(spec);
    expect(readdirSync(path.join(dir, 'native')).some((f) => f.endsWith('.so'))).toBe(true);
    expect(clearNativeCache()).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, 'native'))).toBe(false);
    const compiles = nativeStats.compiles;
    runAndCheck(spec);
    expect(nativeStats.compiles).toBe(compiles + 1);
  });

  it('is safe when 8 processes compile the same formula at the same moment', async () => {
    const results = await otherProcesses(dir, 'Sum', 8);
    for (const r of results) {
      expect(r.engines).toEqual(['native']);
      expect(r.maxErr).toBeLessThan(1e-12);
    }
    // The lock lets one process compile; the others wait for its rename (or find it on disk).
    const compiled = results.reduce((n, r) => n + r.compiles, 0);
    expect(compiled).toBeGreaterThanOrEqual(1);
    expect(compiled).toBeLessThanOrEqual(2);
    const files = readdirSync(path.join(dir, 'native'));
    expect(files.filter((f) => f.endsWith('.so'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('.tmp-') || f.endsWith('.lock'))).toEqual([]);
    expect(verifySealed(path.join(dir, 'native', files.find((f) => f.endsWith('.so'))!))).toBe('ok');
  }, 180_000);
});
