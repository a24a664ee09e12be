/**
 * The build process: a build started in the background finishes and publishes after the
 * requesting process has exited (which does not wait for it), and a compile that times out or
 * whose build process is stopped leaves no compiler process behind.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { submitBuild } from '../../../src/backends/native/builder.js';
import { nativeDir, verifySealed } from '../../../src/backends/native/cache.js';
import { libraryFileFor, resetNativeMemory, setNativeOptions } from '../../../src/backends/native/index.js';
import { cacheSpec } from './fixtures/spec.js';
import { freshCacheDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Writes an executable shell script standing in for a C++ compiler. */
function fakeCompiler(dir: string, body: string): string {
  const file = path.join(dir, 'fake-cxx.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Whether a process has ended (a zombie waiting to be reaped counts as ended). */
function ended(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return st[st.lastIndexOf(')') + 2] === 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

/** Polls `done` up to `tries` times, 50 ms apart; returns its last answer. */
function pollUntil(done: () => boolean, tries = 2400): boolean {
  for (let k = 0; k < tries; k++) {
    if (done()) return true;
    sleep(50);
  }
  return done();
}

function pids(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

describe('native build process', () => {
  let dir = '';
  beforeEach(() => {
    dir = freshCacheDir();
    setNativeOptions({ sync: true, cacheDir: dir, cxx: undefined, threads: 2 });
    resetNativeMemory();
  });
  afterAll(() =>
    setNativeOptions({ sync: undefined, cacheDir: undefined, cxx: undefined, threads: undefined }),
  );

  it('publishes a background build after a short script exits, and the next run is native', () => {
    // The compiler waits for the go-file: the script must exit while its build is still running.
    const go = path.join(dir, 'go');
    const cxx = fakeCompiler(
      dir,
      [
        'if [ "$1" = "--version" ]; then exec g++ --version; fi',
        `while [ ! -f '${go}' ]; do sleep 0.05; done`,
        'exec g++ "$@"',
      ].join('\n'),
    );
    setNativeOptions({ cxx });
    const file = libraryFileFor([cacheSpec()])!;
    const run = () => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'fixtures', 'short-run.ts')],
        {
          env: { ...process.env, LAZYTENSOR_CACHE_DIR: dir, CXX: cxx, LAZYTENSOR_NATIVE_SYNC: '0' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(r.error).toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim());
    };
    expect(run()).toMatchObject({ engine: 'js', nativeRuns: 0, fallbackRuns: 1 });
    expect(existsSync(file)).toBe(false);
    writeFileSync(go, '');
    const native = nativeDir(dir);
    const settled = () =>
      existsSync(file) && !readdirSync(native).some((f) => f.startsWith('.tmp-') || f.endsWith('.lock'));
    expect(pollUntil(settled)).toBe(true);
    expect(verifySealed(file)).toBe('ok');
    expect(run()).toMatchObject({
      engine: 'native',
      nativeRuns: 1,
      fallbackRuns: 0,
      diskHits: 1,
      compiles: 0,
    });
  }, 240_000);

  it('kills the whole compiler process group when a compile times out', () => {
    const pidFile = path.join(dir, 'pids');
    const cxx = fakeCompiler(dir, `sleep 1000 &\necho $! >> '${pidFile}'\nwait`);
    const native = nativeDir(dir);
    const build = submitBuild({
      dir: native,
      command: cxx,
      prefixArgs: [],
      source: 'int x;',
      probeSource: 'int y;',
      attempts: [{ args: [], hash: 'a'.repeat(40) }],
      timeoutMs: 500,
      lockWaitMs: 1000,
    });
    const r = build.wait(120_000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/timed out|ETIMEDOUT/);
    // One grandchild per compiler run (the attempt, then the probe): none may outlive it.
    const started = pids(pidFile);
    expect(started).toHaveLength(2);
    expect(pollUntil(() => started.every(ended), 200)).toBe(true);
    expect(readdirSync(native).filter((f) => f.startsWith('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  }, 180_000);

  it('kills the compiler process group when the build process is stopped', () => {
    const pidFile = path.join(dir, 'pids');
    const parentFile = path.join(dir, 'builder');
    const cxx = fakeCompiler(
      dir,
      `echo $PPID > '${parentFile}'\nsleep 1000 &\necho $! >> '${pidFile}'\nwait`,
    );
    const native = nativeDir(dir);
    const build = submitBuild({
      dir: native,
      command: cxx,
      prefixArgs: [],
      source: 'int x;',
      probeSource: 'int y;',
      attempts: [{ args: [], hash: 'b'.repeat(40) }],
      timeoutMs: 600_000,
      lockWaitMs: 1000,
    });
    expect(pollUntil(() => pids(pidFile).length === 1)).toBe(true);
    const [builder] = pids(parentFile);
    expect(builder).not.toBe(process.pid);
    process.kill(builder!, 'SIGTERM');
    const r = build.wait(120_000);
    expect(r.ok).toBe(false);
    expect(pollUntil(() => pids(pidFile).every(ended), 200)).toBe(true);
    expect(readdirSync(native).filter((f) => f.startsWith('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  }, 180_000);

  it('runs the compiler under CPU-time and address-space limits', () => {
    const limits = path.join(dir, 'limits');
    const cxx = fakeCompiler(dir, `ulimit -t >> '${limits}'\nulimit -v >> '${limits}'\nexit 1`);
    const r = submitBuild({
      dir: nativeDir(dir),
      command: cxx,
      prefixArgs: [],
      source: 'int x;',
      probeSource: 'int y;',
      attempts: [{ args: [], hash: 'c'.repeat(40) }],
      timeoutMs: 20_000,
      lockWaitMs: 1000,
    }).wait(120_000);
    expect(r).toMatchObject({ ok: false, broken: true });
    const [cpu, mem] = readFileSync(limits, 'utf8').split('\n');
    expect(Number(cpu)).toBe(30);
    expect(Number(mem)).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(Number(mem)).toBeLessThanOrEqual(16 * 1024 * 1024);
  }, 180_000);
});
