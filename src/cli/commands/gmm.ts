/**
 * `lazytensor gmm <points> -k K`: a Gaussian mixture fitted by EM; the predicted labels and the
 * means to files, the components drawn with their means and the log-likelihood curve.
 */
import { type Command, Option } from 'commander';
import { getBackend } from '../../backends/registry.js';
import { type CovarianceType, type GaussianMixtureResult, gaussianMixture } from '../../learn/index.js';
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

interface GmmOptions {
  k: number;
  covariance: CovarianceType;
  maxIter: number;
  tol: number;
  regCovar: number;
  init: 'kmeans' | 'random';
  nInit: number;
  seed: number;
  means?: string;
  output?: string;
  plot?: string;
  json?: boolean;
  quiet?: boolean;
  compute?: string;
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
    .option('--max-iter <N>', 'EM iterations at most', num({ integer: true, min: 1 }), 100)
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
  const ctx = new Context(opts);
  const backend = ctx.compute();
  const x = ctx.read(file);
  const [n, d] = x.shape as [number, number];
  const K = opts.k;
  checkClusters(K, n, file);
  const fitMixture = (maxIter: number): GaussianMixtureResult =>
    gaussianMixture(x, K, {
      covariance: opts.covariance,
      maxIter,
      tol: opts.tol,
      regCovar: opts.regCovar,
      init: opts.init,
      nInit: opts.nInit,
      seed: opts.seed,
      backend,
    });
  ctx.progress.start('gaussian mixture', 1);
  const t0 = performance.now();
  const r = fitMixture(opts.maxIter);
  const labels = r.predict(x).data;
  const seconds = since(t0);
  ctx.progress.tick();
  // Mean log-likelihood after 1, 2, … EM iterations: the same seeded run stopped earlier.
  const curve = curveDecision(Boolean(opts.plot), opts.nInit, n, K, r.iterations);
  const values = rerunCurve(
    ctx,
    curve.draw,
    r.iterations,
    r.logLikelihood,
    (t) => fitMixture(t).logLikelihood,
  );
  ctx.progress.stop();
  const sizes = clusterSizes(labels, K);
  if (opts.output) ctx.write(opts.output, labelsArray(labels));
  if (opts.means) ctx.write(opts.means, r.means);
  ctx.plot(() =>
    document(
      `Gaussian mixture: ${n} points, K = ${K} (${opts.covariance}), mean log-likelihood ${fmt(r.logLikelihood)}`,
      [
        clusterPanel(x, labels, K, r.means, { cluster: 'component', centres: 'means' }),
        ...(values.length > 1
          ? [curvePanel('Mean log-likelihood per EM iteration', 'log-likelihood', values, 'log-likelihood')]
          : []),
      ],
    ),
  );
  const used = getBackend(backend).name;
  ctx.report(
    {
      command: 'gmm',
      n,
      d,
      k: K,
      covariance: opts.covariance,
      backend: used,
      logLikelihood: r.logLikelihood,
      iterations: r.iterations,
      converged: r.converged,
      weights: Array.from(r.weights),
      sizes,
      seed: opts.seed,
      init: opts.init,
      nInit: opts.nInit,
      seconds,
      convergence: values.length > 0 ? values : null,
      output: opts.output ?? null,
      means: opts.means ?? null,
      plot: opts.plot ?? null,
    },
    [
      `gaussian mixture: ${n} points, D = ${d}, K = ${K}, ${opts.covariance} covariances (backend ${used})`,
      `mean log-likelihood ${fmt(r.logLikelihood)} after ${r.iterations} EM iterations (${r.converged ? 'converged' : 'not converged: raise --max-iter'}), ${seconds.toFixed(3)} s`,
      `weights ${Array.from(r.weights, (w) => fmt(w)).join(', ')}; points per component ${sizes.join(', ')}`,
      ...(opts.output ? [`wrote the labels [${n}, 1] to ${opts.output}`] : []),
      ...(opts.means ? [`wrote the means [${K}, ${d}] to ${opts.means}`] : []),
      ...(opts.plot
        ? [`wrote ${opts.plot}${curve.draw ? '' : ` (no convergence curve: ${curve.why})`}`]
        : []),
    ],
  );
}
