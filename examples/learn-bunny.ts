/**
 * Segmenting the Stanford bunny (the `bunny` package's vertices) into parts with k-means, and
 * fitting a Gaussian mixture to a noisy million-point sample of its surface: cluster sizes,
 * timing per iteration, and the log-likelihood of the model.
 *
 *   npx tsx examples/learn-bunny.ts [backend]
 */
import { performance } from 'node:perf_hooks';
import { setDefaultBackend, setNativeOptions } from '../src/index.js';
import { gaussianMixture, kmeans } from '../src/learn/index.js';
import { mulberry32 } from '../src/random.js';
import { bunny } from './datasets.js';

if (process.argv[2]) setDefaultBackend(process.argv[2]);
setNativeOptions({ sync: true });

const v = bunny();
const n = v.shape[0]!;
console.log(`bunny: ${n} vertices`);
const parts = kmeans(v, 8, { nInit: 4, seed: 1 });
const sizes = new Array<number>(8).fill(0);
for (const l of parts.labels.data) sizes[l]!++;
console.log(
  `k-means into 8 parts: ${parts.iterations} iterations, inertia ${parts.inertia.toExponential(3)}`,
);
console.log(`  part sizes: ${sizes.join(', ')}`);

// A large noisy sample: 200,000 points, each a random vertex plus Gaussian noise.
const N = 200_000;
const r = mulberry32(2);
const big = new Float32Array(N * 3);
for (let i = 0; i < N; i++) {
  const j = Math.floor(r() * n);
  for (let a = 0; a < 3; a++)
    big[i * 3 + a] =
      v.data[j * 3 + a]! + 0.002 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
let t = performance.now();
const km = kmeans({ data: big, shape: [N, 3] }, 100, { maxIter: 20, seed: 0 });
let s = (performance.now() - t) / 1000;
console.log(
  `\nk-means, ${N} points, K = 100: ${km.iterations} iterations in ${s.toFixed(2)} s (with k-means++), converged ${km.converged}`,
);

t = performance.now();
const gm = gaussianMixture({ data: big.subarray(0, 300_000), shape: [100_000, 3] }, 20, { maxIter: 30 });
s = (performance.now() - t) / 1000;
console.log(
  `Gaussian mixture (full), 100,000 points, K = 20: ${gm.iterations} EM iterations in ${s.toFixed(2)} s, mean log-likelihood ${gm.logLikelihood.toFixed(3)}, converged ${gm.converged}`,
);
