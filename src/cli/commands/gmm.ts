/**
 * `lazytensor gmm <points> -k K`: a Gaussian mixture fitted by EM; the predicted labels and the
 * means to files, the components drawn with their means and the log-likelihood curve.
 */
import { type Command, Option } from 'commander';
import { type CovarianceType, type GaussianMixtureResult, gaussianMixture } from '../../learn/index.js';
import { addCommon, MAX_ITERATIONS, num } from '../context.js';
import { fmt } from '../plot/svg.js';
import { type ClusterOptions, runClustering } from './clusterRun.js';

interface GmmOptions extends ClusterOptions {
  covariance: CovarianceType;
  maxIter: number;
  tol: number;
  regCovar: number;
  init: 'kmeans' | 'random';
  means?: string;
}

export function registerGmm(program: Command): void {
  const cmd = program
    .command('gmm')
    .description('Gaussian mixture model fitted by EM (k-means initialisation) to a point cloud')
    .argument('<points>', 'points [N, D]')
    .requiredOption('-k, --k <K>', 'number of components (1 to N)', num({ integer: true, min: 1 }))
    .addOption(
      new Option('--covariance <type>', 'covariance of each component')
        .choices(['full', 'diag', 'spherical'])
        .default('full'),
    )
    .option(
      '--max-iter <N>',
      'EM iterations at most',
      num({ integer: true, min: 1, max: MAX_ITERATIONS }),
      100,
    )
    .option('--tol <t>', 'converged when the mean log-likelihood changes by less', num({ min: 0 }), 1e-3)
    .option('--reg-covar <r>', "added to the covariances' diagonal", num({ min: 0 }), 1e-6)
    .addOption(
      new Option('--init <how>', 'initial parameters').choices(['kmeans', 'random']).default('kmeans'),
    )
    .option(
      '--n-init <n>',
      'restarts; the highest log-likelihood wins',
      num({ integer: true, min: 1, max: 1e6 }),
      1,
    )
    .option('--seed <S>', 'seed of the initialisation', num({ integer: true, min: 0, max: 2 ** 32 - 1 }), 0)
    .option('--means <file>', 'write the component means [K, D]');
  addCommon(cmd, {
    plot: true,
    compute: true,
    output: 'write the labels: the most likely component of each point [N, 1] (int32; 0-based)',
  }).action((file: string, opts: GmmOptions) => run(file, opts));
}

function run(file: string, opts: GmmOptions): void {
  runClustering<GaussianMixtureResult>(file, opts, {
    command: 'gmm',
    label: 'gaussian mixture',
    maxIter: opts.maxIter,
    fit: (x, backend, maxIter) =>
      gaussianMixture(x, opts.k, {
        covariance: opts.covariance,
        maxIter,
        tol: opts.tol,
        regCovar: opts.regCovar,
        init: opts.init,
        nInit: opts.nInit,
        seed: opts.seed,
        backend,
      }),
    outcome: (x, r) => ({ ...r, labels: r.predict(x).data, centres: r.means }),
    value: (r) => r.logLikelihood,
    names: {
      cluster: 'component',
      centres: 'means',
      curveTitle: 'Mean log-likelihood per EM iteration',
      curveValue: 'log-likelihood',
    },
    centresFile: { key: 'means', file: opts.means },
    title: (r, f) =>
      `Gaussian mixture: ${f.n} points, K = ${f.K} (${opts.covariance}), mean log-likelihood ${fmt(r.logLikelihood)}`,
    fields: (r) => ({
      covariance: opts.covariance,
      logLikelihood: r.logLikelihood,
      weights: Array.from(r.weights),
      init: opts.init,
    }),
    lines: (r, f) => [
      `gaussian mixture: ${f.n} points, D = ${f.d}, K = ${f.K}, ${opts.covariance} covariances (backend ${f.backend})`,
      `mean log-likelihood ${fmt(r.logLikelihood)} after ${r.iterations} EM iterations (${r.converged ? 'converged' : 'not converged: raise --max-iter'}), ${f.seconds.toFixed(3)} s`,
      `weights ${Array.from(r.weights, (w) => fmt(w)).join(', ')}; points per component ${f.sizes.join(', ')}`,
    ],
  });
}
