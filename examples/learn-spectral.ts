/**
 * Spectral clustering of three concentric noisy rings (generated), against k-means on the raw
 * points: how many points of each ring land in each cluster?
 *
 *   npx tsx examples/learn-spectral.ts [backend]
 */
import { setDefaultBackend, setNativeOptions } from '../src/index.js';
import { kmeans, spectralClustering } from '../src/learn/index.js';
import { gaussian, mulberry32 } from '../src/random.js';

if (process.argv[2]) setDefaultBackend(process.argv[2]);
setNativeOptions({ sync: true });

const u = mulberry32(0);
const noise = gaussian(mulberry32(1));
const radii = [1, 2.5, 4];
const perRing = 400;
const n = radii.length * perRing;
const x = new Float64Array(n * 2);
const ring = new Int32Array(n);
radii.forEach((r, k) => {
  for (let i = 0; i < perRing; i++) {
    const t = 2 * Math.PI * u();
    const p = k * perRing + i;
    x[2 * p] = r * Math.cos(t) + 0.08 * noise();
    x[2 * p + 1] = r * Math.sin(t) + 0.08 * noise();
    ring[p] = k;
  }
});
const points = { data: x, shape: [n, 2] };

function table(labels: Int32Array): string {
  const t = radii.map(() => new Array<number>(radii.length).fill(0));
  labels.forEach((c, i) => t[ring[i]!]![c]!++);
  return t
    .map((row, k) => `  ring r = ${radii[k]}: ${row.map((v) => String(v).padStart(5)).join('')}`)
    .join('\n');
}

const t0 = performance.now();
const sc = spectralClustering(points, 3, { scale: 0.25, seed: 0 });
console.log(
  `spectral clustering of ${n} points on 3 rings (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
);
console.log(`  points per cluster:\n${table(sc.labels.data)}`);
const km = kmeans(points, 3, { nInit: 10, seed: 0 });
console.log(`k-means on the raw coordinates, for comparison:\n${table(km.labels.data)}`);
