/**
 * K-nearest-neighbour classification of MNIST digits (the `mnist` package: 10,000 images of
 * 28×28 pixels; 8,000 for training, 2,000 for testing), and an approximate search with an IVF
 * index: accuracy, time, and the confusion between digits.
 *
 *   npx tsx examples/learn-mnist.ts [backend]
 */
import { performance } from 'node:perf_hooks';
import { setDefaultBackend, setNativeOptions } from '../src/index.js';
import { ivfIndex, knnClassify } from '../src/learn/index.js';
import { mnistSplit } from './datasets.js';

if (process.argv[2]) setDefaultBackend(process.argv[2]);
setNativeOptions({ sync: true });

const { train, test } = mnistSplit(0.8);
console.log(`MNIST: ${train.labels.length} training and ${test.labels.length} test images of 784 pixels`);

let t = performance.now();
const res = knnClassify(train.x, train.labels, test.x, 3, { weights: 'distance' });
const seconds = (performance.now() - t) / 1000;
const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
res.labels.data.forEach((p, i) => confusion[test.labels[i]!]![p]!++);
const correct = confusion.reduce((s, row, d) => s + row[d]!, 0);
console.log(
  `3-NN (distance-weighted): ${((100 * correct) / test.labels.length).toFixed(2)} % correct in ${seconds.toFixed(2)} s`,
);
console.log('confusion (rows: true digit, columns: predicted):');
console.log(`     ${Array.from({ length: 10 }, (_, d) => String(d).padStart(4)).join('')}`);
confusion.forEach((row, d) => console.log(`  ${d}: ${row.map((v) => String(v).padStart(4)).join('')}`));

// The same with an inverted-file index: k-means on the training images, 4 of 40 clusters visited.
t = performance.now();
const index = ivfIndex(train.x, { nlist: 40 });
const build = (performance.now() - t) / 1000;
t = performance.now();
const nn = index.search(test.x, 3, { nprobe: 4 });
const search = (performance.now() - t) / 1000;
let ok = 0;
for (let i = 0; i < test.labels.length; i++) {
  const votes = new Array<number>(10).fill(0);
  for (let k = 0; k < 3; k++) {
    const j = nn.indices.data[i * 3 + k]!;
    if (j >= 0) votes[train.labels[j]!]!++;
  }
  if (votes.indexOf(Math.max(...votes)) === test.labels[i]) ok++;
}
console.log(
  `\nIVF (nlist 40, nprobe 4): 3-NN vote ${((100 * ok) / test.labels.length).toFixed(2)} % correct; build ${build.toFixed(2)} s, search ${search.toFixed(2)} s`,
);
