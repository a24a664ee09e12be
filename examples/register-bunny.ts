/**
 * Registration of a partial, rotated, noisy scan of the Stanford bunny onto a complete scan by
 * robust optimal transport. Prints the rotation, translation and outlier errors and writes
 * register-bunny.svg (before and after, three orthographic projections).
 *
 *   npx tsx examples/register-bunny.ts [out.svg]
 */
import { createRequire } from 'node:module';
import { projections } from '../src/cli/plot/charts.js';
import { document } from '../src/cli/plot/svg.js';
import { writeFigure } from '../src/cli/plot/write.js';
import { gaussian, mulberry32 } from '../src/random.js';
import { register, sampleSurface } from '../src/register/index.js';

const mesh = createRequire(import.meta.url)('bunny') as { positions: number[][]; cells: number[][] };
// Unit size: the largest side of the bounding box is 1.
const lo = [0, 1, 2].map((k) => Math.min(...mesh.positions.map((p) => p[k]!)));
const hi = [0, 1, 2].map((k) => Math.max(...mesh.positions.map((p) => p[k]!)));
const size = Math.max(...hi.map((h, k) => h - lo[k]!));
const unit = mesh.positions.map((p) => p.map((v, k) => (v - (lo[k]! + hi[k]!) / 2) / size));

function scan(n: number, seed: number, noise = 0.003): Float64Array {
  const s = sampleSurface(unit, mesh.cells, n, seed).data;
  const g = gaussian(mulberry32(seed + 99));
  return s.map((v) => v + noise * g());
}

// Source: 4,000 samples with the bunny's front (x > 0.15, about a quarter) cut away.
const full = scan(4000, 1);
const kept: number[] = [];
for (let i = 0; i < full.length; i += 3) if (full[i]! < 0.15) kept.push(full[i]!, full[i + 1]!, full[i + 2]!);
const source = { data: Float64Array.from(kept), shape: [kept.length / 3, 3] };

// Target: 3,500 independent samples, rotated 135° about (1, 2, 0.5), moved, plus 10% outliers.
const angle = (135 * Math.PI) / 180;
const [ax, ay, az] = [1, 2, 0.5].map((v) => v / Math.hypot(1, 2, 0.5)) as [number, number, number];
const c = Math.cos(angle);
const s = Math.sin(angle);
const R = [
  [c + ax * ax * (1 - c), ax * ay * (1 - c) - az * s, ax * az * (1 - c) + ay * s],
  [ay * ax * (1 - c) + az * s, c + ay * ay * (1 - c), ay * az * (1 - c) - ax * s],
  [az * ax * (1 - c) - ay * s, az * ay * (1 - c) + ax * s, c + az * az * (1 - c)],
];
const t = [0.3, -0.2, 0.1];
const y = scan(3500, 2);
const target = new Float64Array(y.length + 3 * 350);
for (let i = 0; i < y.length / 3; i++) {
  for (let r = 0; r < 3; r++)
    target[3 * i + r] = t[r]! + R[r]!.reduce((acc, v, k) => acc + v * y[3 * i + k]!, 0);
}
const rand = mulberry32(3);
for (let k = y.length; k < target.length; k++) target[k] = t[k % 3]! + 1.6 * rand() - 0.8;

const t0 = performance.now();
// A partial source wants a finer matching than the defaults (blur 2%, reach 5% of the size).
const result = register(
  source,
  { data: target, shape: [target.length / 3, 3] },
  { model: 'rigid', blur: 0.01, reach: 0.02 },
);
const seconds = (performance.now() - t0) / 1000;

const Re = result.transform!.rotation.data;
let trace = 0;
for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) trace += Re[r * 3 + k]! * R[r]![k]!;
const rotErr = (Math.acos(Math.min(1, Math.max(-1, (trace - 1) / 2))) * 180) / Math.PI;
const te = result.transform!.translation.data;
const transErr = Math.hypot(te[0]! - t[0]!, te[1]! - t[1]!, te[2]! - t[2]!);
const conf = Array.from(result.confidence.data).sort((a, b) => a - b);
console.log(
  `source ${source.shape[0]} points (the front cut away), target ${target.length / 3} points (10% outliers)`,
);
console.log(
  `rotation error ${rotErr.toFixed(3)}°, translation error ${(100 * transErr).toFixed(3)}% of the size`,
);
console.log(
  `confidence: median ${conf[conf.length >> 1]!.toFixed(2)}, 5% quantile ${conf[Math.floor(conf.length / 20)]!.toFixed(2)}`,
);
console.log(
  `${result.history.length} matchings, final OT loss ${result.loss.toExponential(3)}, ${seconds.toFixed(1)} s`,
);

const targetArr = { data: target, shape: [target.length / 3, 3] };
const svg = document(`Bunny registration: ${rotErr.toFixed(2)}° rotation error`, [
  projections([
    { name: 'target', points: targetArr, color: '#999999', opacity: 0.5 },
    { name: 'source (before)', points: source, color: '#D55E00' },
  ]),
  projections([
    { name: 'target', points: targetArr, color: '#999999', opacity: 0.5 },
    { name: 'source (after)', points: result.aligned, color: '#0072B2' },
  ]),
]);
const out = process.argv[2] ?? 'register-bunny.svg';
writeFigure(out, svg);
console.log(`wrote ${out}`);
