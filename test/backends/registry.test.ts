/**
 * The registry owns the choice of `'auto'`: the available backend of highest priority among ALL
 * registered ones, built in or added with registerBackend (an added backend used to be ignored by
 * 'auto'). Ties go to the backend registered first; unavailable backends are skipped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../src/backends/cuda/index.js';
import { jsBackend } from '../../src/backends/js/index.js';
import {
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../../src/backends/native/index.js';
import { backends, getBackend, registerBackend } from '../../src/backends/registry.js';
import type { Backend, BackendStatus } from '../../src/backends/types.js';
import { op, Var } from '../../src/formula/index.js';
import { Vi, Vj } from '../../src/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { freshCacheDir } from './native/helpers.js';

/** A backend that runs on the JS backend and counts its runs. */
function fake(name: string, priority: number | undefined, status: BackendStatus = { available: true }) {
  const counter = { runs: 0 };
  const backend: Backend = {
    name,
    priority,
    status: () => status,
    compile(spec) {
      const k = jsBackend.compile(spec);
      return {
        backend: name,
        run(args) {
          counter.runs++;
          k.run(args);
        },
      };
    },
  };
  return { backend, counter };
}

const added: string[] = [];
function add(b: Backend): void {
  registerBackend(b);
  added.push(b.name);
}
// The registry has no unregister: leave the added backends unavailable (never chosen).
afterAll(() => {
  for (const n of added) registerBackend(fake(n, -1e9, { available: false, reason: 'test over' }).backend);
});

describe("'auto' and priorities", () => {
  it('picks a registered backend whose priority beats every built-in one, and runs reductions on it', () => {
    const before = getBackend('auto').name;
    const hi = fake('test-high', 1000);
    add(hi.backend);
    expect(getBackend().name).toBe('test-high');
    expect(getBackend('auto').name).toBe('test-high');
    const x = Vi({ data: Float64Array.of(0, 1, 2), shape: [3, 1] });
    const y = Vj({ data: Float64Array.of(1, 3), shape: [2, 1] });
    const s = x.sqdist(y).sum('j');
    expect(Array.from(s.data)).toEqual([1 + 9, 0 + 4, 1 + 1]);
    expect(hi.counter.runs).toBe(1);
    // Unavailable again: 'auto' falls back to the previous choice.
    add(fake('test-high', 1000, { available: false, reason: 'gone' }).backend);
    expect(getBackend('auto').name).toBe(before);
    expect(backends().find((b) => b.name === 'test-high')).toMatchObject({
      available: false,
      reason: 'gone',
    });
  });

  it('never picks a backend below the available built-in ones, nor an unavailable one', () => {
    const before = getBackend('auto').name;
    add(fake('test-low', -5).backend);
    add(fake('test-default', undefined).backend);
    add(fake('test-off', 5000, { available: false, reason: 'no device' }).backend);
    expect(getBackend('auto').name).toBe(before);
    expect(getBackend('test-low').name).toBe('test-low');
  });

  it('breaks ties by registration order', () => {
    add(fake('test-tie-a', 2000).backend);
    add(fake('test-tie-b', 2000).backend);
    expect(getBackend('auto').name).toBe('test-tie-a');
    add(fake('test-tie-a', 2000, { available: false }).backend);
    expect(getBackend('auto').name).toBe('test-tie-b');
  });

  it('built-in priorities: cuda over native over js', () => {
    expect(cudaBackend.priority!).toBeGreaterThan(nativeBackend.priority!);
    expect(nativeBackend.priority!).toBeGreaterThan(jsBackend.priority ?? 0);
  });
});

describe('serving a kernel whose backend is still compiling (or failed)', () => {
  afterAll(() => setNativeOptions({ cxx: undefined, cacheDir: undefined, sync: undefined }));

  it('runs on the available backend next by priority, and counts the fallback runs', () => {
    // No compiler: every native kernel is 'failed' and served by the fallback backend.
    setNativeOptions({ cxx: '/nonexistent/c++', cacheDir: freshCacheDir(), sync: true });
    resetNativeMemory();
    const x = Var(0, 1, 'i');
    const y = Var(1, 1, 'j');
    const { spec } = buildSpec({ formula: op('SqDist', [x, y]), kind: 'Sum', axis: 'j', dtype: 'float64' });
    const run = (k: NativeKernel) => {
      const out = new Float64Array(3);
      k.run({ inputs: [Float64Array.of(0, 1, 2), Float64Array.of(1, 3)], nI: 3, nJ: 2, out });
      expect(Array.from(out)).toEqual([10, 4, 2]);
    };
    const k = nativeBackend.compile(spec) as NativeKernel;
    expect(k.state).toBe('failed');
    const before = nativeStats.fallbackRuns;
    run(k);
    // The next available backend below native (10) by priority: wasm (5) where WebAssembly SIMD works, else js (0).
    expect(k.lastEngine).toBe(backends().find((b) => b.name === 'wasm')?.available ? 'wasm' : 'js');
    // A backend between wasm (5) and native (10) serves instead; one above native does not.
    const mid = fake('test-mid', 7);
    add(mid.backend);
    add(fake('test-above', 15).backend);
    resetNativeMemory();
    const k2 = nativeBackend.compile(spec) as NativeKernel;
    run(k2);
    expect(k2.lastEngine).toBe('test-mid');
    expect(mid.counter.runs).toBe(1);
    expect(nativeStats.fallbackRuns).toBe(before + 2);
    add(fake('test-above', -1e9, { available: false }).backend);
  });
});
