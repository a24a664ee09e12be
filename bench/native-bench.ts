/**
 * Native backend targets, side by side with the JS backend in the same run, plus a dense
 * BLAS-based K-NN baseline (faiss IndexFlatL2 from Debian's python3-faiss, when installed):
 *
 *   Gaussian kernel sum 3-D (float32, float64), log-sum-exp 3-D (the Sinkhorn kernel, float32),
 *   K-NN K=10 with D=3 and D=50 (float32), a Gaussian sum at D=50 (float32, the GEMM path of
 *   src/backends/native/gemm.ts, as K-NN at D=50), all N = M = 1e5 by default;
 *   compile time of a new formula (fresh cache) and the cache-hit time (verify + dlopen + bind);
 *   then bench/highdim.ts: 10-NN at D = 50 .. 1000 and MNIST (first call, compile, steady, dense
 *   baselines), the powf-vs-rsqrt gravity sum and sin/cos kernels.
 *
 *   npx tsx bench/native-bench.ts                 # full run
 *   npx tsx bench/native-bench.ts --quick         # N = M = 2e4
 *   npx tsx bench/native-bench.ts --n 50000 --threads 2 --no-js --no-faiss
 *   npx tsx bench/native-bench.ts --no-js --no-json --no-highdim --only "K-NN K=10 D=50"   # one row
 *
 * Large problems are row-subsampled to fit the time budget (first `rows` rows against all
 * columns; pairs/s counts computed pairs). Writes bench/results/native-<date>.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { jsBackend } from '../src/backends/js/index.js';
import {
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../src/backends/native/index.js';
import { op, Var } from '../src/formula/index.js';
import { type Node, varIndex } from '../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../src/kernel/spec.js';
import type { FloatArray } from '../src/ndarray.js';
import { mulberry32 as rng } from '../src/random.js';
import type { ReductionKind } from '../src/reduction/index.js';
import { runHighDim } from './highdim.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const program = new Command()
  .option('--quick', 'N = M = 2e4')
  .option('--n <n>', 'N = M', '100000')
  .option('--threads <n>', 'native threads (default: all CPUs)')
  .option('--budget <s>', 'seconds per measurement (rows are subsampled to fit)', '8')
  .option('--no-js', 'skip the JS backend')
  .option('--no-faiss', 'skip the faiss baseline')
  .option('--no-json', 'do not write a results file')
  .option('--no-highdim', 'skip the high-dimension K-NN, pow and sin/cos benchmarks (bench/highdim.ts)')
  .option('--queries <n>', 'high-dimension K-NN: query rows', '2000')
  .option('--refs <n>', 'high-dimension K-NN: reference rows', '8000')
  .option('--only <text>', 'only the cases whose name contains this text (e.g. "D=50")')
  .parse();
const o = program.opts<{
  quick?: boolean;
  n: string;
  threads?: string;
  budget: string;
  js: boolean;
  faiss: boolean;
  json: boolean;
  highdim: boolean;
  queries: string;
  refs: string;
  only?: string;
}>();
const N = o.quick ? 20_000 : Number(o.n);
const budget = Number(o.budget);
const threads = o.threads ? Number(o.threads) : os.availableParallelism();

interface Case {
  name: string;
  target: string;
  spec: KernelSpec;
  /** Inputs in slot order; i-slots first `rows` rows via `forRows`. */
  inputs: FloatArray[];
  forRows(rows: number): FloatArray[];
  K?: number;
  D: number;
  X: FloatArray;
  Y: FloatArray;
}

function makeCase(
  name: string,
  target: string,
  formula: Node,
  kind: ReductionKind,
  dtype: 'float32' | 'float64',
  D: number,
  k?: number,
): Case {
  const { spec, slotVars } = buildSpec({ formula, kind, k, axis: 'j', dtype });
  const r = rng(7);
  const F = dtype === 'float32' ? Float32Array : Float64Array;
  const fill = (n: number) => {
    const a = new F(n);
    for (let k = 0; k < n; k++) a[k] = r();
    return a;
  };
  const data: Record<number, FloatArray> = { 0: fill(N * D), 1: fill(N * D), 2: fill(N), 3: new F([1]) };
  const inputs = slotVars.map((v) => data[varIndex(v)]!);
  return {
    name,
    target,
    spec,
    inputs,
    forRows: (rows) =>
      inputs.map(
        (a, s) => (spec.slots[s]!.cat === 'i' ? a.subarray(0, rows * spec.slots[s]!.dim) : a) as FloatArray,
      ),
    K: k,
    D,
    X: data[0]!,
    Y: data[1]!,
  };
}

function cases(): Case[] {
  const x3 = Var(0, 3, 'i');
  const y3 = Var(1, 3, 'j');
  const b = Var(2, 1, 'j');
  const g = Var(3, 1, 'p');
  const gauss = op('Mult', [op('Exp', [op('Minus', [op('SqDist', [x3, y3])])]), b]);
  const sinkhorn = op('Subtract', [b, op('Mult', [g, op('SqDist', [x3, y3])])]);
  const x50 = Var(0, 50, 'i');
  const y50 = Var(1, 50, 'j');
  const gauss50 = op('Mult', [op('Exp', [op('Minus', [op('Mult', [g, op('SqDist', [x50, y50])])])]), b]);
  return [
    makeCase('gauss 3-D f32', '>= 4', gauss, 'Sum', 'float32', 3),
    makeCase('gauss 3-D f64', '>= 1.5', gauss, 'Sum', 'float64', 3),
    makeCase('log-sum-exp 3-D f32', '>= 3', sinkhorn, 'LogSumExp', 'float32', 3),
    makeCase('K-NN K=10 D=3 f32', '>= 3', op('SqDist', [x3, y3]), 'ArgKMin', 'float32', 3, 10),
    makeCase('K-NN K=10 D=50 f32', '>= 1.5', op('SqDist', [x50, y50]), 'ArgKMin', 'float32', 50, 10),
    makeCase('gauss 50-D f32', '-', gauss50, 'Sum', 'float32', 50),
  ];
}

/** Best-of wall time of run(rows) with rows chosen to fit the budget. */
function measure(run: (rows: number) => void, nJ: number): { rows: number; seconds: number } {
  const cal = Math.max(1, Math.min(N, Math.ceil(2e7 / nJ)));
  run(cal);
  let t = performance.now();
  run(cal);
  const perRow = Math.max(1e-9, (performance.now() - t) / 1000 / cal);
  const rows = perRow * N <= 3 * budget ? N : Math.max(cal, Math.min(N, Math.floor(budget / perRow)));
  const reps = perRow * rows * 2 <= budget ? 2 : 1;
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < reps; k++) {
    t = performance.now();
    run(rows);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return { rows, seconds: best };
}

function outputsFor(c: Case) {
  const F = c.spec.dtype === 'float32' ? Float32Array : Float64Array;
  return { out: new F(N * c.spec.outDim), outIdx: new Int32Array(N * c.spec.outIdxDim) };
}

function gp(rows: number, s: number): number {
  return (rows * N) / s / 1e9;
}

/** faiss IndexFlatL2 on the first `rows` queries; undefined when python3-faiss is missing. */
function faissKnn(
  c: Case,
  rows: number,
): { seconds: number; idx: Int32Array; version: string } | { error: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lt-faiss-'));
  try {
    const xf = path.join(dir, 'x.bin');
    const yf = path.join(dir, 'y.bin');
    const of = path.join(dir, 'i.bin');
    writeFileSync(xf, new Uint8Array((c.X as Float32Array).buffer, 0, rows * c.D * 4));
    writeFileSync(yf, new Uint8Array((c.Y as Float32Array).buffer));
    const py = process.env.PYTHON ?? '/usr/bin/python3';
    const r = spawnSync(
      py,
      [path.join(here, 'native-faiss.py'), xf, yf, String(c.D), String(c.K), String(threads), of],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0)
      return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop()! };
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    return {
      seconds: res.seconds,
      idx: new Int32Array(readFileSync(of).buffer.slice(0)),
      version: res.faiss,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Share of neighbour indices equal to a reference (first `rows` rows). */
function agreement(a: Int32Array, b: Int32Array, rows: number, K: number): string {
  let same = 0;
  for (let q = 0; q < rows * K; q++) if (a[q] === b[q]) same++;
  return `${((100 * same) / (rows * K)).toFixed(2)}% same idx`;
}

interface Row {
  case: string;
  engine: string;
  rows: number;
  seconds: number;
  gpairs: number;
  note: string;
}

function main(): void {
  setNativeOptions({ sync: true, threads });
  const st = nativeBackend.status();
  console.log(`native: ${st.available ? st.device : `unavailable: ${st.reason}`}`);
  console.log(`N = M = ${N}, ${threads} threads, budget ${budget}s per measurement; node ${process.version}`);
  if (!st.available) return;
  const list = cases().filter((c) => o.only === undefined || c.name.includes(o.only));
  const results: Row[] = [];
  const compile: { case: string; compileMs: number; cacheHitMs: number }[] = [];

  // Compile time (fresh cache: new formula) and cache-hit time (new process simulated).
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'lt-native-bench-'));
  setNativeOptions({ cacheDir: fresh });
  for (const c of list) {
    resetNativeMemory();
    let t = performance.now();
    nativeBackend.compile(c.spec);
    const compileMs = performance.now() - t;
    resetNativeMemory();
    t = performance.now();
    (nativeBackend.compile(c.spec) as NativeKernel).waitReady();
    const cacheHitMs = performance.now() - t;
    compile.push({ case: c.name, compileMs, cacheHitMs });
    console.log(
      `compile ${c.name}: ${compileMs.toFixed(0)} ms; cache hit ${cacheHitMs.toFixed(2)} ms (load ${nativeStats.lastLoadMs.toFixed(2)} ms)`,
    );
  }
  setNativeOptions({ cacheDir: undefined });
  resetNativeMemory();
  rmSync(fresh, { recursive: true, force: true });

  for (const c of list) {
    console.log(`\n== ${c.name} (target ${c.target} Gpairs/s)`);
    const nat = nativeBackend.compile(c.spec) as NativeKernel;
    nat.waitReady();
    const no = outputsFor(c);
    const tn = measure(
      (rows) =>
        nat.run({
          inputs: c.forRows(rows),
          nI: rows,
          nJ: N,
          out: no.out.subarray(0, rows * c.spec.outDim),
          outIdx: no.outIdx.subarray(0, rows * c.spec.outIdxDim),
        }),
      N,
    );
    results.push({
      case: c.name,
      engine: 'native',
      rows: tn.rows,
      seconds: tn.seconds,
      gpairs: gp(tn.rows, tn.seconds),
      note: `engine ${nat.lastEngine}`,
    });
    console.log(
      `  native: ${gp(tn.rows, tn.seconds).toFixed(3)} Gpairs/s (${tn.rows} rows, ${tn.seconds.toFixed(3)} s)`,
    );
    if (o.js) {
      const js = jsBackend.compile(c.spec);
      const jo = outputsFor(c);
      const tj = measure(
        (rows) =>
          js.run({
            inputs: c.forRows(rows),
            nI: rows,
            nJ: N,
            out: jo.out.subarray(0, rows * c.spec.outDim),
            outIdx: jo.outIdx.subarray(0, rows * c.spec.outIdxDim),
          }),
        N,
      );
      const rows = Math.min(tj.rows, tn.rows);
      let note = '';
      if (c.spec.outDim > 0) {
        let worst = 0;
        for (let q = 0; q < rows * c.spec.outDim; q++)
          worst = Math.max(worst, Math.abs(no.out[q]! - jo.out[q]!) / (Math.abs(jo.out[q]!) + 1e-30));
        note = `native vs js rel ${worst.toExponential(1)}`;
      } else note = `native vs js ${agreement(no.outIdx, jo.outIdx, rows, c.K!)}`;
      results.push({
        case: c.name,
        engine: 'js',
        rows: tj.rows,
        seconds: tj.seconds,
        gpairs: gp(tj.rows, tj.seconds),
        note,
      });
      console.log(
        `  js:     ${gp(tj.rows, tj.seconds).toFixed(3)} Gpairs/s (${tj.rows} rows); ${note}; native/js ${(gp(tn.rows, tn.seconds) / gp(tj.rows, tj.seconds)).toFixed(1)}x`,
      );
    }
    if (o.faiss && c.K) {
      const rows = Math.min(tn.rows, 20_000);
      const f = faissKnn(c, rows);
      if ('error' in f)
        console.log(`  faiss: unavailable (${f.error}); apt-get install python3-faiss libopenblas0-pthread`);
      else {
        const note = `faiss ${f.version}; native vs faiss ${agreement(no.outIdx, f.idx, Math.min(rows, tn.rows), c.K)}`;
        results.push({
          case: c.name,
          engine: 'faiss IndexFlatL2',
          rows,
          seconds: f.seconds,
          gpairs: gp(rows, f.seconds),
          note,
        });
        console.log(`  faiss:  ${gp(rows, f.seconds).toFixed(3)} Gpairs/s (${rows} rows); ${note}`);
      }
    }
  }
  const highdim = o.highdim
    ? runHighDim({ queries: Number(o.queries), refs: Number(o.refs), threads, faiss: o.faiss })
    : undefined;
  if (o.json) {
    const dir = path.join(here, 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `native-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ N, threads, device: st.device, compile, results, highdim }, null, 2),
    );
    console.log(`\nwrote ${file}`);
  }
}

main();
