/**
 * CUDA backend benchmark (for a GPU machine): `npx tsx bench/cuda-bench.ts [--quick]`.
 *
 * Prints, side by side: lazytensor CUDA, the JS backend on a subsample of rows (extrapolated) and a
 * dense blocked PyTorch baseline on the same GPU (when python3 with torch and CUDA exists), plus the
 * issue #4 targets on an H100; checks the first rows of every result against the JS backend; and
 * writes bench/results/cuda-<date>.json. Without a GPU it prints why and exits 0.
 *
 * The large-D cases (K-NN and Gaussian sums at D = 50 to 1000) run twice: with the tiled path for
 * dot-product-dominated formulas (src/backends/cuda/gemm.ts, the default) and with it off
 * (`-untiled` ids, `createCudaBackend({ gemm: false })`), side by side in the same run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCudaBackend, cudaBackend } from '../src/backends/cuda/index.js';
import { jsBackend } from '../src/backends/js/index.js';
import { op, Var } from '../src/formula/index.js';
import { buildSpec, type KernelSpec } from '../src/kernel/spec.js';
import { allocFloat, type FloatArray } from '../src/ndarray.js';
import { rng } from './cases.js';

const quick = process.argv.includes('--quick');

interface Case {
  id: string;
  family: 'gauss' | 'lse' | 'knn';
  n: number;
  d: number;
  k?: number;
  dtype: 'float32' | 'float64';
  /** Target seconds on an H100 (issue #4), if any. */
  target?: number;
  /** Run with the tiled path off (the same case's tiled run has the id without `-untiled`). */
  untiled?: boolean;
}

function specOf(c: Case): KernelSpec {
  const x = Var(0, c.d, 'i');
  const y = Var(1, c.d, 'j');
  const d2 = op('SqDist', [x, y]);
  if (c.family === 'gauss') {
    return buildSpec({
      formula: op('Mult', [op('Exp', [op('Minus', [d2])]), Var(2, 1, 'j')]),
      kind: 'Sum',
      axis: 'j',
      dtype: c.dtype,
    }).spec;
  }
  if (c.family === 'lse')
    return buildSpec({ formula: op('Minus', [d2]), kind: 'LogSumExp', axis: 'j', dtype: c.dtype }).spec;
  return buildSpec({ formula: d2, kind: 'ArgKMin', k: c.k, axis: 'j', dtype: c.dtype }).spec;
}

function inputsOf(spec: KernelSpec, n: number): FloatArray[] {
  const r = rng(1);
  return spec.slots.map((s) => {
    const a = allocFloat(spec.dtype, (s.cat === 'p' ? 1 : n) * s.dim);
    for (let k = 0; k < a.length; k++) a[k] = r();
    return a;
  });
}

function best(f: () => void, reps: number): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    f();
    b = Math.min(b, (performance.now() - t) / 1000);
  }
  return b;
}

function torchBaseline(cases: Case[]): { info: string; results: Record<string, number | null> } {
  try {
    const out = execFileSync(
      'python3',
      [path.join(import.meta.dirname ?? 'bench', 'torch_baseline.py'), JSON.stringify(cases)],
      {
        encoding: 'utf8',
        timeout: 1_800_000,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const j = JSON.parse(out.trim().split('\n').pop()!);
    if (j.error) return { info: `no PyTorch baseline: ${j.error}`, results: {} };
    return { info: `PyTorch ${j.torch} on ${j.device}`, results: j.results };
  } catch (e) {
    return { info: `no PyTorch baseline: ${(e as Error).message.split('\n')[0]}`, results: {} };
  }
}

function main(): void {
  const st = cudaBackend.status();
  if (!st.available) {
    console.log(`CUDA benchmark skipped: ${st.reason}`);
    return;
  }
  console.log(`device: ${st.device}`);
  const sizes = quick ? [1e4, 1e5] : [1e4, 1e5, 1e6];
  const cases: Case[] = [];
  for (const n of sizes) {
    cases.push({
      id: `gauss-d3-f32-n${n}`,
      family: 'gauss',
      n,
      d: 3,
      dtype: 'float32',
      target: n === 1e6 ? 0.3 : n === 1e5 ? 0.006 : undefined,
    });
    cases.push({
      id: `lse-d3-f32-n${n}`,
      family: 'lse',
      n,
      d: 3,
      dtype: 'float32',
      target: n === 1e6 ? 0.3 : n === 1e5 ? 0.006 : undefined,
    });
    cases.push({
      id: `knn-k10-d3-f32-n${n}`,
      family: 'knn',
      n,
      d: 3,
      k: 10,
      dtype: 'float32',
      target: n === 1e6 ? 1 : undefined,
    });
  }
  cases.push({ id: 'gauss-d3-f64-n100000', family: 'gauss', n: 1e5, d: 3, dtype: 'float64' });
  // Large D: the tiled path against the untiled kernels (issue #11).
  const nHigh = quick ? 1e4 : 1e5;
  for (const d of [50, 100, 784, 1000]) {
    for (const untiled of [false, true]) {
      const tag = untiled ? '-untiled' : '';
      cases.push({
        id: `knn-k10-d${d}-f32-n${nHigh}${tag}`,
        family: 'knn',
        n: nHigh,
        d,
        k: 10,
        dtype: 'float32',
        untiled,
      });
      if (d === 100 || d === 784)
        cases.push({
          id: `gauss-d${d}-f32-n${nHigh}${tag}`,
          family: 'gauss',
          n: nHigh,
          d,
          dtype: 'float32',
          untiled,
        });
    }
  }
  const untiledBackend = createCudaBackend({ gemm: false });

  // First call including NVRTC compilation (fresh cache folder) and cached-call overhead.
  const fresh = createCudaBackend({
    cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), 'lazytensor-bench-cache-')),
  });
  fresh.status();
  const tiny = specOf({ id: 'tiny', family: 'gauss', n: 1, d: 3, dtype: 'float32' });
  const tinyIn = inputsOf(tiny, 1);
  const tinyOut = new Float32Array(1);
  fresh.toDevice(new Float32Array(1)).free(); // context creation, not counted as compilation
  const t0 = performance.now();
  fresh.compile(tiny).run({ inputs: tinyIn, nI: 1, nJ: 1, out: tinyOut });
  const firstCall = (performance.now() - t0) / 1000;
  const k = fresh.compile(tiny);
  for (let r = 0; r < 200; r++) k.run({ inputs: tinyIn, nI: 1, nJ: 1, out: tinyOut });
  const calls = 5000;
  const t1 = performance.now();
  for (let r = 0; r < calls; r++) k.run({ inputs: tinyIn, nI: 1, nJ: 1, out: tinyOut });
  const overhead = (performance.now() - t1) / 1000 / calls;
  const dIn = tinyIn.map((a) => fresh.toDevice(a));
  const t2 = performance.now();
  for (let r = 0; r < calls; r++) k.runDevice({ inputs: dIn, nI: 1, nJ: 1 }).out!.free();
  fresh.synchronize();
  const overheadDevice = (performance.now() - t2) / 1000 / calls;
  console.log(`first call incl. NVRTC compile: ${(firstCall * 1000).toFixed(1)} ms (target <= 500 ms)`);
  console.log(
    `cached call overhead, host arrays (1 x 1): ${(overhead * 1e6).toFixed(1)} us (target <= 50 us)`,
  );
  console.log(`cached call overhead, device arrays, queued: ${(overheadDevice * 1e6).toFixed(1)} us`);

  const torch = torchBaseline(cases.filter((c) => !c.untiled));
  console.log(torch.info);
  const rows: Record<string, unknown>[] = [];
  console.log(
    'case                                cuda (s)   pairs/s    js est. (s)  torch (s)  cuda/torch  target   check',
  );
  for (const c of cases) {
    const spec = specOf(c);
    const inputs = inputsOf(spec, c.n);
    const kern = (c.untiled ? untiledBackend : cudaBackend).compile(spec);
    const out = spec.outDim > 0 ? allocFloat(spec.dtype, c.n * spec.outDim) : undefined;
    const outIdx = spec.outIdxDim > 0 ? new Int32Array(c.n * spec.outIdxDim) : undefined;
    const run = () => kern.run({ inputs, nI: c.n, nJ: c.n, out, outIdx });
    run();
    const t = best(run, c.n >= 1e6 ? 2 : 5);
    // JS backend on the first rows: the check, and a time estimate for all rows.
    const rowsJs = Math.max(1, Math.min(c.n, Math.floor(2e7 / c.n), Math.floor(2e8 / (c.n * c.d))));
    const jsIn = inputs.map(
      (a, s) => (spec.slots[s]!.cat === 'i' ? a.subarray(0, rowsJs * spec.slots[s]!.dim) : a) as FloatArray,
    );
    const jsOut = out ? allocFloat(spec.dtype, rowsJs * spec.outDim) : undefined;
    const jsIdx = outIdx ? new Int32Array(rowsJs * spec.outIdxDim) : undefined;
    const tj = best(
      () => jsBackend.compile(spec).run({ inputs: jsIn, nI: rowsJs, nJ: c.n, out: jsOut, outIdx: jsIdx }),
      1,
    );
    let worst = 0;
    if (jsOut && out)
      for (let k2 = 0; k2 < jsOut.length; k2++)
        worst = Math.max(worst, Math.abs(out[k2]! - jsOut[k2]!) / Math.max(1e-30, Math.abs(jsOut[k2]!)));
    let idxMismatch = 0;
    if (jsIdx && outIdx)
      for (let k2 = 0; k2 < jsIdx.length; k2++) if (jsIdx[k2] !== outIdx[k2]) idxMismatch++;
    const check = jsIdx ? `${idxMismatch} idx diff` : `rel ${worst.toExponential(1)}`;
    const tt = torch.results[c.id.replace(/-untiled$/, '')];
    const jsEst = (tj * c.n) / rowsJs;
    console.log(
      `${c.id.padEnd(36)}${t.toFixed(4).padStart(9)}  ${((c.n * c.n) / t).toExponential(2).padStart(9)}  ${jsEst.toFixed(2).padStart(11)}  ${tt == null ? '      -' : tt.toFixed(4).padStart(9)}  ${tt == null ? '      -' : (t / tt).toFixed(2).padStart(9)}  ${c.target === undefined ? '     -' : `${c.target}`.padStart(6)}   ${check}`,
    );
    rows.push({
      ...c,
      tiledSites: kern.gen.tiledSites,
      cuda: t,
      pairsPerSec: (c.n * c.n) / t,
      jsEstimate: jsEst,
      torch: tt ?? null,
      check,
    });
  }
  const dir = path.join(import.meta.dirname ?? 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `cuda-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      { device: st.device, torch: torch.info, firstCall, overhead, overheadDevice, cases: rows },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
}

main();
