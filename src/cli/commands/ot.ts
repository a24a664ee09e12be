/**
 * `lazytensor ot <source> <target>`: optimal transport between two point clouds: the loss of
 * samplesLoss (Sinkhorn divergence by default), the entropic plan of solveOT (marginal error,
 * matching, transported points), and the exact OT cost (network simplex) on a subsample.
 */
import { type Command, Option } from 'commander';
import { getBackend } from '../../backends/registry.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { epsilonSchedule, exactOT, type LossName, samplesLoss, solveOT } from '../../ot/index.js';
import { bunnyPair } from '../bunny.js';
import { addCommon, Context, num, row, sameDimension, sameDtype, since, takeRows } from '../context.js';
import { UsageError } from '../errors.js';
import { lineChart, projections, subsample } from '../plot/charts.js';
import { document, fmt } from '../plot/svg.js';

interface OtOptions {
  loss: LossName;
  p: number;
  blur: number;
  reach?: number;
  scaling: number;
  backend: 'auto' | 'tensorized' | 'online' | 'multiscale';
  tol?: number;
  exact: number;
  match?: string;
  output?: string;
  plot?: string;
  bunny?: boolean;
  json?: boolean;
  quiet?: boolean;
  compute?: string;
}

/** Diagonal of the joint bounding box (GeomLoss' default diameter). */
function diameter(x: NDArray<FloatArray>, y: NDArray<FloatArray>): number {
  const d = x.shape[1]!;
  let s = 0;
  for (let k = 0; k < d; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const a of [x, y]) {
      for (let i = 0; i < a.shape[0]!; i++) {
        const v = a.data[i * d + k]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    s += (hi - lo) ** 2;
  }
  return Math.sqrt(s);
}

/**
 * Largest --exact: the network simplex works on the dense n×n cost matrix (800 MB at 10^4
 * points) and its time grows faster than n²; larger subsamples were runs that never ended.
 */
const MAX_EXACT = 10_000;

/** Largest ε-schedule drawn as a convergence curve (each point re-runs the loop up to that step). */
const MAX_CURVE_STEPS = 24;
/**
 * Largest N·M with a convergence curve: drawing it re-runs the loop up to each ε-step, about
 * (steps + 1) / 2 times the work of one solve, which is only worth it on moderate problems.
 */
const MAX_CURVE_PAIRS = 25e6;

export function registerOt(program: Command): void {
  const cmd = program
    .command('ot')
    .description(
      'optimal transport between two point clouds: Sinkhorn divergence, entropic plan, exact OT on a subsample',
    )
    .argument('[source]', 'source points [N, D]')
    .argument('[target]', 'target points [M, D]')
    .addOption(
      new Option('--loss <name>', 'loss of samplesLoss')
        .choices(['sinkhorn', 'hausdorff', 'energy', 'gaussian', 'laplacian'])
        .default('sinkhorn'),
    )
    .option('--p <p>', 'cost exponent of |x − y|^p / p: 1 or 2', num({ integer: true, min: 1, max: 2 }), 2)
    .option('--blur <b>', 'blur σ (ε = σ^p)', num({ min: 0, exclusiveMin: true }), 0.05)
    .option(
      '--reach <r>',
      'reach: unbalanced OT (outliers are left unmatched)',
      num({ min: 0, exclusiveMin: true }),
    )
    .option(
      '--scaling <s>',
      'ε-scaling ratio in (0, 1)',
      num({ min: 0, max: 0.999, exclusiveMin: true }),
      0.5,
    )
    .addOption(
      new Option(
        '--backend <name>',
        'dense matrices, engine reductions, or coarse-to-fine on block-sparse kernels (Sinkhorn loss)',
      )
        .choices(['auto', 'tensorized', 'online', 'multiscale'])
        .default('auto'),
    )
    .option(
      '--tol <t>',
      'keep iterating at the final ε until the L1 marginal error is at most t (converged plans and gradients)',
      num({ min: 0, exclusiveMin: true }),
    )
    .option(
      '--exact <n>',
      `exact OT (network simplex) on a subsample of n points of each cloud (at most ${MAX_EXACT}); 0: off`,
      num({ integer: true, min: 0, max: MAX_EXACT }),
      500,
    )
    .option(
      '--match <file>',
      'write the matching: for each source point, the index of its main target partner [N, 1] (int32)',
    )
    .option('--bunny', 'use the shipped example: the Stanford bunny and a rotated, moved, cut, noisy copy');
  addCommon(cmd, {
    plot: true,
    compute: true,
    output: 'write the transported source points (barycentric map) [N, D]',
  }).action((sFile: string | undefined, tFile: string | undefined, opts: OtOptions) =>
    run(sFile, tFile, opts),
  );
}

function run(sFile: string | undefined, tFile: string | undefined, opts: OtOptions): void {
  const ctx = new Context(opts, { '--match': opts.match });
  const compute = ctx.compute();
  if (opts.loss !== 'sinkhorn' && opts.match)
    throw new UsageError('--match needs the sinkhorn loss (the matching comes from its plan)');
  if (opts.loss !== 'sinkhorn' && opts.output)
    throw new UsageError('-o needs the sinkhorn loss (the transported points come from its plan)');
  let x: NDArray<FloatArray>;
  let y: NDArray<FloatArray>;
  let names: [string, string];
  let about = '';
  if (opts.bunny) {
    if (sFile || tFile)
      throw new UsageError('--bunny uses the shipped example: give no source and target files');
    const pair = bunnyPair();
    [x, y, names, about] = [pair.source, pair.target, ['bunny', 'cut, moved copy'], pair.description];
  } else {
    if (!sFile || !tFile)
      throw new UsageError("ot needs a source and a target file (or --bunny); see 'lazytensor ot --help'");
    x = ctx.read(sFile);
    y = ctx.read(tFile);
    sameDimension(x, sFile, y, tFile);
    names = [sFile, tFile];
  }
  [x, y] = sameDtype(x, y);
  const [n, d] = x.shape as [number, number];
  const m = y.shape[0]!;
  const { p, blur, reach, scaling } = opts;
  const sinkhorn = opts.loss === 'sinkhorn';
  const exactN = reach === undefined ? Math.min(opts.exact, n, m) : 0;
  const diam = diameter(x, y);
  // No schedule when the coordinates are too large for distances: samplesLoss says so, naming them.
  const schedule =
    sinkhorn && Number.isFinite(diam ** p) ? epsilonSchedule(p, diam || blur, blur, scaling) : [];
  const curve =
    Boolean(opts.plot) && sinkhorn && schedule.length <= MAX_CURVE_STEPS && n * m <= MAX_CURVE_PAIRS;
  ctx.progress.start(
    'optimal transport',
    1 + (sinkhorn ? 1 : 0) + (exactN > 0 ? 1 : 0) + (curve ? schedule.length : 0),
  );

  const t0 = performance.now();
  const common = { p, blur, reach, scaling, backend: opts.backend, compute, tol: opts.tol };
  const loss = samplesLoss(x, y, { ...common, loss: opts.loss, gradients: false });
  const seconds = since(t0);
  const value = loss.value as number;
  ctx.progress.tick();

  let plan: ReturnType<typeof solveOT> | undefined;
  let planSeconds = 0;
  if (sinkhorn) {
    const t1 = performance.now();
    plan = solveOT(x, y, common);
    planSeconds = since(t1);
    ctx.progress.tick();
  }
  const matching = plan && (opts.match || opts.plot) ? plan.plan.matching() : undefined;

  let exact: { points: number; value: number; converged: boolean; seconds: number } | undefined;
  if (exactN > 0) {
    const t2 = performance.now();
    const xs = takeRows(x, subsample(n, exactN));
    const ys = takeRows(y, subsample(m, exactN));
    const r = exactOT(xs, ys, { p, compute });
    exact = { points: exactN, value: r.value, converged: r.converged, seconds: since(t2) };
    ctx.progress.tick();
  }

  // Convergence: the marginal error and OT_ε after each ε-step (the loop stopped at that step).
  const steps: { eps: number; value: number; marginalError: number }[] = [];
  if (curve) {
    const diam = schedule[0]! ** (1 / p);
    for (const eps of schedule) {
      const r = solveOT(x, y, { ...common, blur: eps ** (1 / p), diameter: diam });
      steps.push({ eps, value: r.value, marginalError: r.marginalErrors.a + r.marginalErrors.b });
      ctx.progress.tick();
    }
  }
  ctx.progress.stop();

  if (opts.output && plan) ctx.write(opts.output, plan.plan.barycentricMap());
  if (opts.match && matching) ctx.write(opts.match, { data: matching, shape: [n, 1] });
  const lossName = sinkhorn ? 'Sinkhorn divergence S_ε' : `${opts.loss} loss`;
  ctx.plot(() => {
    const idx = subsample(n, 300);
    const panels = [
      projections(
        [
          { name: `source (${names[0]}), ${n} points`, points: x, color: '#0072B2' },
          { name: `target (${names[1]}), ${m} points`, points: y, color: '#D55E00' },
        ],
        matching
          ? [
              {
                name: `OT matching (${idx.length} of ${n})`,
                from: idx.map((i) => row(x, i)),
                to: idx.map((i) => row(y, matching[i]!)),
                color: '#555',
              },
            ]
          : [],
      ),
    ];
    if (steps.length > 0) {
      panels.push(
        lineChart(
          'Marginal error per ε-step (L1, both marginals)',
          [{ name: 'marginal error', values: steps.map((s) => s.marginalError) }],
          { x: 'ε-step', y: 'error' },
          { logY: true },
        ),
        lineChart('OT_ε per ε-step', [{ name: 'OT_ε', values: steps.map((s) => s.value) }], {
          x: 'ε-step',
          y: 'OT_ε',
        }),
      );
    }
    return document(
      `${lossName} = ${fmt(value)} (blur ${blur}, p = ${p}${reach ? `, reach ${reach}` : ''})`,
      panels,
    );
  });

  const json = {
    command: 'ot',
    loss: opts.loss,
    value,
    backend: loss.backend,
    engine: getBackend(compute).name,
    iterations: loss.iterations,
    seconds,
    n,
    m,
    d,
    p,
    blur,
    reach: reach ?? null,
    scaling,
    plan: plan
      ? {
          value: plan.value,
          marginalError: plan.marginalErrors.a + plan.marginalErrors.b,
          eps: plan.eps,
          iterations: plan.iterations,
          seconds: planSeconds,
        }
      : null,
    exact: exact ?? null,
    convergence: steps.length > 0 ? steps : null,
    output: opts.output ?? null,
    match: opts.match ?? null,
    plot: opts.plot ?? null,
  };
  ctx.report(json, [
    ...(about ? [about] : []),
    `ot: ${n} → ${m} points, D = ${d}, p = ${p}, blur ${blur}${reach ? `, reach ${reach}` : ''} (OT backend ${loss.backend}, engine ${getBackend(compute).name})`,
    `${lossName} = ${fmt(value)}  (${loss.iterations} ε-steps, ${seconds.toFixed(3)} s)`,
    ...(plan
      ? [
          `entropic OT_ε = ${fmt(plan.value)}, marginal error ${fmt(plan.marginalErrors.a + plan.marginalErrors.b)} (${planSeconds.toFixed(3)} s)`,
        ]
      : []),
    ...(exact
      ? [
          `exact OT on ${exact.points} + ${exact.points} evenly spread points = ${fmt(exact.value)}${exact.converged ? '' : ' (pivot limit reached: not optimal)'} (${exact.seconds.toFixed(3)} s)`,
        ]
      : []),
    ...(opts.output ? [`wrote the transported points [${n}, ${d}] to ${opts.output}`] : []),
    ...(opts.match ? [`wrote the matching [${n}, 1] to ${opts.match}`] : []),
    ...(opts.plot
      ? [`wrote ${opts.plot}${sinkhorn && !curve ? ' (no convergence curve: problem too large)' : ''}`]
      : []),
  ]);
}
