/**
 * Failure is graceful, and compilation never stalls the first call: no compiler, a compiler that
 * cannot build anything, a compile error in one formula, a library that cannot be loaded — each
 * gives one warning and correct results from the JS backend. In background mode the first calls
 * run on JS and switch to native code, without yielding to the event loop, once the build is done.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type NativeKernel,
  nativeBackend,
  resetNativeMemory,
  resolveNativeOptions,
  setNativeOptions,
} from '../../../src/backends/native/index.js';
import { resetToolchains } from '../../../src/backends/native/toolchain.js';
import { backends } from '../../../src/backends/registry.js';
import { LazyTensorError } from '../../../src/errors.js';
import { op, Var } from '../../../src/formula/index.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import { freshCacheDir, randomInputs, runJs } from './helpers.js';

function spec(kind: 'Sum' | 'Min' | 'LogSumExp' = 'Sum'): KernelSpec {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const f = kind === 'LogSumExp' ? op('Minus', [op('SqDist', [x, y])]) : op('SqDist', [x, y]);
  return buildSpec({ formula: f, kind, axis: 'j', dtype: 'float64' }).spec;
}

/** Runs a kernel and checks it against the JS backend; returns the engine that served the call. */
function runChecked(k: NativeKernel, s: KernelSpec): string | undefined {
  const nI = 30;
  const nJ = 40;
  const inputs = randomInputs(s, nI, nJ, 11);
  const out = new Float64Array(nI * s.outDim);
  k.run({ inputs, nI, nJ, out });
  const ref = runJs(s, { inputs, nI, nJ }, nI).out;
  for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 12);
  return k.lastEngine;
}

/** Writes an executable shell script standing in for a C++ compiler. */
function fakeCompiler(dir: string, body: string): string {
  const file = path.join(dir, 'fake-cxx.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** The backend serving native kernels that are not ready: the next by priority, wasm where WebAssembly SIMD works, else js. */
const fallbackEngine = () => (backends().find((b) => b.name === 'wasm')?.available ? 'wasm' : 'js');

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('native backend failure modes', () => {
  let dir = '';
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  beforeEach(() => {
    dir = freshCacheDir();
    warnings.length = 0;
    process.on('warning', onWarning);
    setNativeOptions({ sync: true, cacheDir: dir, cxx: undefined, threads: 2 });
    resetNativeMemory();
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });
  afterAll(() =>
    setNativeOptions({ sync: undefined, cacheDir: undefined, cxx: undefined, threads: undefined }),
  );

  const tick = () => new Promise((r) => setImmediate(r));

  it('reports a missing compiler through backends() and still computes through JS', () => {
    setNativeOptions({ cxx: path.join(dir, 'no-such-c++') });
    const st = nativeBackend.status();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/no C\+\+ compiler found/);
    expect(backends().find((b) => b.name === 'native')).toMatchObject({ available: false });
    const k = nativeBackend.compile(spec()) as NativeKernel;
    expect(k.state).toBe('failed');
    expect(runChecked(k, spec())).toBe(fallbackEngine());
  });

  it('gives up on a compiler that does not answer --version within 2 s, and remembers it', () => {
    // Sleeps 5 s: a 10 s limit would wait and accept it. Each call is counted.
    const calls = path.join(dir, 'calls');
    setNativeOptions({
      cxx: fakeCompiler(
        dir,
        `if [ "$1" = "--version" ]; then echo x >> '${calls}'; exec sleep 5; fi\nexit 1`,
      ),
    });
    resetToolchains();
    const st = nativeBackend.status();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/no C\+\+ compiler found .*did not answer --version within 2 s/);
    // A new process (memory reset) reads the failure from the cache instead of waiting again.
    resetNativeMemory();
    resetToolchains();
    expect(nativeBackend.status()).toMatchObject({ available: false });
    expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('disables itself with one warning when the compiler cannot build anything', async () => {
    setNativeOptions({
      cxx: fakeCompiler(
        dir,
        'if [ "$1" = "--version" ]; then echo "fake 1.0"; exit 0; fi\necho "fatal error: nothing works" >&2\nexit 1',
      ),
    });
    expect(nativeBackend.status().available).toBe(true);
    const k = nativeBackend.compile(spec()) as NativeKernel;
    expect(k.state).toBe('failed');
    expect(runChecked(k, spec())).toBe(fallbackEngine());
    expect(runChecked(nativeBackend.compile(spec('Min')) as NativeKernel, spec('Min'))).toBe(
      fallbackEngine(),
    );
    const st = nativeBackend.status();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/cannot build libraries: .*nothing works/s);
    await tick();
    expect(warnings.filter((w) => w.includes('nothing works'))).toHaveLength(1);
  });

  it('falls back for a formula that fails to compile, and keeps native for the others', async () => {
    // Delegates to g++, except for sources that contain the Min kernel.
    setNativeOptions({
      cxx: fakeCompiler(
        dir,
        [
          'if [ "$1" = "--version" ]; then exec g++ --version; fi',
          'for a in "$@"; do case "$a" in *.cpp) if grep -q "red=Min;" "$a"; then echo "error: injected" >&2; exit 1; fi;; esac; done',
          'exec g++ "$@"',
        ].join('\n'),
      ),
    });
    const bad = nativeBackend.compile(spec('Min')) as NativeKernel;
    expect(bad.state).toBe('failed');
    expect(runChecked(bad, spec('Min'))).toBe(fallbackEngine());
    const good = nativeBackend.compile(spec('Sum')) as NativeKernel;
    expect(runChecked(good, spec('Sum'))).toBe('native');
    expect(nativeBackend.status().available).toBe(true);
    await tick();
    expect(warnings.filter((w) => w.includes('compilation failed') && w.includes('injected'))).toHaveLength(
      1,
    );
  });

  it('falls back when the built library cannot be loaded', async () => {
    // "Compiles" by writing random bytes: sealed correctly, rejected by dlopen (twice: then it gives up).
    setNativeOptions({
      cxx: fakeCompiler(
        dir,
        [
          'if [ "$1" = "--version" ]; then echo "fake 2.0"; exit 0; fi',
          'prev=""; for a in "$@"; do if [ "$prev" = "-o" ]; then out="$a"; fi; prev="$a"; done',
          'head -c 4096 /dev/urandom > "$out"',
        ].join('\n'),
      ),
    });
    const k = nativeBackend.compile(spec()) as NativeKernel;
    expect(k.state).toBe('failed');
    expect(runChecked(k, spec())).toBe(fallbackEngine());
    await tick();
    expect(warnings.filter((w) => w.includes('could not be loaded'))).toHaveLength(1);
  });

  it('serves the first calls with JS while compiling in the background, then switches', () => {
    setNativeOptions({ sync: false });
    const s = spec('LogSumExp');
    const k = nativeBackend.compile(s) as NativeKernel;
    expect(k.state).toBe('pending');
    expect(runChecked(k, s)).toBe(fallbackEngine());
    expect(k.lastDecision).toBe('fallback');
    // No await: each call polls the build itself, so a synchronous loop switches too.
    // Polls at most 6,000 times, 20 ms apart (about 2 minutes), without reading the clock.
    let engine = runChecked(k, s);
    for (let tries = 0; engine !== 'native' && tries < 6000; tries++) {
      sleep(20);
      engine = runChecked(k, s);
    }
    expect(engine).toBe('native');
    expect(k.state).toBe('ready');
  });

  it('runs asynchronously on a koffi worker thread', async () => {
    const s = spec('Sum');
    const k = nativeBackend.compile(s) as NativeKernel;
    expect(k.state).toBe('ready');
    const nI = 500;
    const nJ = 700;
    const inputs = randomInputs(s, nI, nJ, 4);
    const out = new Float64Array(nI);
    const p = k.runAsync({ inputs, nI, nJ, out });
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect(k.lastEngine).toBe('native');
    const ref = runJs(s, { inputs, nI, nJ }, nI).out;
    for (let i = 0; i < nI; i++) expect(out[i]).toBeCloseTo(ref[i]!, 10);
  });

  it('rejects bad buffers with a LazyTensorError instead of reading out of bounds', () => {
    const s = spec('Sum');
    const k = nativeBackend.compile(s) as NativeKernel;
    const nI = 4;
    const nJ = 5;
    const inputs = randomInputs(s, nI, nJ, 1);
    const out = new Float64Array(nI);
    const bad = [
      () => k.run({ inputs: [inputs[0]!], nI, nJ, out }),
      () => k.run({ inputs: [inputs[0]!, inputs[1]!.subarray(1)], nI, nJ, out }),
      () => k.run({ inputs: [new Float32Array(nI * 3), inputs[1]!], nI, nJ, out }),
      () => k.run({ inputs, nI, nJ, out: new Float64Array(nI - 1) }),
      () => k.run({ inputs, nI: -1, nJ, out }),
      () =>
        k.run({
          inputs,
          nI,
          nJ,
          out,
          ranges: {
            rowRanges: new Int32Array([0, 4]),
            slices: new Int32Array([2]),
            colRanges: new Int32Array([0, 5]),
          },
        }),
    ];
    for (const f of bad) expect(f).toThrow(LazyTensorError);
  });

  it('reads its options from the environment and validates them', () => {
    setNativeOptions({ sync: undefined, threads: undefined });
    const before = process.env.LAZYTENSOR_NATIVE_SYNC;
    process.env.LAZYTENSOR_NATIVE_SYNC = '1';
    expect(resolveNativeOptions().sync).toBe(true);
    process.env.LAZYTENSOR_NATIVE_SYNC = '0';
    expect(resolveNativeOptions().sync).toBe(false);
    // Unset: the serving policy decides per call (undefined), as with any other value.
    delete process.env.LAZYTENSOR_NATIVE_SYNC;
    expect(resolveNativeOptions().sync).toBeUndefined();
    if (before === undefined) delete process.env.LAZYTENSOR_NATIVE_SYNC;
    else process.env.LAZYTENSOR_NATIVE_SYNC = before;
    expect(() => setNativeOptions({ threads: 0 })).toThrow(LazyTensorError);
    expect(resolveNativeOptions().cacheRoot).toBe(path.resolve(dir));
  });
});
