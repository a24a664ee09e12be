/**
 * Optimal transport benchmark: debiased Sinkhorn divergence with gradients (samplesLoss) between
 * two 3-D clouds, N = M, uniform in the unit cube or sampled on two deformed spheres (surfaces,
 * the registration use case), for blur ∈ {0.05, 0.01} and scaling ∈ {0.5, 0.9}, with the online
 * and multiscale OT backends side by side in the same run, on the chosen engine backend (default:
 * native). Reports the time of value + gradients, pairs visited by the finest kernel (multiscale),
 * the relative difference of multiscale to online (where online runs: N ≤ --online-max), to exact
 * OT (network simplex, N ≤ --exact-max), the peak resident memory of the process so far (for the
 * largest N: that of its solve), and the exponent of time against N fitted over N ≥ 1e4.
 * Then runs the images bench (bench/ot-images.ts) unless --no-images. Writes
 * bench/results/ot-<date>.json unless --no-json.
 *
 *   npx tsx bench/ot.ts [--sizes 1000,10000,100000] [--million] [--shapes surface,cube]
 *     [--backends online,multiscale] [--online-max 10000] [--compute native] [--repeats 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { nativeStats, setNativeOptions } from '../src/backends/native/index.js';
import { backends } from '../src/backends/registry.js';
import { exactOT, samplesLoss } from '../src/ot/index.js';
import { mulberry32 as rng } from '../src/random.js';

const program = new Command()
  .option('--sizes <list>', 'comma-separated N = M', '1000,10000,100000')
  .option('--million', 'also N = 1e6 (multiscale only)')
  .option('--shapes <list>', 'surface (two deformed spheres) and/or cube', 'surface,cube')
  .option('--backends <list>', 'OT backends', 'online,multiscale')
  .option('--online-max <n>', 'largest N for the online backend', '10000')
  .option('--blurs <list>', 'comma-separated blurs', '0.05,0.01')
  .option('--scalings <list>', 'comma-separated scalings', '0.5,0.9')
  .option('--compute <name>', 'engine backend', 'native')
  .option('--dtype <dtype>', 'float32 or float64', 'float32')
  .option('--repeats <n>', 'timed runs per case (best is reported)', '3')
  .option('--exact-max <n>', 'largest N for the exact reference', '2000')
  .option('--max-seconds <s>', 'no repeats for cases slower than this', '20')
  .option('--no-images', 'skip the images bench')
  .option('--no-json', 'do not write a results file')
  .parse();
const o = program.opts<{
  sizes: string;
  million?: boolean;
  shapes: string;
  backends: string;
  onlineMax: string;
  blurs: string;
  scalings: string;
  compute: string;
  dtype: 'float32' | 'float64';
  repeats: string;
  exactMax: string;
  maxSeconds: string;
  images: boolean;
  json: boolean;
}>();

const list = (s: string) => s.split(',').map(Number);

function cube(n: number, seed: number, shift: number, f32: boolean) {
  const r = rng(seed);
  const data = f32 ? new Float32Array(n * 3) : new Float64Array(n * 3);
  for (let k = 0; k < data.length; k++) data[k] = r() + (k % 3 === 0 ? shift : 0);
  return { data, shape: [n, 3] };
}

/** n points on a sphere of radius 0.5 deformed by 1 + 0.3 sin(3u + phase), shifted along x. */
function surface(n: number, seed: number, phase: number, f32: boolean) {
  const r = rng(seed);
  const data = f32 ? new Float32Array(n * 3) : new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    let u = 0;
    let v = 0;
    let w = 0;
    let s = 0;
    do {
      u = 2 * r() - 1;
      v = 2 * r() - 1;
      w = 2 * r() - 1;
      s = u * u + v * v + w * w;
    } while (s > 1 || s < 1e-6);
    s = Math.sqrt(s);
    const rad = 0.5 * (1 + 0.3 * Math.sin((3 * u) / s + phase));
    data[3 * i] = 0.5 + (rad * u) / s + 0.2 * phase;
    data[3 * i + 1] = 0.5 + (rad * v) / s;
    data[3 * i + 2] = 0.5 + (rad * w) / s;
  }
  return { data, shape: [n, 3] };
}

interface Row {
  shape: string;
  backend: string;
  N: number;
  blur: number;
  scaling: number;
  iterations: number;
  seconds: number;
  value: number;
  pairsVisited: number;
  levels: number;
  exact?: number;
  relErr?: number;
  relDiffOnline?: number;
  /** Peak resident memory of the process so far (MB): for the largest N, that of its solve. */
  peakRssMB: number;
}

/** Least-squares slope of log(seconds) against log(N). */
function exponent(pts: { N: number; seconds: number }[]): number {
  const xs = pts.map((p) => Math.log(p.N));
  const ys = pts.map((p) => Math.log(p.seconds));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, k) => {
    num += (x - mx) * (ys[k]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

// Native kernels compile in the background and run on JS meanwhile: wait for the compiler instead.
if (o.compute === 'native') setNativeOptions({ sync: true });
const dev = backends().find((b) => b.name === o.compute);
console.log(`engine backend: ${o.compute} (${dev?.device ?? dev?.reason ?? 'unknown'}), dtype ${o.dtype}`);
const f32 = o.dtype === 'float32';
const rows: Row[] = [];
const sizes = [...list(o.sizes), ...(o.million ? [1e6] : [])];
for (const shape of o.shapes.split(',')) {
  const make = shape === 'cube' ? cube : surface;
  for (const N of sizes) {
    const x = make(N, 1, 0, f32);
    const y = make(N, 2, shape === 'cube' ? 0.3 : 1, f32);
    let exact: number | undefined;
    if (N <= Number(o.exactMax)) {
      const t0 = performance.now();
      const x64 = { data: Float64Array.from(x.data), shape: x.shape };
      const y64 = { data: Float64Array.from(y.data), shape: y.shape };
      exact = exactOT(x64, y64, { compute: o.compute }).value;
      console.log(
        `  exact OT ${shape} N=${N}: ${exact.toPrecision(8)} (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
      );
    }
    for (const blur of list(o.blurs))
      for (const scaling of list(o.scalings)) {
        let online: number | undefined;
        for (const backend of o.backends.split(',') as ('online' | 'multiscale')[]) {
          if (backend === 'online' && N > Number(o.onlineMax)) continue;
          const opts = { blur, scaling, backend, compute: o.compute };
          // Warm-up on a small problem: compiles (cached) the same kernels, whatever N.
          const w = Math.min(N, 1000);
          samplesLoss(
            { data: x.data.subarray(0, 3 * w), shape: [w, 3] },
            { data: y.data.subarray(0, 3 * w), shape: [w, 3] },
            opts,
          );
          const t00 = performance.now();
          let res = samplesLoss(x, y, opts);
          let best = (performance.now() - t00) / 1000;
          for (let k = 1; k < Number(o.repeats) && best <= Number(o.maxSeconds); k++) {
            const t0 = performance.now();
            res = samplesLoss(x, y, opts);
            best = Math.min(best, (performance.now() - t0) / 1000);
          }
          const value = res.value as number;
          const levels = res.convergence?.levels ?? [];
          const row: Row = {
            shape,
            backend,
            N,
            blur,
            scaling,
            iterations: res.iterations,
            seconds: best,
            value,
            pairsVisited: levels.at(-1)?.pairsVisited ?? 1,
            levels: levels.length,
            peakRssMB: process.resourceUsage().maxRSS / 1024,
          };
          if (backend === 'online') online = value;
          else if (online !== undefined) row.relDiffOnline = Math.abs(value - online) / Math.abs(online);
          if (exact !== undefined) {
            row.exact = exact;
            row.relErr = Math.abs(value - exact) / exact;
          }
          rows.push(row);
          console.log(
            `${shape.padEnd(7)} ${backend.padEnd(10)} N=${String(N).padStart(7)} blur=${blur} scaling=${scaling} ` +
              `its=${String(res.iterations).padStart(3)} levels=${row.levels}  ${best.toFixed(3)} s  ` +
              `pairs ${(row.pairsVisited * 100).toPrecision(3)}%  peak RSS ${row.peakRssMB.toFixed(0)} MB  S=${value.toPrecision(7)}` +
              (row.relDiffOnline !== undefined ? `  vs online ${row.relDiffOnline.toExponential(2)}` : '') +
              (row.relErr !== undefined ? `  vs exact ${(row.relErr * 100).toFixed(2)}%` : ''),
          );
        }
      }
  }
}
for (const shape of o.shapes.split(','))
  for (const backend of o.backends.split(','))
    for (const blur of list(o.blurs))
      for (const scaling of list(o.scalings)) {
        const pts = rows.filter(
          (r) =>
            r.shape === shape &&
            r.backend === backend &&
            r.blur === blur &&
            r.scaling === scaling &&
            r.N >= 1e4,
        );
        if (pts.length >= 2)
          console.log(
            `exponent of time vs N (${shape}, ${backend}, blur ${blur}, scaling ${scaling}, N ${pts.map((p) => p.N).join('/')}): ${exponent(pts).toFixed(2)}`,
          );
      }
if (o.compute === 'native')
  console.log(`native calls: ${nativeStats.nativeRuns}, JS fallback calls: ${nativeStats.fallbackRuns}`);
console.log(
  'targets (value + gradients, native): online <= 0.05 s at N=2e3 and <= 1 s at N=1e4 (blur 0.05, scaling 0.5);',
);
console.log(
  'multiscale, surfaces, blur 0.01, scaling 0.5: N=1e5 <= 5 s and >= 20x online; N=1e6 <= 90 s; exponent <= 1.3.',
);
console.log('GeomLoss online (pykeops CPU): 0.63 s at N=2000 and 16.8 s at N=10000.');
if (o.json) {
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `ot-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ compute: o.compute, device: dev?.device, dtype: o.dtype, rows }, null, 2)}\n`,
  );
  console.log(`wrote ${file}`);
}
if (o.images) {
  console.log('\nimages bench (bench/ot-images.ts):');
  spawnSync('npx', ['tsx', join('bench', 'ot-images.ts'), '512', o.compute], { stdio: 'inherit' });
}
