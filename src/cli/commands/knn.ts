/** `lazytensor knn <queries> <refs> -k K`: exact K nearest neighbours, indices (and distances) to files. */
import type { Command } from 'commander';
import { getBackend } from '../../backends/registry.js';
import { knn } from '../../learn/index.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { addCommon, Context, num, row, sameDimension, sameDtype, since } from '../context.js';
import { UsageError } from '../errors.js';
import { projections, subsample } from '../plot/charts.js';
import { document, fmt } from '../plot/svg.js';

/** Queries per engine call: a few calls for the progress bar on large inputs, one for small ones. */
const BLOCK = 20_000;

export function registerKnn(program: Command): void {
  const cmd = program
    .command('knn')
    .description(
      'exact K nearest neighbours (squared Euclidean) of each query point among the reference points',
    )
    .argument('<queries>', 'query points [N, D]')
    .argument('<refs>', 'reference points [M, D]')
    .requiredOption('-k, --k <K>', 'number of neighbours', num({ integer: true, min: 1 }))
    .option('--distances <file>', 'write the squared distances [N, K] too');
  addCommon(cmd, {
    plot: true,
    compute: true,
    output: 'write the neighbour indices [N, K] (int32; 0-based)',
  }).action((qFile: string, rFile: string, opts) => {
    const ctx = new Context(opts, { '--distances': opts.distances });
    const backend = ctx.compute();
    const [Q, R] = sameDtype(ctx.read(qFile), ctx.read(rFile));
    sameDimension(Q, qFile, R, rFile);
    const [n, d] = Q.shape as [number, number];
    const m = R.shape[0]!;
    const K: number = opts.k;
    if (K > m)
      throw new UsageError(`-k ${K} is larger than the number of reference points (${m} in ${rFile})`);
    const t0 = performance.now();
    const indices = new Int32Array(n * K);
    const sq = new Float64Array(n * K);
    const blocks = Math.ceil(n / BLOCK);
    ctx.progress.start('k-nn', blocks);
    for (let b = 0; b < blocks; b++) {
      const lo = b * BLOCK;
      const hi = Math.min(n, lo + BLOCK);
      const q: NDArray<FloatArray> = { data: Q.data.subarray(lo * d, hi * d), shape: [hi - lo, d] };
      const r = knn(q, R, K, { backend });
      indices.set(r.indices.data, lo * K);
      sq.set(r.sqDistances.data, lo * K);
      ctx.progress.tick();
    }
    const seconds = since(t0);
    ctx.progress.stop();
    let nearest = 0;
    let kth = 0;
    for (let i = 0; i < n; i++) {
      nearest += Math.sqrt(Math.max(0, sq[i * K]!));
      kth += Math.sqrt(Math.max(0, sq[i * K + K - 1]!));
    }
    nearest /= n;
    kth /= n;
    if (opts.output) ctx.write(opts.output, { data: indices, shape: [n, K] });
    if (opts.distances) ctx.write(opts.distances, { data: sq, shape: [n, K] });
    ctx.plot(() => {
      const idx = subsample(n, 400);
      return document(
        `K-NN: ${n} queries, ${m} references, K = ${K}, mean nearest distance ${fmt(nearest)}`,
        [
          projections(
            [
              { name: `references (${rFile})`, points: R, color: '#D55E00', opacity: 0.5 },
              { name: `queries (${qFile})`, points: Q, color: '#0072B2' },
            ],
            [
              {
                name: 'query → nearest',
                from: idx.map((i) => row(Q, i)),
                to: idx.map((i) => row(R, indices[i * K]!)),
                color: '#333',
              },
            ],
          ),
        ],
      );
    });
    const used = getBackend(backend).name;
    ctx.report(
      {
        command: 'knn',
        n,
        m,
        d,
        k: K,
        backend: used,
        meanNearest: nearest,
        meanKth: kth,
        seconds,
        output: opts.output ?? null,
      },
      [
        `k-nn: ${n} queries × ${m} references, D = ${d}, K = ${K} (backend ${used})`,
        `mean distance to the nearest neighbour ${fmt(nearest)}, to the K-th (K = ${K}) ${fmt(kth)}`,
        `${seconds.toFixed(3)} s`,
        ...(opts.output ? [`wrote the indices [${n}, ${K}] to ${opts.output}`] : []),
        ...(opts.distances ? [`wrote the squared distances [${n}, ${K}] to ${opts.distances}`] : []),
        ...(opts.plot ? [`wrote ${opts.plot}`] : []),
      ],
    );
  });
}
