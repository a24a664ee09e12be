/**
 * `lazytensor kmeans <points> -k K`: K-means (Lloyd, k-means++ seeding) of a point cloud; the
 * labels and centroids to files, the clusters drawn with their centroids and the inertia curve.
 */
import { type Command, Option } from 'commander';
import { type KMeansResult, kmeans } from '../../learn/index.js';
import { addCommon, MAX_ITERATIONS, num } from '../context.js';
import { fmt } from '../plot/svg.js';
import { type ClusterOptions, runClustering } from './clusterRun.js';

interface KmeansOptions extends ClusterOptions {
  iters: number;
  init: 'kmeans++' | 'random';
  tol: number;
  centroids?: string;
}

export function registerKmeans(program: Command): void {
  const cmd = program
    .command('kmeans')
    .description('K-means clustering (Lloyd iterations, k-means++ seeding) of a point cloud')
    .argument('<points>', 'points [N, D]')
    .requiredOption('-k, --k <K>', 'number of clusters (1 to N)', num({ integer: true, min: 1 }))
    .option(
      '--iters <N>',
      'Lloyd iterations at most',
      num({ integer: true, min: 1, max: MAX_ITERATIONS }),
      300,
    )
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
  runClustering<KMeansResult>(file, opts, {
    command: 'kmeans',
    label: 'k-means',
    maxIter: opts.iters,
    fit: (x, backend, maxIter) =>
      kmeans(x, opts.k, {
        maxIter,
        tol: opts.tol,
        seed: opts.seed,
        init: opts.init,
        nInit: opts.nInit,
        backend,
      }),
    outcome: (_x, r) => ({ ...r, labels: r.labels.data, centres: r.centroids }),
    value: (r) => r.inertia,
    names: {
      cluster: 'cluster',
      centres: 'centroids',
      curveTitle: 'Inertia per Lloyd iteration',
      curveValue: 'inertia',
    },
    centresFile: { key: 'centroids', file: opts.centroids },
    title: (r, f) =>
      `K-means: ${f.n} points, K = ${f.K}, inertia ${fmt(r.inertia)} (${r.iterations} iterations${r.converged ? '' : ', not converged'})`,
    fields: (r) => ({ inertia: r.inertia, init: opts.init }),
    lines: (r, f) => [
      `k-means: ${f.n} points, D = ${f.d}, K = ${f.K} (backend ${f.backend})`,
      `inertia ${fmt(r.inertia)} after ${r.iterations} iterations (${r.converged ? 'converged' : 'not converged: raise --iters'}), ${f.seconds.toFixed(3)} s`,
      `cluster sizes ${f.sizes.join(', ')}`,
    ],
  });
}
