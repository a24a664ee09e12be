/**
 * `lazytensor kmeans <points> -k K`: K-means (Lloyd, k-means++ seeding) of a point cloud; the
 * labels and centroids to files, the clusters drawn with their centroids and the inertia curve.
 */
import { type Command, Option } from 'commander';
import { getBackend } from '../../backends/registry.js';
import { type KMeansResult, kmeans } from '../../learn/index.js';
import { addCommon, Context, num, since } from '../context.js';
import { document, fmt } from '../plot/svg.js';
import {
  checkClusters,
  clusterPanel,
  clusterSizes,
  curveDecision,
  curvePanel,
  labelsArray,
  rerunCurve,
} from './clusters.js';

interface KmeansOptions {
  k: number;
  iters: number;
  seed: number;
  init: 'kmeans++' | 'random';
  nInit: number;
  tol: number;
  centroids?: string;
  output?: string;
  plot?: string;
  json?: boolean;
  quiet?: boolean;
  compute?: string;
}

export function registerKmeans(program: Command): void {
  const cmd = program
    .command('kmeans')
    .description('K-means clustering (Lloyd iterations, k-means++ seeding) of a point cloud')
    .argument('<points>', 'points [N, D]')
    .requiredOption('-k, --k <K>', 'number of clusters (1 to N)', num({ integer: true, min: 1 }))
    .option('--iters <N>', 'Lloyd iterations at most', num({ integer: true, min: 1 }), 300)
    .option('--seed <S>', 'seed of the initialisation', num({ integer: true, min: 0, max: 2 ** 32 - 1 }), 0)
    .addOption(
      new Option('--init <how>', 'initial centroids').choices(['kmeans++', 'random']).default('kmeans++'),
    )
    .option(
      '--n-init <n>',
      'restarts with different seeds; the lowest inertia wins',
      num({ integer: true, min: 1, max: 1e6 }),
      1,
    )
    .option('--tol <t>', 'relative tolerance on the centroid shift', num({ min: 0 }), 1e-4)
    .option('--centroids <file>', 'write the centroids [K, D]');
  addCommon(cmd, {
    plot: true,
    compute: true,
    output: 'write the labels: the cluster of each point [N, 1] (int32; 0-based)',
  }).action((file: string, opts: KmeansOptions) => run(file, opts));
}

function run(file: string, opts: KmeansOptions): void {
  const ctx = new Context(opts);
  const backend = ctx.compute();
  const x = ctx.read(file);
  const [n, d] = x.shape as [number, number];
  const K = opts.k;
  checkClusters(K, n, file);
  const cluster = (maxIter: number): KMeansResult =>
    kmeans(x, K, { maxIter, tol: opts.tol, seed: opts.seed, init: opts.init, nInit: opts.nInit, backend });
  ctx.progress.start('k-means', 1);
  const t0 = performance.now();
  const r = cluster(opts.iters);
  const seconds = since(t0);
  ctx.progress.tick();
  // Inertia after 1, 2, … iterations: the same seeded run stopped earlier (deterministic).
  const curve = curveDecision(Boolean(opts.plot), opts.nInit, n, K, r.iterations);
  const inertias = rerunCurve(ctx, curve.draw, r.iterations, r.inertia, (t) => cluster(t).inertia);
  ctx.progress.stop();
  const labels = r.labels.data;
  const sizes = clusterSizes(labels, K);
  if (opts.output) ctx.write(opts.output, labelsArray(labels));
  if (opts.centroids) ctx.write(opts.centroids, r.centroids);
  ctx.plot(() =>
    document(
      `K-means: ${n} points, K = ${K}, inertia ${fmt(r.inertia)} (${r.iterations} iterations${r.converged ? '' : ', not converged'})`,
      [
        clusterPanel(x, labels, K, r.centroids, { cluster: 'cluster', centres: 'centroids' }),
        ...(inertias.length > 1
          ? [curvePanel('Inertia per Lloyd iteration', 'inertia', inertias, 'inertia')]
          : []),
      ],
    ),
  );
  const used = getBackend(backend).name;
  ctx.report(
    {
      command: 'kmeans',
      n,
      d,
      k: K,
      backend: used,
      inertia: r.inertia,
      iterations: r.iterations,
      converged: r.converged,
      sizes,
      seed: opts.seed,
      init: opts.init,
      nInit: opts.nInit,
      seconds,
      convergence: inertias.length > 0 ? inertias : null,
      output: opts.output ?? null,
      centroids: opts.centroids ?? null,
      plot: opts.plot ?? null,
    },
    [
      `k-means: ${n} points, D = ${d}, K = ${K} (backend ${used})`,
      `inertia ${fmt(r.inertia)} after ${r.iterations} iterations (${r.converged ? 'converged' : 'not converged: raise --iters'}), ${seconds.toFixed(3)} s`,
      `cluster sizes ${sizes.join(', ')}`,
      ...(opts.output ? [`wrote the labels [${n}, 1] to ${opts.output}`] : []),
      ...(opts.centroids ? [`wrote the centroids [${K}, ${d}] to ${opts.centroids}`] : []),
      ...(opts.plot
        ? [`wrote ${opts.plot}${curve.draw ? '' : ` (no convergence curve: ${curve.why})`}`]
        : []),
    ],
  );
}
