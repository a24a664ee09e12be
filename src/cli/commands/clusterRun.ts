/**
 * The flow both clustering commands (kmeans, gmm) run: read the points, check K, fit (timed),
 * re-run shorter fits for the convergence curve when --plot asks for it, write the labels and the
 * centres, draw the clusters, report. A command brings its fit and its words; nothing else varies.
 */
import { getBackend } from '../../backends/registry.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { type CommonOptions, Context, since } from '../context.js';
import { document } from '../plot/svg.js';
import {
  checkClusters,
  clusterPanel,
  clusterSizes,
  curveDecision,
  curvePanel,
  labelsArray,
  rerunCurve,
} from './clusters.js';

/** The options every clustering command has. */
export interface ClusterOptions extends CommonOptions {
  k: number;
  seed: number;
  nInit: number;
}

/** A finished fit as the shared flow uses it. */
export interface ClusterOutcome {
  labels: Int32Array;
  centres: NDArray<FloatArray>;
  iterations: number;
  converged: boolean;
}

/** What the data looked like and how the fit went, for a command's own lines and fields. */
export interface ClusterRunFacts {
  n: number;
  d: number;
  K: number;
  backend: string;
  seconds: number;
  sizes: number[];
}

/** One clustering command: its fit and its words. */
export interface ClusterMethod<R> {
  /** The command's name, as in the JSON report. */
  command: string;
  /** Progress label and the start of the first text line ("k-means"). */
  label: string;
  /** Iterations of the fit reported (the command's --iters / --max-iter). */
  maxIter: number;
  fit(x: NDArray<FloatArray>, backend: string, maxIter: number): R;
  /** Labels, centres and convergence of a fit; runs inside the timed section. */
  outcome(x: NDArray<FloatArray>, r: R): ClusterOutcome;
  /** The objective drawn per iteration (inertia, mean log-likelihood). */
  value(r: R): number;
  /** Names in the figure: a cluster, the centres, and the curve's title and axis. */
  names: { cluster: string; centres: string; curveTitle: string; curveValue: string };
  /** The file named by the command's option for the centres, and its key in the JSON report. */
  centresFile: { key: string; file?: string };
  title(r: R, facts: ClusterRunFacts): string;
  /** The command's own fields of the JSON report. */
  fields(r: R, facts: ClusterRunFacts): Record<string, unknown>;
  /** The command's own lines of the text report (those about the files written follow). */
  lines(r: R, facts: ClusterRunFacts): string[];
}

/** Runs a clustering command on the points in `file`. */
export function runClustering<R>(file: string, opts: ClusterOptions, method: ClusterMethod<R>): void {
  const ctx = new Context(opts, { [`--${method.centresFile.key}`]: method.centresFile.file });
  const backend = ctx.compute();
  const x = ctx.read(file);
  const [n, d] = x.shape as [number, number];
  const K = opts.k;
  checkClusters(K, n, file);
  ctx.progress.start(method.label, 1);
  const t0 = performance.now();
  const r = method.fit(x, backend, method.maxIter);
  const out = method.outcome(x, r);
  const seconds = since(t0);
  ctx.progress.tick();
  // The objective after 1, 2, … iterations: the same seeded run stopped earlier (deterministic).
  const curve = curveDecision(Boolean(opts.plot), opts.nInit, n, K, out.iterations);
  const values = rerunCurve(ctx, curve.draw, out.iterations, method.value(r), (t) =>
    method.value(method.fit(x, backend, t)),
  );
  ctx.progress.stop();
  const sizes = clusterSizes(out.labels, K);
  const facts: ClusterRunFacts = { n, d, K, backend: getBackend(backend).name, seconds, sizes };
  const centresFile = method.centresFile.file;
  if (opts.output) ctx.write(opts.output, labelsArray(out.labels));
  if (centresFile) ctx.write(centresFile, out.centres);
  const { names } = method;
  ctx.plot(() =>
    document(method.title(r, facts), [
      clusterPanel(x, out.labels, K, out.centres, names),
      ...(values.length > 1
        ? [curvePanel(names.curveTitle, names.curveValue, values, names.curveValue)]
        : []),
    ]),
  );
  ctx.report(
    {
      command: method.command,
      n,
      d,
      k: K,
      backend: facts.backend,
      ...method.fields(r, facts),
      iterations: out.iterations,
      converged: out.converged,
      sizes,
      seed: opts.seed,
      nInit: opts.nInit,
      seconds,
      convergence: values.length > 0 ? values : null,
      output: opts.output ?? null,
      [method.centresFile.key]: centresFile ?? null,
      plot: opts.plot ?? null,
    },
    [
      ...method.lines(r, facts),
      ...(opts.output ? [`wrote the labels [${n}, 1] to ${opts.output}`] : []),
      ...(centresFile ? [`wrote the ${names.centres} [${K}, ${d}] to ${centresFile}`] : []),
      ...(opts.plot
        ? [`wrote ${opts.plot}${curve.draw ? '' : ` (no convergence curve: ${curve.why})`}`]
        : []),
    ],
  );
}
