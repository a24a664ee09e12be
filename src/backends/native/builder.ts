import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeFile, SEAL_MAGIC } from './cache.js';

/** One way to build a library: compiler flags and the content hash they lead to. */
export interface BuildAttempt {
  args: string[];
  hash: string;
}

/** A library to build: the source, the compiler and the flag sets to try in order. */
export interface BuildJob {
  dir: string;
  command: string;
  prefixArgs: string[];
  source: string;
  /** A trivial translation unit, compiled after every attempt failed, to tell a broken compiler from a bad source. */
  probeSource: string;
  attempts: BuildAttempt[];
  /** Per compiler run (wall clock; then the compiler's whole process group is killed). */
  timeoutMs: number;
  /** How long to wait for another process that holds the build lock. */
  lockWaitMs: number;
}

/** What a build reports. */
export interface BuildResult {
  ok: boolean;
  /** Index of the attempt that produced the library. */
  attempt?: number;
  path?: string;
  /** False when another process had already published the library. */
  compiled?: boolean;
  /** Wall time of the build, including waiting for a lock. */
  ms: number;
  error?: string;
  /** True when even the probe failed: the compiler cannot build libraries with these flags. */
  broken?: boolean;
}

/** Address-space cap of a compiler process, in KiB: half the memory, within [4, 16] GiB. */
function compilerMemoryKb(): number {
  const gib = 1024 * 1024;
  return Math.round(Math.min(16 * gib, Math.max(4 * gib, os.totalmem() / 2048)));
}

/**
 * The build process (CommonJS text run with `node -e`, so it works the same under tsx, vitest and
 * dist/). It is started detached (its own session) for each job, so a build finishes and
 * publishes even when the process that asked for it exits first; the next process then finds
 * the library on disk. Argument 1 is the job file (read, then deleted), 2 the result file,
 * 3 the requesting pid (the result is not left behind when that process is gone).
 *
 * Per attempt: if the library already exists, done; otherwise take `<lib>.lock` (O_EXCL; a lock
 * whose owner died or that is older than 10 minutes is stale), compile to a private temporary
 * file, append the seal trailer (magic, length, sha256), make it 0700 and publish with an atomic
 * rename. Concurrent processes therefore never see a partial file, and at most one of them
 * compiles while the others wait for the rename. The compiler runs in its own process group,
 * under `ulimit -t` (CPU seconds) and `ulimit -v` (address space): on timeout, or when this
 * process is told to stop, the whole group (driver, cc1plus, as, ld) is killed.
 */
function builderSource(): string {
  return String.raw`
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const os = require('node:os');
const MAGIC = Buffer.from(${JSON.stringify(SEAL_MAGIC)}, 'latin1');
const STALE_MS = 600000;
const [jobFile, resultFile, parentArg] = process.argv.slice(1);
const parentPid = Number(parentArg);
const cell = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(cell, 0, 0, ms);
const unlink = (f) => { try { fs.unlinkSync(f); } catch {} };
const owned = new Set();
let group = 0;

function killGroup() {
  if (group > 0) { try { process.kill(-group, 'SIGKILL'); } catch {} }
}
function stop() {
  killGroup();
  for (const f of owned) unlink(f);
  process.exit(1);
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);

function tmpBase(dir, hash) {
  return path.join(dir, '.tmp-' + hash + '-' + process.pid + '-' + crypto.randomBytes(6).toString('hex'));
}

function runCompiler(job, args) {
  const limits = 'ulimit -t ' + (Math.ceil(job.timeoutMs / 1000) + 10) + ' 2>/dev/null; ulimit -v ' + job.memoryKb + ' 2>/dev/null; exec "$0" "$@"';
  const [cmd, argv] = process.platform === 'win32'
    ? [job.command, [...job.prefixArgs, ...args]]
    : ['/bin/sh', ['-c', limits, job.command, ...job.prefixArgs, ...args]];
  return new Promise((resolve) => {
    let err = '';
    let timedOut = false;
    let spawnError;
    const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    group = child.pid || 0;
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, job.timeoutMs);
    child.stderr.on('data', (d) => { if (err.length < 65536) err += d; });
    child.on('error', (e) => { spawnError = e; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      group = 0;
      if (spawnError) resolve({ ok: false, why: spawnError.message, err });
      else if (timedOut) resolve({ ok: false, why: 'timed out after ' + job.timeoutMs + ' ms (compiler processes killed)', err });
      else if (code !== 0) resolve({ ok: false, why: signal ? 'killed by ' + signal : 'exit status ' + code, err });
      else resolve({ ok: true });
    });
  });
}

async function compile(job, source, args, base) {
  const src = base + '.cpp';
  const out = base + '.so';
  owned.add(src);
  owned.add(out);
  fs.writeFileSync(src, source, { mode: 0o600 });
  const r = await runCompiler(job, [...args, src, '-o', out]);
  unlink(src);
  owned.delete(src);
  if (!r.ok) {
    unlink(out);
    owned.delete(out);
    return { ok: false, error: (r.why + '\n' + r.err).slice(0, 4000) };
  }
  return { ok: true, out };
}

function lockOwnerDead(lock) {
  try {
    const st = fs.statSync(lock);
    if (Date.now() - st.mtimeMs > STALE_MS) return true;
    const info = JSON.parse(fs.readFileSync(lock, 'utf8'));
    if (info.host !== os.hostname()) return false;
    try { process.kill(info.pid, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
  } catch {
    return false;
  }
}

function tryLock(lock) {
  try {
    const fd = fs.openSync(lock, 'wx', 0o600);
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), time: Date.now() }));
    fs.closeSync(fd);
    return true;
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  }
}

async function publish(job, attempt, final) {
  const lock = final + '.lock';
  const deadline = Date.now() + job.lockWaitMs;
  let locked = false;
  for (;;) {
    if (fs.existsSync(final)) return { ok: true, compiled: false };
    if (tryLock(lock)) { locked = true; owned.add(lock); break; }
    if (lockOwnerDead(lock)) { unlink(lock); continue; }
    if (Date.now() > deadline) break;
    sleep(50);
  }
  try {
    if (fs.existsSync(final)) return { ok: true, compiled: false };
    const base = tmpBase(job.dir, attempt.hash);
    const r = await compile(job, job.source, attempt.args, base);
    if (!r.ok) return r;
    const body = fs.readFileSync(r.out);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(body.length));
    fs.appendFileSync(r.out, Buffer.concat([MAGIC, len, crypto.createHash('sha256').update(body).digest()]));
    fs.chmodSync(r.out, 0o700);
    fs.renameSync(r.out, final);
    owned.delete(r.out);
    try {
      fs.writeFileSync(base + '.src', job.source, { mode: 0o600 });
      fs.renameSync(base + '.src', final.replace(/\.so$/, '.cpp'));
    } catch {
      unlink(base + '.src');
    }
    return { ok: true, compiled: true };
  } finally {
    if (locked) { unlink(lock); owned.delete(lock); }
  }
}

async function build(job) {
  const t0 = Date.now();
  let first;
  for (let a = 0; a < job.attempts.length; a++) {
    const final = path.join(job.dir, job.attempts[a].hash + '.so');
    const r = await publish(job, job.attempts[a], final);
    if (r.ok) return { ok: true, attempt: a, path: final, compiled: r.compiled, ms: Date.now() - t0 };
    if (first === undefined) first = r.error;
  }
  const last = job.attempts[job.attempts.length - 1];
  const probe = await compile(job, job.probeSource, last.args, tmpBase(job.dir, 'probe'));
  if (probe.ok) { unlink(probe.out); owned.delete(probe.out); }
  return { ok: false, error: first, broken: !probe.ok, ms: Date.now() - t0 };
}

function parentGone() {
  try { process.kill(parentPid, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
}

function report(result) {
  if (parentGone()) return;
  const tmp = resultFile + '.' + process.pid;
  try {
    fs.writeFileSync(tmp, JSON.stringify(result), { mode: 0o600 });
    fs.renameSync(tmp, resultFile);
  } catch {
    unlink(tmp);
  }
  if (parentGone()) unlink(resultFile);
}

(async () => {
  let result;
  try {
    const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
    unlink(jobFile);
    result = await build(job);
  } catch (e) {
    unlink(jobFile);
    result = { ok: false, error: String((e && e.message) || e), ms: 0 };
  }
  report(result);
})();
`;
}

/** Whether process `pid` has ended (a zombie counts as ended). */
function processEnded(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const pid = child.pid!;
  if (process.platform === 'linux') {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return st[st.lastIndexOf(')') + 2] === 'Z';
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A build in progress: poll it (non-blocking) or wait for it (blocking the calling thread). */
export class PendingBuild {
  private result: BuildResult | undefined;
  private checkedAt = 0;

  constructor(
    private readonly resultFile: string,
    private readonly child: ChildProcess | undefined,
    failure?: string,
  ) {
    if (failure !== undefined) this.result = { ok: false, error: failure, ms: 0 };
  }

  /**
   * The result if the build has finished, else undefined. Cheap: one stat of the result file,
   * plus (at most every 200 ms) a check that the build process still runs.
   */
  poll(): BuildResult | undefined {
    if (this.result) return this.result;
    if (existsSync(this.resultFile)) return this.take();
    const now = Date.now();
    if (now - this.checkedAt < 200) return undefined;
    this.checkedAt = now;
    if (this.child && !processEnded(this.child)) return undefined;
    if (existsSync(this.resultFile)) return this.take();
    this.result = { ok: false, error: 'the build process ended without a result', ms: 0 };
    return this.result;
  }

  /** Blocks until the build finishes (or `timeoutMs` passes: then a failed result). */
  wait(timeoutMs: number): BuildResult {
    return (
      this.waitFor(timeoutMs) ?? {
        ok: false,
        error: `build did not finish within ${timeoutMs} ms`,
        ms: timeoutMs,
      }
    );
  }

  /** Blocks until the build finishes, or `timeoutMs` passes (then undefined: it goes on). */
  waitFor(timeoutMs: number): BuildResult | undefined {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.poll();
      if (r) return r;
      if (Date.now() >= end) return undefined;
      Atomics.wait(pause, 0, 0, 10);
    }
  }

  private take(): BuildResult {
    try {
      this.result = JSON.parse(readFileSync(this.resultFile, 'utf8')) as BuildResult;
    } catch (e) {
      this.result = { ok: false, error: `unreadable build result: ${(e as Error).message}`, ms: 0 };
    }
    removeFile(this.resultFile);
    return this.result;
  }
}

/**
 * Starts a build in a detached process (see builderSource) and returns at once. The build goes
 * on, and publishes its library, even if this process exits; this process does not wait for it.
 */
export function submitBuild(job: BuildJob): PendingBuild {
  const base = path.join(job.dir, `.tmp-job-${process.pid}-${randomBytes(6).toString('hex')}`);
  const jobFile = `${base}.json`;
  const resultFile = `${base}.result`;
  try {
    mkdirSync(job.dir, { recursive: true, mode: 0o700 });
    writeFileSync(jobFile, JSON.stringify({ ...job, memoryKb: compilerMemoryKb() }), { mode: 0o600 });
  } catch (e) {
    return new PendingBuild(resultFile, undefined, `cannot write the build job: ${(e as Error).message}`);
  }
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    const child = spawn(process.execPath, ['-e', builderSource(), jobFile, resultFile, String(process.pid)], {
      detached: true,
      stdio: 'ignore',
      cwd: job.dir,
      env,
    });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) {
      removeFile(jobFile);
      return new PendingBuild(resultFile, undefined, 'the build process could not be started');
    }
    return new PendingBuild(resultFile, child);
  } catch (e) {
    removeFile(jobFile);
    return new PendingBuild(
      resultFile,
      undefined,
      `the build process could not be started: ${(e as Error).message}`,
    );
  }
}
