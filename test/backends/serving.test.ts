/**
 * The first-call policy of kernels still compiling (src/backends/serving.ts): a call waits for the
 * build when the fallback backend is expected to take longer than the rest of the build, else it
 * runs on the fallback; the backend's sync option forces either way. The decisions are tested
 * with a fake deferred kernel and a fallback backend of known cost (no clock read), then on the
 * native backend with a fresh cache and a D = 784 formula.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index.js';
import {
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../../src/backends/native/index.js';
import { registerBackend } from '../../src/backends/registry.js';
import { DeferredKernel, type KernelState, shouldWait } from '../../src/backends/serving.js';
import type { Backend, RunArgs } from '../../src/backends/types.js';
import { op, Var } from '../../src/formula/index.js';
import { buildSpec, type KernelSpec } from '../../src/kernel/spec.js';
import { mulberry32 } from '../../src/random.js';
import { freshCacheDir } from './native/helpers.js';

/** A fallback backend (priority 3: below the fake deferred one) costing 1 µs per pair. */
const fallbackRuns = { n: 0, async: 0 };
const slowFallback: Backend = {
  name: 'test-fallback',
  priority: 3,
  status: () => ({ available: true }),
  estimateSeconds: (_spec, pairs) => pairs * 1e-6,
  compile(spec) {
    const k = jsBackend.compile(spec);
    return {
      backend: 'test-fallback',
      run(args) {
        fallbackRuns.n++;
        k.run(args);
      },
      async runAsync(args) {
        fallbackRuns.async++;
        k.run(args);
      },
    };
  },
};
registerBackend(slowFallback);
registerBackend({ ...slowFallback, name: 'test-deferred', priority: 4 });
afterAll(() => {
  for (const name of ['test-fallback', 'test-deferred'])
    registerBackend({ ...slowFallback, name, priority: -1e9, status: () => ({ available: false }) });
});

/**
 * A deferred kernel whose build "finishes" when waited for (unless `hangs`), expected 2 s from
 * now; its own code is the JS kernel. Records the bounds it was asked to wait.
 */
class FakeDeferred extends DeferredKernel {
  readonly backend = 'test-deferred';
  current: KernelState = 'pending';
  force: boolean | undefined = undefined;
  hangs = false;
  waits: (number | undefined)[] = [];
  own = 0;
  private readonly js = jsBackend.compile(this.spec);

  get state(): KernelState {
    return this.current;
  }
  waitReady(timeoutMs?: number): KernelState {
    this.waits.push(timeoutMs);
    if (!this.hangs) this.current = 'ready';
    return this.current;
  }
  expectedReadySeconds(): number {
    return 2;
  }
  protected waitPolicy(): boolean | undefined {
    return this.force;
  }
  protected runReady(args: RunArgs): boolean {
    this.own++;
    this.js.run(args);
    return true;
  }
  protected async runReadyAsync(args: RunArgs): Promise<boolean> {
    return this.runReady(args);
  }
  protected countFallback(): void {}
  protected countWaited(): void {}
}

const sumSpec = buildSpec({
  formula: op('SqDist', [Var(0, 1, 'i'), Var(1, 1, 'j')]),
  kind: 'Sum',
  axis: 'j',
  dtype: 'float64',
}).spec;

/** Arguments of nI x nJ pairs (x_i = i, y_j = 0): the sums are nJ * i^2. */
function sumArgs(nI: number, nJ: number): RunArgs {
  return {
    inputs: [Float64Array.from({ length: nI }, (_, i) => i), new Float64Array(nJ)],
    nI,
    nJ,
    out: new Float64Array(nI),
  };
}

function checkSums(a: RunArgs): void {
  for (const i of [0, 1, a.nI - 1]) expect(a.out![i]).toBe(a.nJ * i * i);
}

describe('the first-call policy of kernels still compiling', () => {
  it('waits when the fallback would take longer than the build, and only then', () => {
    expect(shouldWait(undefined, 3, 2)).toBe(true);
    expect(shouldWait(undefined, 1, 2)).toBe(false);
    expect(shouldWait(true, 0, 100)).toBe(true);
    expect(shouldWait(false, 100, 0)).toBe(false);
  });

  it('serves a small call on the fallback and makes a large one wait for the build', () => {
    const k = new FakeDeferred(sumSpec);
    const small = sumArgs(10, 100); // 1,000 pairs: 1 ms on the fallback, against 2 s
    const before = fallbackRuns.n;
    k.run(small);
    checkSums(small);
    expect([k.lastDecision, k.lastEngine, k.waits, fallbackRuns.n]).toEqual([
      'fallback',
      'test-fallback',
      [],
      before + 1,
    ]);
    expect(k.fallbackSeconds(small)).toBeCloseTo(1e-3, 12);
    const large = sumArgs(3000, 1000); // 3e6 pairs: 3 s on the fallback
    k.run(large);
    checkSums(large);
    // It waited at most as long as the fallback would take (3,000 ms), then ran its own code.
    expect([k.lastDecision, k.lastEngine, k.waits, k.own, fallbackRuns.n]).toEqual([
      'waited',
      'test-deferred',
      [3000],
      1,
      before + 1,
    ]);
    k.run(small);
    expect([k.lastDecision, k.waits.length, k.own]).toEqual(['ready', 1, 2]);
  });

  it('serves on the fallback when the build is not done within the wait bound', () => {
    const k = new FakeDeferred(sumSpec);
    k.hangs = true;
    const large = sumArgs(3000, 1000);
    k.run(large);
    checkSums(large);
    expect([k.lastDecision, k.waits, k.own]).toEqual(['fallback', [3000], 0]);
  });

  it('counts the pairs of block-sparse ranges only', () => {
    const k = new FakeDeferred(sumSpec);
    const a = sumArgs(3000, 1000);
    // One block of rows 0..10 against columns 0..1000: 10,000 pairs.
    a.ranges = {
      rowRanges: Int32Array.of(0, 10),
      slices: Int32Array.of(1),
      colRanges: Int32Array.of(0, 1000),
    };
    expect(k.fallbackSeconds(a)).toBeCloseTo(1e-2, 12);
    k.run(a);
    expect(k.lastDecision).toBe('fallback');
  });

  it('follows the sync option either way: true always waits, false never does', () => {
    const k = new FakeDeferred(sumSpec);
    k.force = false;
    k.run(sumArgs(3000, 1000));
    expect([k.lastDecision, k.waits]).toEqual(['fallback', []]);
    k.force = true;
    k.run(sumArgs(10, 10));
    expect([k.lastDecision, k.waits]).toEqual(['waited', [Number.POSITIVE_INFINITY]]);
  });

  it('waits off the event loop in runAsync, polling the state', async () => {
    const k = new FakeDeferred(sumSpec);
    let polls = 0;
    Object.defineProperty(k, 'state', {
      get: () => (++polls >= 4 ? 'ready' : 'pending'),
    });
    const a = sumArgs(3000, 1000);
    await k.runAsync(a);
    checkSums(a);
    expect([k.lastDecision, k.lastEngine, k.waits]).toEqual(['waited', 'test-deferred', []]);
    expect(polls).toBeGreaterThanOrEqual(4);
  });

  it('serves runAsync on the fallback through its runAsync (it does not block either)', async () => {
    const k = new FakeDeferred(sumSpec);
    k.force = false;
    const before = { ...fallbackRuns };
    const a = sumArgs(50, 40);
    await k.runAsync(a);
    checkSums(a);
    expect([k.lastDecision, k.lastEngine]).toEqual(['fallback', 'test-fallback']);
    expect(fallbackRuns).toEqual({ n: before.n, async: before.async + 1 });
  });
});

describe('the first call of a native kernel on a fresh cache', () => {
  // The policy itself (no sync option, no LAZYTENSOR_NATIVE_SYNC, which test/helpers/setup.ts sets).
  const envSync = process.env.LAZYTENSOR_NATIVE_SYNC;
  beforeAll(() => {
    delete process.env.LAZYTENSOR_NATIVE_SYNC;
  });
  afterAll(() => {
    setNativeOptions({ cacheDir: undefined, sync: undefined, threads: undefined, cxx: undefined });
    if (envSync !== undefined) process.env.LAZYTENSOR_NATIVE_SYNC = envSync;
  });

  /**
   * g++ behind a wrapper that takes 2 s longer per build (not for --version), so that the build is
   * still running when the second call comes, however fast the machine.
   */
  function slowCompiler(): string {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lt-slowcxx-')), 'slow-g++');
    writeFileSync(file, '#!/bin/sh\ncase "$1" in --version) exec g++ "$@";; esac\nsleep 2\nexec g++ "$@"\n');
    chmodSync(file, 0o755);
    return file;
  }

  function knnSpec(D: number): KernelSpec {
    return buildSpec({
      formula: op('SqDist', [Var(0, D, 'i'), Var(1, D, 'j')]),
      kind: 'ArgKMin',
      k: 3,
      axis: 'j',
      dtype: 'float32',
    }).spec;
  }

  it('waits for the compiler on a large D = 784 call and serves a small one on the fallback', () => {
    setNativeOptions({ cacheDir: freshCacheDir(), sync: undefined, threads: 2, cxx: slowCompiler() });
    resetNativeMemory();
    const D = 784;
    const r = mulberry32(5);
    const nI = 800;
    const nJ = 16_000;
    const X = Float32Array.from({ length: nI * D }, () => r());
    const Y = Float32Array.from({ length: nJ * D }, () => r());
    const k = nativeBackend.compile(knnSpec(D)) as NativeKernel;
    expect(k.state).toBe('pending');
    const before = { ...nativeStats };
    // 2 x 2 pairs: far cheaper on the fallback than the ~2 s build.
    k.run({ inputs: [X.subarray(0, 2 * D), Y.subarray(0, 2 * D)], nI: 2, nJ: 2, outIdx: new Int32Array(6) });
    expect(k.lastDecision).toBe('fallback');
    expect(k.lastEngine).not.toBe('native');
    // 12.8 million pairs of 784 dimensions: seconds on wasm or JS, so it waits for g++.
    expect(k.fallbackSeconds({ inputs: [X, Y], nI, nJ })).toBeGreaterThan(k.expectedReadySeconds());
    const outIdx = new Int32Array(nI * 3);
    k.run({ inputs: [X, Y], nI, nJ, outIdx });
    expect([k.lastDecision, k.lastEngine]).toEqual(['waited', 'native']);
    expect(nativeStats.waitedRuns - before.waitedRuns).toBe(1);
    expect(nativeStats.nativeRuns - before.nativeRuns).toBe(1);
    expect(nativeStats.fallbackRuns - before.fallbackRuns).toBe(1);
    expect(nativeStats.compiles - before.compiles).toBe(1);
    // The nearest reference of a few rows, by a float64 loop.
    for (const i of [0, 401, nI - 1]) {
      let best = -1;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < nJ; j++) {
        let d = 0;
        for (let c = 0; c < D; c++) d += (X[i * D + c]! - Y[j * D + c]!) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      expect(outIdx[i * 3]).toBe(best);
    }
  }, 240_000);
});
