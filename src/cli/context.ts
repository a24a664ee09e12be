/**
 * What every command shares: the common options (--json, --plot, --compute, -o, --quiet),
 * option-value parsers that fail with exit status 2, file reading and writing with errors that
 * name the file, the report on stdout (text or one JSON object) and the progress bar on stderr.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { backends, setDefaultBackend } from '../backends/registry.js';
import { formatOf, readPoints, writePoints } from '../io/index.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { UsageError } from './errors.js';
import { figureFormat, writeFigure } from './plot/write.js';
import { makeProgress, type Progress } from './progress.js';

/** The options shared by the commands (each command adds the ones it supports). */
export interface CommonOptions {
  json?: boolean;
  plot?: string;
  compute?: string;
  output?: string;
  quiet?: boolean;
}

/** Adds --json and --quiet (every command), and optionally --plot, --compute, -o. */
export function addCommon(
  cmd: Command,
  extra: { plot?: boolean; compute?: boolean; output?: string } = {},
): Command {
  cmd.option('--json', 'print one JSON object with the results and timings on stdout');
  cmd.option('-q, --quiet', 'no progress bar');
  if (extra.plot) cmd.option('--plot <file>', 'draw the result to an .svg or .png file');
  if (extra.compute) cmd.option('--compute <backend>', 'engine backend: auto, js, native, cuda', 'auto');
  if (extra.output) cmd.option('-o, --output <file>', extra.output);
  return cmd;
}

/**
 * Largest iteration count of an option (--iters, --max-iter, --iterations): far above any
 * useful value, it turns a typo (1e9) into a usage error instead of a run that never ends.
 */
export const MAX_ITERATIONS = 100_000;

/** Parser of a number option with bounds: bad values are usage errors (exit 2). */
export function num(opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}) {
  return (value: string): number => {
    const v = Number(value);
    const ok =
      value.trim() !== '' &&
      Number.isFinite(v) &&
      (!opts.integer || Number.isInteger(v)) &&
      (opts.min === undefined || (opts.exclusiveMin ? v > opts.min : v >= opts.min)) &&
      (opts.max === undefined || v <= opts.max);
    if (!ok) {
      const kind = opts.integer ? 'an integer' : 'a number';
      const lo = opts.min === undefined ? '' : `${opts.exclusiveMin ? '>' : '>='} ${opts.min}`;
      const range =
        opts.min !== undefined && opts.max !== undefined
          ? `${kind} in ${opts.exclusiveMin ? '(' : '['}${opts.min}, ${opts.max}]`
          : [kind, lo, opts.max === undefined ? '' : `<= ${opts.max}`].filter(Boolean).join(' ');
      throw new InvalidArgumentError(`expected ${range}.`);
    }
    return v;
  };
}

/** Seconds since `t0` (performance.now() milliseconds). */
export function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Why `file` cannot be written as a new or replaced file (undefined: it can, as far as a stat tells). */
function unwritable(file: string): string | undefined {
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'folder' : 'file';
    } catch {
      return undefined;
    }
  };
  const dir = path.dirname(file);
  const d = kind(dir);
  if (d === undefined) return `no such folder: ${dir}`;
  if (d === 'file') return `${dir} is not a folder`;
  if (kind(file) === 'folder') return 'it is a folder';
  return undefined;
}

/**
 * Checks, before any work, the files a command will write (option name → file): a known
 * extension, an existing folder, and no file named by two options (the second would overwrite
 * the first). Usage errors (exit 2) that would otherwise come after minutes of work, or after
 * some of the files were written.
 */
export function checkOutputs(files: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  for (const [option, file] of Object.entries(files)) {
    if (file === undefined) continue;
    if (option === '--plot') figureFormat(file);
    else formatOf(file);
    const why = unwritable(file);
    if (why) throw new UsageError(`${file}: cannot write ${option} (${why})`);
    const key = path.resolve(file);
    const other = seen.get(key);
    if (other)
      throw new UsageError(`${other} and ${option} name the same file ${file}; give each its own file`);
    seen.set(key, option);
  }
}

/** The running command's services. */
export class Context {
  readonly progress: Progress;
  /**
   * `outputs`: the command's other options that name files to write (option name → file); they,
   * --plot and -o are checked before any work (see checkOutputs).
   */
  constructor(
    readonly opts: CommonOptions,
    outputs: Record<string, string | undefined> = {},
  ) {
    checkOutputs({ '--plot': opts.plot, '-o': opts.output, ...outputs });
    this.progress = makeProgress(
      process.stderr,
      Boolean(opts.quiet) || Boolean(opts.json && !process.stderr.isTTY),
    );
  }

  /** The engine backend named by --compute, checked (unknown or unavailable: exit 2). */
  compute(): string {
    const name = this.opts.compute ?? 'auto';
    if (name === 'auto') return name;
    const all = backends();
    const b = all.find((x) => x.name === name);
    if (!b)
      throw new UsageError(
        `unknown --compute '${name}' (expected auto, ${all.map((x) => x.name).join(', ')})`,
      );
    if (!b.available)
      throw new UsageError(`--compute ${name}: backend unavailable (${b.reason ?? 'no reason given'})`);
    setDefaultBackend(name);
    return name;
  }

  read(file: string): NDArray<FloatArray> {
    return readPoints(file);
  }

  write(file: string, array: NDArray<FloatArray | Int32Array>): void {
    writePoints(file, array);
  }

  plot(svg: () => string): void {
    if (this.opts.plot) writeFigure(this.opts.plot, svg());
  }

  /** Prints the result: `json` as one object with --json, else the text lines. */
  report(json: Record<string, unknown>, lines: string[]): void {
    this.progress.stop();
    if (this.opts.json) process.stdout.write(`${JSON.stringify(json)}\n`);
    else process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** Checks that two clouds have the same dimension (exit 2 otherwise, naming both files). */
export function sameDimension(a: NDArray, fa: string, b: NDArray, fb: string): void {
  if (a.shape[1] !== b.shape[1])
    throw new UsageError(
      `dimension mismatch: ${fa} holds ${a.shape[1]}-D points, ${fb} holds ${b.shape[1]}-D points`,
    );
}

/** The two clouds in one dtype: float64 when the files differ (a float32 .npy and a .csv, say). */
export function sameDtype(
  a: NDArray<FloatArray>,
  b: NDArray<FloatArray>,
): [NDArray<FloatArray>, NDArray<FloatArray>] {
  if (a.data.constructor === b.data.constructor) return [a, b];
  return [
    { data: Float64Array.from(a.data), shape: a.shape },
    { data: Float64Array.from(b.data), shape: b.shape },
  ];
}

/** Rows `idx` of a [N, D] array. */
export function takeRows(a: NDArray<FloatArray>, idx: readonly number[]): NDArray<FloatArray> {
  const d = a.shape[1]!;
  const out =
    a.data instanceof Float32Array ? new Float32Array(idx.length * d) : new Float64Array(idx.length * d);
  idx.forEach((i, r) => out.set(a.data.subarray(i * d, (i + 1) * d), r * d));
  return { data: out, shape: [idx.length, d] };
}

/** Row i of a [N, D] array as number[]. */
export function row(a: NDArray, i: number): number[] {
  const d = a.shape[1]!;
  return Array.from(a.data.subarray(i * d, (i + 1) * d));
}
