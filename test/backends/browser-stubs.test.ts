/**
 * The browser build's stand-ins for the Node-only backends (package.json "browser" map): they
 * cover every export that the rest of the package imports, report themselves unavailable, and
 * throw a clear LazyTensorError when used. The registry, given the stand-ins, falls back as a
 * browser bundle does (vi.mock swaps the modules as the bundler's map would).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/backends/native/index.js', () => import('../../src/backends/native/browser.js'));
vi.mock('../../src/backends/cuda/index.js', () => import('../../src/backends/cuda/browser.js'));

const root = path.resolve(import.meta.dirname, '../..');

/** Exports of the real modules that only Node tools (CLI, tests) import. */
const NODE_ONLY = new Set([
  'NativeKernel',
  'libraryFileFor',
  'resolveNativeOptions',
  'createCudaBackend',
  'generateCuda',
  'CudaKernel',
]);

describe('browser stand-ins of the native and CUDA backends', () => {
  it('package.json maps each Node-only backend entry to a stand-in that exists', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      browser: Record<string, string>;
    };
    const src = (p: string) => path.join(root, p.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    expect(Object.keys(pkg.browser).sort()).toEqual([
      './dist/backends/cuda/index.js',
      './dist/backends/native/index.js',
    ]);
    for (const [from, to] of Object.entries(pkg.browser)) {
      expect(existsSync(src(from)), from).toBe(true);
      expect(existsSync(src(to)), to).toBe(true);
    }
  });

  it('export every name of the real modules except the Node-only tools', async () => {
    const pairs = [
      [
        await vi.importActual('../../src/backends/native/index.js'),
        await import('../../src/backends/native/browser.js'),
      ],
      [
        await vi.importActual('../../src/backends/cuda/index.js'),
        await import('../../src/backends/cuda/browser.js'),
      ],
    ] as const;
    for (const [real, stub] of pairs) {
      const missing = Object.keys(real as object).filter((k) => !NODE_ONLY.has(k) && !(k in stub));
      expect(missing).toEqual([]);
    }
  });

  it('are unavailable with a reason, and throw LazyTensorError when used', async () => {
    const { LazyTensorError } = await import('../../src/errors.js');
    const native = await import('../../src/backends/native/browser.js');
    const cuda = await import('../../src/backends/cuda/browser.js');
    for (const b of [native.nativeBackend, cuda.cudaBackend]) {
      const st = b.status();
      expect(st.available).toBe(false);
      expect(st.reason).toMatch(/browser build/);
      expect(() => b.compile({} as never)).toThrow(LazyTensorError);
    }
    expect(() => native.precompileNative([])).toThrow(LazyTensorError);
    expect(() => cuda.toDevice(new Float32Array(3))).toThrow(LazyTensorError);
    expect(native.clearNativeCache()).toBe(0);
  });

  it('leave the registry on a browser backend, and reductions work', async () => {
    const { backends, getBackend } = await import('../../src/backends/registry.js');
    const { Vi, Vj } = await import('../../src/index.js');
    const names = backends()
      .filter((b) => b.available)
      .map((b) => b.name);
    expect(names).not.toContain('native');
    expect(names).not.toContain('cuda');
    expect(['js', 'wasm']).toContain(getBackend('auto').name);
    expect(() => getBackend('native')).toThrow(/browser build/);
    const x = [[0], [1]];
    const y = [[0], [2], [3]];
    // Σ_j |x_i - y_j|²: x=0 -> 0 + 4 + 9, x=1 -> 1 + 1 + 4.
    expect(Array.from(Vi(x).sqdist(Vj(y)).sum('j').data)).toEqual([13, 6]);
  });
});
