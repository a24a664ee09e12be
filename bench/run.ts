/**
 * lazytensor benchmark: every available backend side by side with a naive dense JavaScript
 * baseline, measured in the same run. Prints pairs/second and ratios, writes JSON to
 * bench/results/<name>-<date>.json.
 *
 *   npm run bench                      # full run (~3-5 minutes on 2 cores)
 *   npm run bench -- --quick           # small sizes, seconds
 *   npm run bench -- --only knn --backends js
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { jsBackend } from '../src/backends/js/backend.js';
import { jsThreads, setJsThreads } from '../src/backends/js/threads.js';
import type { Backend, BackendStatus } from '../src/backends/types.js';
import { setWasmThreads } from '../src/backends/wasm/index.js';
import type { FloatArray } from '../src/ndarray.js';
import { type BenchCase, gaussCase, knnCase } from './cases.js';
import { denseGauss, denseKnn } from './dense.js';
import { measure } from './measure.js';
import { type TinyRow, tinyRows } from './tiny.js';

interface Options {
  quick?: boolean;
  only?: string;
  backends?: string;
  threads?: string;
  budget: string;
  fullBudget: string;
  dense: boolean;
  json: boolean;
  name: string;
  memory?: boolean;
}

const program = new Command()
  .name('bench')
  .description('lazytensor benchmark: backends side by side with a dense JS baseline')
  .option('--quick', 'small sizes (a smoke run of a few seconds)')
  .option('--only <family>', "run only one family: 'gauss', 'knn' or 'tiny' (per-call overhead)")
  .option('--backends <names>', 'comma-separated backend names (default: every backend in the registry)')
  .option('--threads <n>', 'threads of the multithreaded JS run (default: os.availableParallelism())')
  .option('--budget <seconds>', 'time budget of one measurement; larger problems are row-subsampled', '6')
  .option('--full-budget <seconds>', 'run all rows when that takes at most this long', '30')
  .option('--no-dense', 'skip the dense baseline')
  .option('--no-json', 'do not write a results file')
  .option('--name <name>', 'prefix of the results file', 'bench')
  .option('--memory', 'also run the 1e5 x 1e5 memory check in a fresh process (default in full runs)')
  .option('--no-memory', 'skip the memory check')
  .parse();
const opts = program.opts<Options>();

if (opts.only !== undefined && !['gauss', 'knn', 'tiny'].includes(opts.only)) {
  program.error(`--only expects 'gauss', 'knn' or 'tiny', got '${opts.only}'`);
}
const budget = Number(opts.budget);
const fullBudget = Number(opts.fullBudget);
const allThreads = opts.threads !== undefined ? Number(opts.threads) : os.availableParallelism();

/** Backends with their status: the registry when it loads, else the JS backend alone. */
async function loadBackends(): Promise<{ backend?: Backend; name: string; status: BackendStatus }[]> {
  try {
    const reg = await import('../src/backends/registry.js');
    return reg.backends().map((s) => {
      let backend: Backend | undefined;
      if (s.available) {
        try {
          backend = reg.getBackend(s.name);
        } catch (e) {
          return { name: s.name, status: { available: false, reason: (e as Error).message } };
        }
      }
      return { backend, name: s.name, status: s };
    });
  } catch (e) {
    console.warn(`registry failed to load (${(e as Error).message}); benchmarking the JS backend only`);
    return [{ backend: jsBackend, name: 'js', status: jsBackend.status() }];
  }
}

function cases(): BenchCase[] {
  const q = opts.quick === true;
  const list: BenchCase[] = [];
  if (opts.only === 'tiny') return list;
  if (opts.only !== 'knn') {
    for (const n of q ? [2000, 10_000] : [10_000, 100_000]) {
      list.push(gaussCase('float32', 3, n), gaussCase('float64', 3, n));
    }
  }
  if (opts.only !== 'gauss') {
    const n = q ? 2000 : 10_000;
    list.push(knnCase('float32', 3, n, 10), knnCase('float32', 50, n, 10));
  }
  return list;
}

interface Row {
  case: string;
  label: string;
  n: number;
  backend: string;
  threads: number | null;
  rows: number;
  subsampled: boolean;
  seconds: number;
  reps: number;
  pairsPerSec: number;
  vsDense: number | null;
  vsJs1: number | null;
  /** Against the JS backend on the same number of threads (the wasm target: "5x js"). */
  vsJsSame: number | null;
  check: string;
  rssMB: number;
}

type Output = { out?: FloatArray; outIdx?: Int32Array };

/** Compares an output with the dense reference on their common rows. */
function check(
  c: BenchCase,
  got: Output,
  rows: number,
  ref: Float64Array | Int32Array | undefined,
  refRows: number,
) {
  if (!ref) return 'n/a';
  const n = Math.min(rows, refRows);
  if (c.family === 'gauss') {
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got.out![i]! - ref[i]!) / Math.abs(ref[i]!));
    return `rel ${worst.toExponential(1)}`;
  }
  let same = 0;
  const K = c.K!;
  for (let q = 0; q < n * K; q++) if (got.outIdx![q] === ref[q]) same++;
  return `${((100 * same) / (n * K)).toFixed(2)}% idx`;
}

function fmtRate(r: number): string {
  return r >= 1e9 ? `${(r / 1e9).toFixed(3)} G` : `${(r / 1e6).toFixed(1)} M`;
}

function printTable(rows: Row[]): void {
  const head = [
    'case',
    'backend',
    'thr',
    'rows',
    'pairs/s',
    'time s',
    'vs dense',
    'vs js x1',
    'vs js same thr',
    'check',
    'RSS MB',
  ];
  const body = rows.map((r) => [
    `${r.label} N=M=${r.n}`,
    r.backend,
    r.threads === null ? '-' : String(r.threads),
    `${r.rows}${r.subsampled ? '*' : ''}`,
    fmtRate(r.pairsPerSec),
    r.seconds.toFixed(3),
    r.vsDense === null ? '-' : `${r.vsDense.toFixed(2)}x`,
    r.vsJs1 === null ? '-' : `${r.vsJs1.toFixed(2)}x`,
    r.vsJsSame === null ? '-' : `${r.vsJsSame.toFixed(2)}x`,
    r.check,
    r.rssMB.toFixed(0),
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, k) => (k < 2 || k === 9 ? s.padEnd(w[k]!) : s.padStart(w[k]!))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  let prev = '';
  for (const b of body) {
    const c = b[0]!;
    console.log(line([c === prev ? '' : c, ...b.slice(1)]));
    prev = c;
  }
  console.log('* rows subsampled: the first `rows` rows against all columns (pairs/s is per computed pair)');
}

async function main(): Promise<void> {
  const list = await loadBackends();
  const wanted = opts.backends?.split(',').map((s) => s.trim());
  const chosen = list.filter((b) => !wanted || wanted.includes(b.name));
  const skipped = chosen
    .filter((b) => !b.backend)
    .map((b) => ({ backend: b.name, reason: b.status.reason ?? '' }));
  for (const s of skipped) console.log(`skipping backend ${s.backend}: ${s.reason}`);
  const runnable = chosen.filter((b) => b.backend);
  const started = new Date();
  console.log(
    `lazytensor bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}, ` +
      `JS threads ${allThreads}, budget ${budget}s per measurement (${fullBudget}s for full size)`,
  );
  const results: Row[] = [];
  const m = { budget, fullBudget };
  for (const c of cases()) {
    console.log(`\n== ${c.label} N=M=${c.nI}`);
    // Dense baseline (also the reference of the check column).
    let ref: Float64Array | Int32Array | undefined;
    let refRows = 0;
    let denseRate: number | null = null;
    const rowsOut: Row[] = [];
    if (opts.dense) {
      const t = measure(
        (rows) => {
          ref =
            c.family === 'gauss'
              ? denseGauss(c.X, c.Y, c.B!, c.D, rows, c.nJ)
              : denseKnn(c.X, c.Y, c.D, c.K!, rows, c.nJ);
          refRows = rows;
        },
        c.nI,
        c.nJ,
        { ...m, calPairs: 5e6 },
      );
      denseRate = t.pairsPerSec;
      rowsOut.push(row(c, 'dense JS', 1, t, 'reference'));
      console.log(`  dense baseline: ${fmtRate(t.pairsPerSec)} pairs/s (${t.rows} rows)`);
    }
    let js1: number | null = null;
    for (const b of runnable) {
      const threaded = b.name === 'js' || b.name === 'wasm';
      const configs = !threaded ? [null] : allThreads > 1 ? [1, allThreads] : [1];
      for (const threads of configs) {
        const label = b.name;
        try {
          if (threads !== null) (b.name === 'wasm' ? setWasmThreads : setJsThreads)(threads);
          const kernel = b.backend!.compile(c.spec);
          const Ctor = c.dtype === 'float32' ? Float32Array : Float64Array;
          const full: Output = {
            out: c.spec.outDim > 0 ? new Ctor(c.nI * c.spec.outDim) : undefined,
            outIdx: c.spec.outIdxDim > 0 ? new Int32Array(c.nI * c.spec.outIdxDim) : undefined,
          };
          let last: Output = {};
          let lastRows = 0;
          const t = measure(
            (rows) => {
              last = {
                out: full.out?.subarray(0, rows * c.spec.outDim),
                outIdx: full.outIdx?.subarray(0, rows * c.spec.outIdxDim),
              };
              kernel.run({ inputs: c.inputsForRows(rows), nI: rows, nJ: c.nJ, ...last });
              lastRows = rows;
            },
            c.nI,
            c.nJ,
            m,
          );
          if (b.name === 'js' && threads === 1) js1 = t.pairsPerSec;
          const r = row(c, label, threads, t, check(c, last, lastRows, ref, refRows));
          rowsOut.push(r);
          console.log(
            `  ${label} x${threads ?? '-'}: ${fmtRate(t.pairsPerSec)} pairs/s (${t.rows} rows) ${r.check}`,
          );
        } catch (e) {
          console.log(`  ${label}: failed: ${(e as Error).message}`);
          skipped.push({ backend: `${label} (${c.id})`, reason: (e as Error).message });
        } finally {
          if (threads !== null) {
            setJsThreads(undefined);
            setWasmThreads(undefined);
          }
        }
      }
    }
    for (const r of rowsOut) {
      r.vsDense = denseRate === null ? null : r.pairsPerSec / denseRate;
      r.vsJs1 = js1 === null ? null : r.pairsPerSec / js1;
      const js = rowsOut.find((o) => o.backend === 'js' && o.threads === r.threads);
      r.vsJsSame = js && r.threads !== null ? r.pairsPerSec / js.pairsPerSec : null;
      if (r.backend === 'wasm' && r.vsJsSame !== null)
        console.log(`  wasm vs js on ${r.threads} thread(s): ${r.vsJsSame.toFixed(2)}x`);
    }
    results.push(...rowsOut);
  }
  console.log('');
  if (results.length > 0) printTable(results);
  let tiny: TinyRow[] = [];
  if (opts.only === undefined || opts.only === 'tiny') {
    console.log('\n== per-call overhead (10 x 10 reductions)');
    tiny = tinyRows(
      runnable.filter((b) => b.name !== 'cuda').map((b) => b.name),
      opts.quick ? 2000 : 20_000,
    );
  }
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS of this process ${peakRssMB.toFixed(0)} MB; JS threads default ${jsThreads()}`);
  const memory = (opts.memory ?? (!opts.quick && opts.only === undefined)) ? memoryCheck() : null;
  if (opts.json) {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = started.toISOString().replace(/:/g, '-').replace(/\..*$/, '');
    const file = join(dir, `${opts.name}-${stamp}.json`);
    const machine = {
      cpu: os.cpus()[0]?.model,
      cores: os.availableParallelism(),
      memGB: os.totalmem() / 2 ** 30,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadavg: os.loadavg(),
    };
    const doc = {
      name: opts.name,
      date: started.toISOString(),
      machine,
      options: opts,
      results,
      tiny,
      skipped,
      peakRssMB,
      memory,
    };
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
}

/** Runs bench/memory.ts (a 1e5 x 1e5 reduction) in a fresh process with this process's loader. */
function memoryCheck(): Record<string, unknown> | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'memory.ts');
  const env = { ...process.env, LAZYTENSOR_JS_THREADS: String(allThreads) };
  const r = spawnSync(process.execPath, [...process.execArgv, script], { encoding: 'utf8', env });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  try {
    const m = JSON.parse(line) as Record<string, number>;
    console.log(
      `memory check: ${m.n} x ${m.n} Gaussian sum (float32, ${m.threads} threads): peak RSS ${m.peakRssMB} MB ` +
        `(${m.rssStartMB} MB before the data), ${fmtRate(m.pairsPerSec!)} pairs/s`,
    );
    return m;
  } catch {
    console.log(`memory check failed: ${r.stderr?.slice(-500) ?? r.error?.message}`);
    return null;
  }
}

function row(
  c: BenchCase,
  backend: string,
  threads: number | null,
  t: ReturnType<typeof measure>,
  chk: string,
): Row {
  return {
    case: c.id,
    label: c.label,
    n: c.nI,
    backend,
    threads,
    rows: t.rows,
    subsampled: t.rows < c.nI,
    seconds: t.seconds,
    reps: t.reps,
    pairsPerSec: t.pairsPerSec,
    vsDense: null,
    vsJs1: null,
    vsJsSame: null,
    check: chk,
    rssMB: process.memoryUsage().rss / 2 ** 20,
  };
}

await main();
