/**
 * `lazytensor register <source> <target>`: point-cloud registration by robust optimal transport
 * (rigid, similarity, affine or non-rigid): the aligned source, the fitted transform, per-point
 * confidences (low: outliers) and the loss of every matching.
 */
import { type Command, Option } from 'commander';
import type { FloatArray, NDArray } from '../../ndarray.js';
import { type RegistrationModel, register } from '../../register/index.js';
import {
  addCommon,
  Context,
  MAX_ITERATIONS,
  num,
  sameDimension,
  sameDtype,
  since,
  takeRows,
} from '../context.js';
import { UsageError } from '../errors.js';
import { lineChart, projections } from '../plot/charts.js';
import { document, fmt } from '../plot/svg.js';

interface RegisterCliOptions {
  model: RegistrationModel;
  blur?: number;
  reach?: number;
  iterations?: number;
  search: boolean;
  smoothing?: number;
  transform?: string;
  output?: string;
  plot?: string;
  json?: boolean;
  quiet?: boolean;
  compute?: string;
}

/** Points with a confidence below this are drawn and counted as outliers. */
const LOW_CONFIDENCE = 0.5;

export function registerRegister(program: Command): void {
  const cmd = program
    .command('register')
    .description('register a source point cloud onto a target by robust optimal transport (RobOT)')
    .argument('<source>', 'source points [N, D]')
    .argument('<target>', 'target points [M, D]')
    .addOption(
      new Option('--model <name>', 'transformation model')
        .choices(['rigid', 'similarity', 'affine', 'nonrigid'])
        .default('rigid'),
    )
    .option(
      '--blur <b>',
      'final blur σ of the matching (default 2% of the size)',
      num({ min: 0, exclusiveMin: true }),
    )
    .option(
      '--reach <r>',
      'reach of the unbalanced matching (default 5% of the size)',
      num({ min: 0, exclusiveMin: true }),
    )
    .option(
      '--iterations <n>',
      'largest number of match–fit alternations (default 40)',
      num({ integer: true, min: 1, max: MAX_ITERATIONS }),
    )
    .option('--no-search', 'no global search over initial rotations')
    .option(
      '--smoothing <s>',
      'non-rigid: width of the Gaussian smoothing the displacement (default 20% of the size)',
      num({ min: 0, exclusiveMin: true }),
    )
    .option('--transform <file>', 'write the (D+1)×D matrix M with aligned = [x, 1] · M');
  addCommon(cmd, { plot: true, compute: true, output: 'write the aligned source points [N, D]' }).action(
    (sFile: string, tFile: string, opts: RegisterCliOptions) => run(sFile, tFile, opts),
  );
}

/** Angle of a 2-D or 3-D rotation matrix, in degrees (undefined in other dimensions). */
function rotationAngle(r: NDArray<Float64Array>): number | undefined {
  const d = r.shape[0]!;
  const m = r.data;
  if (d === 2) return (Math.atan2(m[2]!, m[0]!) * 180) / Math.PI;
  if (d === 3) {
    const c = (m[0]! + m[4]! + m[8]! - 1) / 2;
    return (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
  }
  return undefined;
}

/** An [R, C] array as nested number arrays (for JSON). */
function rows(a: NDArray<Float64Array>): number[][] {
  const c = a.shape[1] ?? 1;
  return Array.from({ length: a.data.length / c }, (_, i) => Array.from(a.data.subarray(i * c, (i + 1) * c)));
}

function run(sFile: string, tFile: string, opts: RegisterCliOptions): void {
  const ctx = new Context(opts, { '--transform': opts.transform });
  if (opts.transform && opts.model === 'nonrigid')
    throw new UsageError('--transform needs a rigid, similarity or affine model (non-rigid has no matrix)');
  const compute = ctx.compute();
  let x = ctx.read(sFile);
  let y = ctx.read(tFile);
  sameDimension(x, sFile, y, tFile);
  [x, y] = sameDtype(x, y);
  const [n, d] = x.shape as [number, number];
  const m = y.shape[0]!;
  const total = opts.iterations ?? 40;
  ctx.progress.start(`register (${opts.model})`, total);
  let ticks = 0;
  const t0 = performance.now();
  const result = register(x, y, {
    model: opts.model,
    blur: opts.blur,
    reach: opts.reach,
    iterations: opts.iterations,
    searchInit: opts.search === false ? false : undefined,
    smoothing: opts.smoothing,
    compute,
    onProgress: () => {
      if (ticks < total) {
        ticks++;
        ctx.progress.tick();
      }
    },
  });
  const seconds = since(t0);
  ctx.progress.stop();

  const conf = result.confidence.data;
  let sum = 0;
  let min = Infinity;
  const low: number[] = [];
  const high: number[] = [];
  conf.forEach((c, i) => {
    sum += c;
    if (c < min) min = c;
    (c < LOW_CONFIDENCE ? low : high).push(i);
  });
  const mean = n > 0 ? sum / n : 0;
  const tr = result.transform;
  const angle =
    tr && (opts.model === 'rigid' || opts.model === 'similarity') ? rotationAngle(tr.rotation) : undefined;

  if (opts.output) ctx.write(opts.output, result.aligned);
  if (opts.transform && tr) ctx.write(opts.transform, tr.matrix);
  ctx.plot(() => {
    const stage = (points: NDArray<FloatArray>, name: string) => [
      {
        name: `${name}, confidence ≥ ${LOW_CONFIDENCE} (${high.length})`,
        points: takeRows(points, high),
        color: '#0072B2',
      },
      {
        name: `confidence < ${LOW_CONFIDENCE} (${low.length})`,
        points: takeRows(points, low),
        color: '#CC79A7',
      },
      { name: `target (${tFile}), ${m} points`, points: y, color: '#D55E00', opacity: 0.5 },
    ];
    return document(`register (${opts.model}): loss = ${fmt(result.loss)}`, [
      projections(stage(x, `before: source (${sFile})`)),
      projections(stage(result.aligned, 'after: aligned')),
      lineChart('OT loss per matching', [{ name: 'loss', values: result.history }], {
        x: 'matching',
        y: 'loss',
      }),
    ]);
  });

  const json = {
    command: 'register',
    model: opts.model,
    n,
    m,
    d,
    loss: result.loss,
    history: result.history,
    transform: tr
      ? {
          rotation: rows(tr.rotation),
          scale: tr.scale,
          translation: Array.from(tr.translation.data),
          matrix: rows(tr.matrix),
        }
      : null,
    confidence: { mean, min: n > 0 ? min : null, lowCount: low.length },
    seconds,
    output: opts.output ?? null,
    plot: opts.plot ?? null,
  };
  ctx.report(json, [
    `register: model ${opts.model}, ${n} → ${m} points, D = ${d}`,
    `loss ${fmt(result.loss)} (${result.history.length} matchings)`,
    ...(angle !== undefined ? [`rotation angle ${angle.toFixed(3)}°`] : []),
    ...(tr
      ? [`scale ${fmt(tr.scale)}`, `translation [${Array.from(tr.translation.data, fmt).join(', ')}]`]
      : []),
    `mean confidence ${mean.toFixed(4)} (${low.length} points below ${LOW_CONFIDENCE})`,
    `time ${seconds.toFixed(3)} s`,
    ...(opts.output ? [`wrote the aligned points [${n}, ${d}] to ${opts.output}`] : []),
    ...(opts.transform && tr ? [`wrote the transform [${d + 1}, ${d}] to ${opts.transform}`] : []),
    ...(opts.plot ? [`wrote ${opts.plot}`] : []),
  ]);
}
