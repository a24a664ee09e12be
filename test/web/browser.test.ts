/**
 * End to end: builds the demo page (web/) with Vite, serves it on 127.0.0.1 with the
 * cross-origin-isolation headers, drives Debian's Chromium headless through playwright-core, runs
 * a reduction and an OT computation in the page's Web Worker, and compares the numbers with the
 * same computation in Node. Skips (with the reason printed) only when no Chromium is installed;
 * .ci/run installs it. The page's kernel timing is printed, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { array, Vi, Vj } from '../../src/index.js';
import { samplesLoss, solveOT } from '../../src/ot/index.js';
import { makeScene } from '../../web/scene.js';
import { serveStatic } from './serve.js';

const root = path.resolve(import.meta.dirname, '../..');
const bunny = createRequire(import.meta.url)('bunny') as { positions: number[][] };
const CHROMIUM = process.env.LAZYTENSOR_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LAZYTENSOR_CHROMIUM)`,
  );
}

interface WasmInfo {
  device: string;
  threads: number;
  pool?: { workers: number; ready: number; runs: number; workerChunks: number; sharedMemory: boolean };
}

/** The page worker's wasm backend: status line, threads, pool statistics. */
async function wasmInfo(p: Page): Promise<WasmInfo> {
  return p.evaluate(async () => {
    const demo = (globalThis as unknown as { lazytensorDemo: { run(t: string): Promise<unknown> } })
      .lazytensorDemo;
    return (await demo.run('wasm')) as WasmInfo;
  });
}

interface PageCheck {
  backend: string;
  gaussSum: number[];
  argKmin: number[];
  sinkhorn: number;
  otValue: number;
}

describe.skipIf(!haveChromium)('the demo page in headless Chromium', () => {
  let outDir = '';
  let server: Server | undefined;
  let plainServer: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let plainUrl = '';
  const pageErrors: string[] = [];
  /** The backend `auto` picks in the page's worker: wasm where WebAssembly has SIMD128 (first test). */
  let expectedBackend = 'wasm';

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'lazytensor-web-'));
    const vite = path.join(root, 'node_modules/vite/bin/vite.js');
    const built = spawnSync(
      process.execPath,
      [
        vite,
        'build',
        '--config',
        'web/vite.config.ts',
        '--outDir',
        outDir,
        '--emptyOutDir',
        '--logLevel',
        'error',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
    const served = await serveStatic(outDir);
    server = served.server;
    const plain = await serveStatic(outDir, false);
    plainServer = plain.server;
    plainUrl = plain.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(served.url);
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [server, plainServer])
      await new Promise((resolve) => (s ? s.close(resolve) : resolve(undefined)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('bundles no Node-only module', () => {
    const assets = path.join(outDir, 'assets');
    const code = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(assets, f), 'utf8'))
      .join('\n');
    for (const mod of ['koffi', 'node:fs', 'node:child_process', 'node:crypto', 'node:path']) {
      expect(code, mod).not.toMatch(new RegExp(`(from|import\\(|require\\()\\s*["'\`]${mod}["'\`]`));
    }
    expect(code).not.toContain('__vite-browser-external');
  });

  it('starts the worker cross-origin isolated, on a browser backend', async () => {
    const init = await page.evaluate(async () => {
      const demo = (
        globalThis as unknown as {
          lazytensorDemo: { ready: Promise<{ backend: string; crossOriginIsolated: boolean }> };
        }
      ).lazytensorDemo;
      const r = await demo.ready;
      const cores = (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator
        .hardwareConcurrency;
      // The smallest module with a SIMD128 instruction: (func (result v128) (v128.const 0)).
      const simdModule = new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
      ]);
      const W = (globalThis as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
      return {
        backend: r.backend,
        cores,
        wasm: (r as unknown as { wasm: WasmInfo }).wasm,
        isolated: r.crossOriginIsolated,
        pageIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
        simd: W?.validate(simdModule) === true,
      };
    });
    expect(init.pageIsolated).toBe(true);
    expect(init.isolated).toBe(true);
    // `auto` picks the wasm backend in the page's Web Worker wherever WebAssembly has SIMD128.
    expectedBackend = init.simd ? 'wasm' : 'js';
    expect(init.backend).toBe(expectedBackend);
    // Its wasm backend computes on Web Workers started ahead of the first run, on one shared memory.
    if (init.simd) {
      expect(init.cores).toBeGreaterThanOrEqual(2);
      expect(init.wasm.threads).toBe(init.cores);
      expect(init.wasm.device).toMatch(/\d+ threads \(Web Workers\) on one shared memory/);
      expect(init.wasm.pool).toMatchObject({
        workers: init.cores - 1,
        ready: init.cores - 1,
        sharedMemory: true,
      });
    }
    expect(pageErrors).toEqual([]);
  });

  it('computes in the page what Node computes: a kernel sum, an arg-K-min, Sinkhorn and OT', async () => {
    const got = await page.evaluate(async () => {
      const demo = (
        globalThis as unknown as { lazytensorDemo: { run(t: string): Promise<Record<string, unknown>> } }
      ).lazytensorDemo;
      const r = await demo.run('check');
      return {
        backend: r.backend,
        gaussSum: Array.from(r.gaussSum as Float64Array),
        argKmin: Array.from(r.argKmin as Int32Array),
        sinkhorn: r.sinkhorn,
        otValue: r.otValue,
      } as PageCheck;
    });
    const s = makeScene(bunny.positions);
    const x = array(s.x, [s.n, 3]);
    const y = array(s.y, [s.m, 3]);
    const opts = { backend: 'js' };
    const gauss = Vi(x)
      .sqdist(Vj(y))
      .mul(-1 / 0.1 ** 2)
      .exp()
      .sum('j', opts).data;
    const kmin = Vi(x).sqdist(Vj(y)).kmin(3, 'j', opts).data;
    const sinkhorn = samplesLoss(x, y, { loss: 'sinkhorn', blur: 0.05, compute: 'js' }).value as number;
    const otValue = solveOT(x, y, { blur: 0.05, compute: 'js' }).value;

    // The page computed on the wasm backend (float64 SIMD), Node on the js backend.
    expect(got.backend).toBe(expectedBackend);
    expect(got.gaussSum).toHaveLength(s.n);
    for (let i = 0; i < s.n; i++) expect(got.gaussSum[i]).toBeCloseTo(gauss[i]!, 9);
    // The page's neighbours are at the distances Node finds (ties may order differently).
    expect(got.argKmin).toHaveLength(3 * s.n);
    for (let i = 0; i < s.n; i++) {
      for (let k = 0; k < 3; k++) {
        const j = got.argKmin[3 * i + k]!;
        let d = 0;
        for (let c = 0; c < 3; c++) d += (s.x[3 * i + c]! - s.y[3 * j + c]!) ** 2;
        expect(Math.abs(d - kmin[3 * i + k]!)).toBeLessThan(1e-12);
      }
    }
    expect(Math.abs(got.sinkhorn - sinkhorn)).toBeLessThan(1e-9 * Math.max(1, Math.abs(sinkhorn)));
    expect(Math.abs(got.otValue - otValue)).toBeLessThan(1e-9 * Math.max(1, Math.abs(otValue)));
    expect(sinkhorn).toBeGreaterThan(0);
    // The page's runs were split over its threads: its workers ran chunks of rows.
    if (expectedBackend === 'wasm') {
      const w = await wasmInfo(page);
      expect(w.pool?.sharedMemory).toBe(true);
      expect(w.pool?.workers).toBeGreaterThanOrEqual(1);
      expect(w.pool?.runs).toBeGreaterThan(0);
      expect(w.pool?.workerChunks).toBeGreaterThan(0);
    }
    expect(pageErrors).toEqual([]);
  });

  it("awaits an async reduction on the page's MAIN thread, computed by Web Workers on 2 threads", async () => {
    const got = await page.evaluate(async () => {
      const demo = (globalThis as unknown as { lazytensorDemo: { mainThread(): Promise<unknown> } })
        .lazytensorDemo;
      return (await demo.mainThread()) as {
        gaussSum: number[];
        ticks: number;
        workerChunks: number;
        workers: number;
        device: string;
      };
    });
    const s = makeScene(bunny.positions);
    const gauss = Vi(array(s.x, [s.n, 3]))
      .sqdist(Vj(array(s.y, [s.m, 3])))
      .mul(-1 / 0.1 ** 2)
      .exp()
      .sum('j', { backend: 'js' }).data;
    expect(got.gaussSum).toHaveLength(s.n);
    for (let i = 0; i < s.n; i++) expect(got.gaussSum[i]).toBeCloseTo(gauss[i]!, 9);
    if (expectedBackend === 'wasm') {
      // One Web Worker ran every chunk while the main thread awaited, its timers still firing.
      expect(got.device).toMatch(/2 threads \(Web Workers, for async runs only/);
      expect(got.workers).toBe(1);
      expect(got.workerChunks).toBeGreaterThan(0);
      expect(got.ticks).toBeGreaterThanOrEqual(1);
    }
    expect(pageErrors).toEqual([]);
  });

  it('runs on one thread, with the same results, without the isolation headers', async () => {
    const plain = await browser!.newPage();
    try {
      await plain.goto(plainUrl);
      const r = await plain.evaluate(async () => {
        type Demo = {
          ready: Promise<{ crossOriginIsolated: boolean }>;
          run(t: string): Promise<{ lines: string[] }>;
        };
        const demo = (globalThis as unknown as { lazytensorDemo: Demo }).lazytensorDemo;
        const init = await demo.ready;
        const knn = await demo.run('knn');
        return { isolated: init.crossOriginIsolated, sab: typeof SharedArrayBuffer, lines: knn.lines };
      });
      expect(r.isolated).toBe(false);
      expect(r.sab).toBe('undefined');
      // Without SharedArrayBuffer the wasm backend says it runs on one thread, and why.
      if (expectedBackend === 'wasm') {
        const w = await wasmInfo(plain);
        expect(w.device).toMatch(/1 thread \(no SharedArrayBuffer/);
        expect(w.pool).toBeUndefined();
      }
      const isolatedKnn = await page.evaluate(async () => {
        const demo = (
          globalThis as unknown as { lazytensorDemo: { run(t: string): Promise<{ lines: string[] }> } }
        ).lazytensorDemo;
        return (await demo.run('knn')).lines;
      });
      // The numbers (the mean nearest distance) agree; only the timing differs.
      expect(r.lines[1]).toMatch(/^mean nearest distance \d/);
      expect(r.lines[1]).toBe(isolatedKnn[1]);
    } finally {
      await plain.close();
    }
  });

  it('times the Gaussian kernel sum in the page (reported, not asserted)', async () => {
    const r = (await page.evaluate(async () => {
      const demo = (globalThis as unknown as { lazytensorDemo: { run(t: string): Promise<unknown> } })
        .lazytensorDemo;
      return demo.run('bench');
    })) as {
      backend: string;
      rows: number;
      cols: number;
      runs: { threads: number; ms: number[]; gpairsPerS: number }[];
      wasm: WasmInfo;
    };
    // Compare with `npm run bench:wasm` (the same kernel, rows and columns, in Node) on the same machine.
    const runs = r.runs.map(
      (t) => `${t.threads} thread(s) ${t.gpairsPerS.toFixed(3)} Gpairs/s (best of ${t.ms.join(', ')} ms)`,
    );
    console.log(
      `[browser] Gaussian kernel sum 3-D f32, ${r.rows} rows x ${r.cols} columns, in Chromium on ` +
        `'${r.backend}' (${r.wasm.device}): ${runs.join('; ')}; worker chunks so far ${r.wasm.pool?.workerChunks ?? 0}`,
    );
    expect(r.rows * r.cols).toBe(4e8);
    if (expectedBackend === 'wasm') {
      expect(r.runs.map((t) => t.threads)).toEqual([1, r.wasm.threads]);
      expect(r.wasm.pool?.workerChunks).toBeGreaterThan(0);
    }
  });
});
