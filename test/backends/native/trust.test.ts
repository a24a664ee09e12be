/**
 * Who the native disk cache trusts: the cache folder and every library must belong to the current
 * user and be writable by nobody else (checked before dlopen, which runs a library's constructors),
 * and a library must have been built for the kernels it is loaded for (its unit key, checked after
 * loading). Otherwise the folder is not used (with a warning) or the library is deleted and rebuilt.
 * Tests run as root here, so "another user" is made with chown.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkOwnedPrivate,
  currentUid,
  inspectLibrary,
  nativeDir,
} from '../../../src/backends/native/cache.js';
import { generateUnit, unitKey } from '../../../src/backends/native/codegen.js';
import {
  libraryFileFor,
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../../../src/backends/native/index.js';
import type { KernelSpec } from '../../../src/kernel/spec.js';
import { cacheSpec } from './fixtures/spec.js';
import { freshCacheDir, randomInputs, runJs } from './helpers.js';

const OTHER_UID = 1234;
const isRoot = currentUid() === 0;

function runAndCheck(spec: KernelSpec): void {
  const k = nativeBackend.compile(spec) as NativeKernel;
  const nI = 20;
  const nJ = 30;
  const inputs = randomInputs(spec, nI, nJ, 5);
  const out = new Float64Array(nI);
  k.run({ inputs, nI, nJ, out });
  expect(k.lastEngine).toBe('native');
  const ref = runJs(spec, { inputs, nI, nJ }, nI).out;
  for (let i = 0; i < nI; i++) expect(out[i]).toBeCloseTo(ref[i]!, 12);
}

describe('ownership rule', () => {
  it('trusts only files of the current user that nobody else can write', () => {
    expect(checkOwnedPrivate({ uid: 1000, mode: 0o40700 }, 1000)).toBeUndefined();
    expect(checkOwnedPrivate({ uid: 1000, mode: 0o100755 }, 1000)).toBeUndefined();
    expect(checkOwnedPrivate({ uid: 1234, mode: 0o40700 }, 1000)).toMatch(/belongs to uid 1234/);
    expect(checkOwnedPrivate({ uid: 1000, mode: 0o40777 }, 1000)).toMatch(/writable by all users/);
    expect(checkOwnedPrivate({ uid: 1000, mode: 0o40770 }, 1000)).toMatch(/writable by its group/);
    expect(checkOwnedPrivate({ uid: 1000, mode: 0o100666 }, 1000)).toMatch(/mode 666/);
  });
});

describe('native cache trust', () => {
  let dir = '';
  let tmp = '';
  const savedTmp = process.env.TMPDIR;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  beforeEach(() => {
    dir = freshCacheDir();
    // The per-user fallback folder lives under os.tmpdir(): a private one per test.
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lazytensor-tmpdir-'));
    process.env.TMPDIR = tmp;
    warnings.length = 0;
    process.on('warning', onWarning);
    setNativeOptions({ sync: true, cacheDir: dir, cxx: undefined, threads: 2 });
    resetNativeMemory();
  });
  afterEach(() => {
    process.off('warning', onWarning);
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  afterAll(() => setNativeOptions({ sync: undefined, cacheDir: undefined, threads: undefined }));

  const tick = () => new Promise((r) => setImmediate(r));
  const userTmp = () => nativeDir(path.join(tmp, `lazytensor-${currentUid()}`));

  it('creates the cache folder with mode 0700', () => {
    const file = libraryFileFor([cacheSpec()])!;
    expect(path.dirname(file)).toBe(nativeDir(dir));
    expect(statSync(nativeDir(dir)).mode & 0o777).toBe(0o700);
  });

  it('does not use a cache folder that others can write; falls back to a private one', async () => {
    mkdirSync(nativeDir(dir));
    chmodSync(nativeDir(dir), 0o777);
    const file = libraryFileFor([cacheSpec()])!;
    expect(path.dirname(file)).toBe(userTmp());
    expect(statSync(userTmp()).mode & 0o777).toBe(0o700);
    runAndCheck(cacheSpec());
    await tick();
    expect(warnings.some((w) => w.includes(nativeDir(dir)) && w.includes('writable by all users'))).toBe(
      true,
    );
  });

  it.runIf(isRoot)(
    'does not use a cache folder of another user, nor a fallback another user made',
    async () => {
      mkdirSync(nativeDir(dir), { mode: 0o700 });
      chownSync(nativeDir(dir), OTHER_UID, OTHER_UID);
      expect(path.dirname(libraryFileFor([cacheSpec()])!)).toBe(userTmp());
      // Now the per-user temp folder is planted by another user first: a mkdtemp folder is used.
      resetNativeMemory();
      mkdirSync(path.join(tmp, 'other'));
      renameSync(path.dirname(userTmp()), path.join(tmp, 'other', 'x'));
      mkdirSync(userTmp(), { recursive: true, mode: 0o700 });
      chownSync(path.dirname(userTmp()), OTHER_UID, OTHER_UID);
      const file = libraryFileFor([cacheSpec()])!;
      // (with the separator: the mkdtemp folder's name may begin with the uid's digits)
      expect(file.startsWith(path.dirname(userTmp()) + path.sep)).toBe(false);
      expect(file.startsWith(nativeDir(dir))).toBe(false);
      expect(statSync(path.dirname(file)).uid).toBe(currentUid());
      runAndCheck(cacheSpec());
      await tick();
      expect(
        warnings.some((w) => w.includes('belongs to uid 1234') && w.includes('for this process only')),
      ).toBe(true);
    },
  );

  it('refuses a cached library that others can write, and rebuilds it', async () => {
    const spec = cacheSpec();
    runAndCheck(spec);
    const file = libraryFileFor([spec])!;
    expect(statSync(file).mode & 0o022).toBe(0);
    chmodSync(file, 0o666);
    expect(inspectLibrary(file)).toMatchObject({ state: 'untrusted' });
    resetNativeMemory();
    const { refused, compiles, diskHits } = nativeStats;
    runAndCheck(spec);
    expect(nativeStats.refused).toBe(refused + 1);
    expect(nativeStats.compiles).toBe(compiles + 1);
    expect(nativeStats.diskHits).toBe(diskHits);
    expect(inspectLibrary(file)).toMatchObject({ state: 'ok' });
    await tick();
    expect(warnings.some((w) => w.includes('refused') && w.includes('mode 666'))).toBe(true);
  });

  it.runIf(isRoot)('refuses a cached library owned by another user, and rebuilds it', () => {
    const spec = cacheSpec();
    runAndCheck(spec);
    const file = libraryFileFor([spec])!;
    chownSync(file, OTHER_UID, OTHER_UID);
    resetNativeMemory();
    const { refused, compiles } = nativeStats;
    runAndCheck(spec);
    expect(nativeStats.refused).toBe(refused + 1);
    expect(nativeStats.compiles).toBe(compiles + 1);
    expect(statSync(file).uid).toBe(currentUid());
  });

  it('refuses a symbolic link in place of a library', () => {
    const [sum, max] = [cacheSpec('Sum'), cacheSpec('Max')];
    runAndCheck(max);
    const file = libraryFileFor([sum])!;
    symlinkSync(libraryFileFor([max])!, file);
    expect(inspectLibrary(file)).toMatchObject({ state: 'untrusted', reason: /symbolic link/ });
    const { refused } = nativeStats;
    runAndCheck(sum);
    expect(nativeStats.refused).toBe(refused + 1);
  });

  it("refuses another formula's sealed library copied under this formula's name", () => {
    const [sum, max] = [cacheSpec('Sum'), cacheSpec('Max')];
    runAndCheck(max);
    // Sum's library is not built: as in a new process, its path has never been loaded here.
    const file = libraryFileFor([sum])!;
    // A copy keeps a valid seal (it covers the file's own bytes) and is owned by this user.
    copyFileSync(libraryFileFor([max])!, `${file}.copy`);
    chmodSync(`${file}.copy`, 0o700);
    renameSync(`${file}.copy`, file);
    expect(inspectLibrary(file)).toMatchObject({ state: 'ok' });
    resetNativeMemory();
    const { refused, compiles } = nativeStats;
    runAndCheck(sum);
    expect(nativeStats.refused).toBe(refused + 1);
    expect(nativeStats.compiles).toBe(compiles + 1);
    // The rebuilt file is Sum's again: a new process (memory reset) loads it from disk.
    resetNativeMemory();
    const hits = nativeStats.diskHits;
    runAndCheck(sum);
    expect(nativeStats.diskHits).toBe(hits + 1);
  });

  it('compiles the unit key into the library as 64 hex digits, different per formula', () => {
    const specs = [cacheSpec('Sum'), cacheSpec('Max')];
    const unit = generateUnit(specs);
    expect(unit.key).toBe(unitKey(specs));
    expect(unit.key).toMatch(/^[0-9a-f]{64}$/);
    expect(unit.source).toContain(`lt_unit_key(void) { return "${unit.key}"; }`);
    expect(unitKey([specs[0]!])).not.toBe(unitKey([specs[1]!]));
    expect(unitKey(specs)).not.toBe(unitKey([specs[1]!, specs[0]!]));
  });
});
