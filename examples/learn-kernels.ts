/**
 * Kernel methods on generated data: kernel ridge regression of a 1-D and a 3-D function with
 * held-out error (CG with and without the Nyström preconditioner, and the Nyström low-rank
 * solve), then kernel PCA of a noisy helix.
 *
 *   npx tsx examples/learn-kernels.ts [backend]
 */
import { setDefaultBackend, setNativeOptions } from '../src/index.js';
import { kernelPCA, kernelRidge } from '../src/learn/index.js';
import { gaussian, mulberry32 } from '../src/random.js';

if (process.argv[2]) setDefaultBackend(process.argv[2]);
setNativeOptions({ sync: true });

const u = mulberry32(0);
const noise = gaussian(mulberry32(1));

/** n points uniform in [0, 1]^D and targets f(x) + σ·noise. */
function sample(n: number, D: number, f: (p: Float64Array) => number, sigma: number) {
  const x = Float64Array.from({ length: n * D }, () => u());
  const y = Float64Array.from({ length: n }, (_, i) => f(x.subarray(i * D, i * D + D)) + sigma * noise());
  return { x: { data: x, shape: [n, D] }, y: { data: y, shape: [n, 1] } };
}

function rmse(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i]! - truth[i]!) ** 2;
  return Math.sqrt(s / truth.length);
}

const cases = [
  { name: '1-D  sin(6x)·x', D: 1, f: (p: Float64Array) => Math.sin(6 * p[0]!) * p[0]!, scale: 0.05 },
  {
    name: '3-D  sin(2πx)cos(2πy) + z²',
    D: 3,
    f: (p: Float64Array) => Math.sin(2 * Math.PI * p[0]!) * Math.cos(2 * Math.PI * p[1]!) + p[2]! ** 2,
    scale: 0.2,
  },
];
for (const c of cases) {
  const train = sample(3000, c.D, c.f, 0.1);
  const test = sample(500, c.D, c.f, 0);
  console.log(`\nkernel ridge regression, ${c.name}: 3000 training points (noise σ = 0.1), 500 held out`);
  for (const [label, extra] of [
    ['CG + Nyström preconditioner', {}],
    ['CG, no preconditioner', { preconditioner: 'none' as const }],
    ['Nyström rank-200 solve', { method: 'nystrom' as const, rank: 200 }],
  ] as const) {
    const t0 = performance.now();
    const m = kernelRidge(train.x, train.y, { kernel: 'gaussian', scale: c.scale, alpha: 0.1, ...extra });
    const err = rmse(m.predict(test.x).data, test.y.data);
    console.log(
      `  ${label.padEnd(30)} ${String(m.iterations).padStart(4)} iterations, residual ${m.residual.toExponential(1)}, held-out RMSE ${err.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
  }
}

// Kernel PCA of a noisy helix: the leading components follow the curve.
const n = 1500;
const helix = new Float64Array(n * 3);
for (let i = 0; i < n; i++) {
  const t = (4 * Math.PI * i) / n;
  helix.set(
    [Math.cos(t) + 0.05 * noise(), Math.sin(t) + 0.05 * noise(), t / (4 * Math.PI) + 0.05 * noise()],
    i * 3,
  );
}
const pca = kernelPCA({ data: helix, shape: [n, 3] }, 4, { kernel: 'gaussian', scale: 0.5 });
const total = pca.values.reduce((s, v) => s + v, 0);
console.log(`\nkernel PCA of a noisy helix (${n} points, Gaussian kernel, scale 0.5)`);
console.log(`  eigenvalues of the centred kernel: ${Array.from(pca.values, (v) => v.toFixed(2)).join(', ')}`);
console.log(`  share of the first component among the 4: ${((100 * pca.values[0]!) / total).toFixed(1)} %`);
console.log('  first two coordinates of every 300th point along the curve:');
for (let i = 0; i < n; i += 300) {
  console.log(
    `    t = ${((4 * Math.PI * i) / n).toFixed(2).padStart(5)}: (${pca.embedding.data[i * 4]!.toFixed(3)}, ${pca.embedding.data[i * 4 + 1]!.toFixed(3)})`,
  );
}
