/**
 * High-dimension benchmarks of the native backend (part of `npm run bench:native`, or alone:
 * `npx tsx bench/highdim.ts [--queries 2000] [--refs 8000] [--threads 2]`):
 *
 * - 10-NN of float32 data at D = 50, 100, 256, 784 and 1000 (2,000 queries, 8,000 references by
 *   default: the shape of the MNIST example), per D: compile time (fresh cache), the first call
 *   with the default policy (fresh cache: waits for g++ or runs on the fallback backend, whichever
 *   is expected to end first; the column names the engine and the decision), steady
 *   native throughput, a blocked dense baseline (|x|^2 + |y|^2 - 2 x.y with tiled dot products,
 *   single-threaded JavaScript) and faiss IndexFlatL2 when Debian's python3-faiss is present.
 *   MNIST itself runs when the `mnist` package is installed, else is skipped with the reason.
 * - The Gaussian/gravity sum b_j (|x - y|^2 + 0.01)^-1.5 written with Powf (a run-time exponent:
 *   the general vectorised exp/log), with Powf of the literal -1.5 (what `powf(-1.5)` builds:
 *   compiled in as PowHalf, sqrt and multiplications) and with Rsqrt(.)^3, side by side.
 * - sin and cos kernels (float32, N = M = 2e4): b_j sin(<x_i, y_j>) and b_j cos(<x_i, y_j>), with
 *   the scalar products in [0, 3] and scaled by 1000 (argument reduction over many periods).
 *
 * - sin, cos, atan, atan2, asin, acos and pow (run-time exponent) kernels, float32 and float64,
 *   N = M = 1e4: the prelude's vectorisable functions against libm's (the code before them, by
 *   useLibmMath), side by side in one process, and their ratio.
 *
 * `--transcendental` runs only the pow, sin/cos and prelude-vs-libm rows; `--libm [--n 10000]
 * [--only float64]` only the prelude-vs-libm rows (those whose name contains the --only text).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useLibmMath } from '../src/backends/native/dialect.js';
import {
  type NativeKernel,
  nativeBackend,
  nativeStats,
  resetNativeMemory,
  setNativeOptions,
} from '../src/backends/native/index.js';
import { op, powfConstant, Var } from '../src/formula/index.js';
import { type Node, varIndex } from '../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../src/kernel/spec.js';
import { mulberry32 } from '../src/random.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const K = 10;

export interface HighDimOptions {
  queries: number;
  refs: number;
  threads: number;
  faiss: boolean;
  /** Transcendental rows: only those whose name contains this text. */
  only?: string;
}

function knnSpec(D: number): KernelSpec {
  return buildSpec({
    formula: op('SqDist', [Var(0, D, 'i'), Var(1, D, 'j')]),
    kind: 'ArgKMin',
    k: K,
    axis: 'j',
    dtype: 'float32',
  }).spec;
}

function randomData(n: number, D: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * D }, () => r());
}

/** MNIST images as float32 rows of 784 values in [0, 1], or the reason they are unavailable. */
function mnist(queries: number, refs: number): { X: Float32Array; Y: Float32Array } | string {
  try {
    const m = createRequire(import.meta.url)('mnist') as {
      set(train: number, test: number): { training: { input: number[] }[]; test: { input: number[] }[] };
    };
    const s = m.set(refs, queries);
    return {
      Y: Float32Array.from(s.training.flatMap((d) => d.input)),
      X: Float32Array.from(s.test.flatMap((d) => d.input)),
    };
  } catch (e) {
    return `the 'mnist' package is not installed (${(e as Error).message.split('\n')[0]})`;
  }
}

function secondsOf(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

/** Single-threaded blocked dense 10-NN: tiles of 32 queries x 256 references, dot products over D. */
function blockedKnn(X: Float32Array, Y: Float32Array, nq: number, nb: number, D: number): Int32Array {
  const xn = new Float64Array(nq);
  const yn = new Float64Array(nb);
  for (let i = 0; i < nq; i++) for (let k = 0; k < D; k++) xn[i]! += X[i * D + k]! ** 2;
  for (let j = 0; j < nb; j++) for (let k = 0; k < D; k++) yn[j]! += Y[j * D + k]! ** 2;
  const bestD = new Float64Array(nq * K).fill(Number.POSITIVE_INFINITY);
  const bestI = new Int32Array(nq * K).fill(-1);
  const dots = new Float64Array(32 * 256);
  for (let i0 = 0; i0 < nq; i0 += 32) {
    const i1 = Math.min(nq, i0 + 32);
    for (let j0 = 0; j0 < nb; j0 += 256) {
      const j1 = Math.min(nb, j0 + 256);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          let s = 0;
          const a = i * D;
          const b = j * D;
          for (let k = 0; k < D; k++) s += X[a + k]! * Y[b + k]!;
          dots[(i - i0) * 256 + (j - j0)] = s;
        }
      }
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          const d = xn[i]! + yn[j]! - 2 * dots[(i - i0) * 256 + (j - j0)]!;
          let p = i * K + K - 1;
          if (d >= bestD[p]!) continue;
          while (p > i * K && bestD[p - 1]! > d) {
            bestD[p] = bestD[p - 1]!;
            bestI[p] = bestI[p - 1]!;
            p--;
          }
          bestD[p] = d;
          bestI[p] = j;
        }
      }
    }
  }
  return bestI;
}

function faissSeconds(X: Float32Array, Y: Float32Array, D: number, threads: number): number | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lt-faiss-'));
  try {
    const xf = path.join(dir, 'x.bin');
    const yf = path.join(dir, 'y.bin');
    writeFileSync(xf, new Uint8Array(X.buffer, X.byteOffset, X.byteLength));
    writeFileSync(yf, new Uint8Array(Y.buffer, Y.byteOffset, Y.byteLength));
    const py = process.env.PYTHON ?? '/usr/bin/python3';
    const of = path.join(dir, 'i.bin');
    const r = spawnSync(
      py,
      [path.join(here, 'native-faiss.py'), xf, yf, String(D), String(K), String(threads), of],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) return (r.stderr || r.error?.message || 'failed').trim().split('\n').pop()!;
    readFileSync(of);
    return JSON.parse(r.stdout.trim().split('\n').pop()!).seconds as number;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function knnCase(
  name: string,
  X: Float32Array,
  Y: Float32Array,
  D: number,
  o: HighDimOptions,
): Record<string, unknown> {
  const nq = X.length / D;
  const nb = Y.length / D;
  const spec = knnSpec(D);
  const args = () => ({
    inputs: [X, Y],
    nI: nq,
    nJ: nb,
    out: new Float32Array(0),
    outIdx: new Int32Array(nq * K),
  });
  const pairs = nq * nb;
  // First call with the default policy (sync unset) on a fresh cache.
  const cold = mkdtempSync(path.join(os.tmpdir(), 'lt-highdim-'));
  setNativeOptions({ cacheDir: cold, sync: undefined, threads: o.threads });
  resetNativeMemory();
  const k0 = nativeBackend.compile(spec) as NativeKernel;
  const first = secondsOf(() => k0.run(args()));
  const firstEngine = `${k0.lastEngine}, ${k0.lastDecision}`;
  // Compile time: a fresh cache, synchronous build.
  rmSync(cold, { recursive: true, force: true });
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'lt-highdim-'));
  setNativeOptions({ cacheDir: fresh, sync: true, threads: o.threads });
  resetNativeMemory();
  const compile = secondsOf(() => (nativeBackend.compile(spec) as NativeKernel).waitReady());
  const buildMs = nativeStats.lastBuildMs;
  const k = nativeBackend.compile(spec) as NativeKernel;
  k.run(args());
  const steady = Math.min(
    secondsOf(() => k.run(args())),
    secondsOf(() => k.run(args())),
  );
  rmSync(fresh, { recursive: true, force: true });
  const dense = secondsOf(() => blockedKnn(X, Y, nq, nb, D));
  const faiss = o.faiss ? faissSeconds(X, Y, D, o.threads) : 'skipped (--no-faiss)';
  const row = {
    case: name,
    D,
    queries: nq,
    refs: nb,
    firstCallS: first,
    firstCallEngine: firstEngine,
    compileS: compile,
    buildMs,
    steadyS: steady,
    nativeGpairs: pairs / steady / 1e9,
    denseJsS: dense,
    faiss:
      typeof faiss === 'number' ? { seconds: faiss, gpairs: pairs / faiss / 1e9 } : `unavailable: ${faiss}`,
  };
  console.log(
    `${name}: first call ${first.toFixed(2)} s (${firstEngine}), compile ${compile.toFixed(2)} s, steady ${steady.toFixed(3)} s = ${row.nativeGpairs.toFixed(3)} Gpairs/s; blocked dense JS ${dense.toFixed(2)} s; faiss ${typeof faiss === 'number' ? `${faiss.toFixed(3)} s` : row.faiss}`,
  );
  return row;
}

export function powCase(o: HighDimOptions): Record<string, unknown> {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const b = Var(2, 1, 'j');
  const r2 = op('Add', [op('SqDist', [x, y]), Var(3, 1, 'p')]);
  const forms: [string, ReturnType<typeof op>][] = [
    ['powf(r2, p) with p = -1.5 at run time', op('Mult', [op('Powf', [r2, Var(4, 1, 'p')]), b])],
    ['powf(r2, -1.5) compiled in', op('Mult', [op('Powf', [r2, powfConstant(-1.5)!]), b])],
    ['rsqrt(r2)^3', op('Mult', [op('Pow', [op('Rsqrt', [r2])], [3]), b])],
  ];
  const n = o.refs;
  const X = randomData(n, 3, 1);
  const Y = randomData(n, 3, 2);
  const B = randomData(n, 1, 3);
  setNativeOptions({ sync: true, threads: o.threads, cacheDir: undefined });
  const out: Record<string, number> = {};
  for (const [name, f] of forms) {
    const { spec, slotVars } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' });
    const data: Record<number, Float32Array> = {
      0: X,
      1: Y,
      2: B,
      3: Float32Array.of(0.01),
      4: Float32Array.of(-1.5),
    };
    const inputs = slotVars.map((v) => data[varIndex(v)]!);
    const k = nativeBackend.compile(spec) as NativeKernel;
    k.waitReady();
    const res = new Float32Array(n);
    k.run({ inputs, nI: n, nJ: n, out: res });
    const s = Math.min(...[0, 1, 2].map(() => secondsOf(() => k.run({ inputs, nI: n, nJ: n, out: res }))));
    out[name] = (n * n) / s / 1e9;
    console.log(`gravity sum N = M = ${n}, ${name}: ${out[name]!.toFixed(3)} Gpairs/s`);
  }
  const rs = out['rsqrt(r2)^3']!;
  console.log(
    `rsqrt form / powf form: run-time exponent ${(rs / out[forms[0]![0]]!).toFixed(2)}x, compiled in ${(rs / out[forms[1]![0]]!).toFixed(2)}x (target <= 1.5x)`,
  );
  return out;
}

/** Gpairs/s of float32 Sum_j b_j f(<x_i, y_j>) for f = sin, cos (native, synchronous build). */
export function trigCase(o: HighDimOptions): Record<string, number> {
  const n = o.refs;
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const b = Var(2, 1, 'j');
  const X = randomData(n, 3, 4);
  const Y = randomData(n, 3, 5);
  const B = randomData(n, 1, 6);
  setNativeOptions({ sync: true, threads: o.threads, cacheDir: undefined });
  const out: Record<string, number> = {};
  for (const fn of ['Sin', 'Cos']) {
    for (const scale of [1, 1000]) {
      const name = `${fn.toLowerCase()}(<x, y>${scale === 1 ? '' : ` * ${scale}`})`;
      const arg = scale === 1 ? op('Scalprod', [x, y]) : op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])]);
      const { spec, slotVars } = buildSpec({
        formula: op('Mult', [op(fn, [arg]), b]),
        kind: 'Sum',
        axis: 'j',
        dtype: 'float32',
      });
      const data: Record<number, Float32Array> = { 0: X, 1: Y, 2: B, 3: Float32Array.of(scale) };
      const inputs = slotVars.map((v) => data[varIndex(v)]!);
      const k = nativeBackend.compile(spec) as NativeKernel;
      k.waitReady();
      const res = new Float32Array(n);
      k.run({ inputs, nI: n, nJ: n, out: res });
      const s = Math.min(...[0, 1, 2].map(() => secondsOf(() => k.run({ inputs, nI: n, nJ: n, out: res }))));
      out[name] = (n * n) / s / 1e9;
      console.log(`float32 N = M = ${n}, ${name}: ${out[name]!.toFixed(3)} Gpairs/s`);
    }
  }
  return out;
}

/** One transcendental row: the function applied to a pair-dependent argument built from x, y (3-D, in [0, 1)). */
const TRANSCENDENTAL: [string, (x: Node, y: Node) => Node, Record<number, number>][] = [
  ['sin(<x, y>)', (x, y) => op('Sin', [op('Scalprod', [x, y])]), {}],
  ['cos(<x, y>)', (x, y) => op('Cos', [op('Scalprod', [x, y])]), {}],
  [
    'atan(10 <x, y>)',
    (x, y) => op('Atan', [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])])]),
    { 3: 10 },
  ],
  [
    'atan2(<x, y> - 3/2, y_0 - 1/2)',
    (x, y) =>
      op('Atan2', [
        op('Subtract', [op('Scalprod', [x, y]), Var(3, 1, 'p')]),
        op('Subtract', [op('Elem', [y], [0]), Var(4, 1, 'p')]),
      ]),
    { 3: 1.5, 4: 0.5 },
  ],
  [
    'asin(2/3 <x, y> - 1)',
    (x, y) =>
      op('Asin', [op('Subtract', [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])]), Var(4, 1, 'p')])]),
    { 3: 2 / 3, 4: 1 },
  ],
  [
    'acos(2/3 <x, y> - 1)',
    (x, y) =>
      op('Acos', [op('Subtract', [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])]), Var(4, 1, 'p')])]),
    { 3: 2 / 3, 4: 1 },
  ],
  [
    'pow(|x - y|^2 + 0.01, p), p = -1.3',
    (x, y) => op('Powf', [op('Add', [op('SqDist', [x, y]), Var(3, 1, 'p')]), Var(4, 1, 'p')]),
    { 3: 0.01, 4: -1.3 },
  ],
];

/**
 * Gpairs/s of Sum_j b_j f(x_i, y_j) for each transcendental row, float32 and float64, with the
 * prelude's vectorisable functions and with libm's (useLibmMath: the code before them), side by
 * side in one process; the ratio is prelude / libm. N = M = `o.refs`.
 */
export function transcendentalCase(o: HighDimOptions): Record<string, Record<string, number>> {
  const n = o.refs;
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const b = Var(2, 1, 'j');
  setNativeOptions({ sync: true, threads: o.threads, cacheDir: undefined });
  const out: Record<string, Record<string, number>> = {};
  for (const dtype of ['float32', 'float64'] as const) {
    const r = mulberry32(7);
    const arr = (v: number[]) => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));
    const X = arr(Array.from({ length: n * 3 }, () => r()));
    const Y = arr(Array.from({ length: n * 3 }, () => r()));
    const B = arr(Array.from({ length: n }, () => r()));
    for (const [name, f, params] of TRANSCENDENTAL) {
      if (o.only && !`${dtype} ${name}`.includes(o.only)) continue;
      const { spec, slotVars } = buildSpec({
        formula: op('Mult', [f(x, y), b]),
        kind: 'Sum',
        axis: 'j',
        dtype,
      });
      const data: Record<number, Float32Array | Float64Array> = { 0: X, 1: Y, 2: B };
      for (const [k, v] of Object.entries(params)) data[Number(k)] = arr([v]);
      const inputs = slotVars.map((v) => data[varIndex(v)]!);
      const row: Record<string, number> = {};
      for (const libm of [false, true]) {
        useLibmMath(libm);
        resetNativeMemory();
        const k = nativeBackend.compile(spec) as NativeKernel;
        k.waitReady();
        const res = arr(new Array<number>(n).fill(0));
        k.run({ inputs, nI: n, nJ: n, out: res });
        const s = Math.min(
          ...[0, 1, 2].map(() => secondsOf(() => k.run({ inputs, nI: n, nJ: n, out: res }))),
        );
        row[libm ? 'libm' : 'prelude'] = (n * n) / s / 1e9;
      }
      useLibmMath(false);
      resetNativeMemory();
      row.ratio = row.prelude! / row.libm!;
      out[`${dtype} ${name}`] = row;
      console.log(
        `${dtype} N = M = ${n}, ${name}: prelude ${row.prelude!.toFixed(3)} Gpairs/s, libm ${row.libm!.toFixed(3)} Gpairs/s, ratio ${row.ratio.toFixed(2)}x`,
      );
    }
  }
  return out;
}

/** Runs the high-dimension benchmarks and returns their rows (for the results file). */
export function runHighDim(o: HighDimOptions): Record<string, unknown> {
  console.log(
    `\n== high dimensions: 10-NN, ${o.queries} queries x ${o.refs} references, ${o.threads} threads`,
  );
  const rows: Record<string, unknown>[] = [];
  const m = mnist(o.queries, o.refs);
  if (typeof m === 'string') console.log(`MNIST 10-NN: skipped: ${m}`);
  else rows.push(knnCase('MNIST 10-NN', m.X, m.Y, 784, o));
  for (const D of [50, 100, 256, 784, 1000]) {
    rows.push(
      knnCase(`random 10-NN D=${D}`, randomData(o.queries, D, 10 + D), randomData(o.refs, D, 20 + D), D, o),
    );
  }
  const pow = powCase({ ...o, refs: Math.max(o.refs, 20_000) });
  const trig = trigCase({ ...o, refs: Math.max(o.refs, 20_000) });
  const transcendental = transcendentalCase({ ...o, refs: 10_000 });
  setNativeOptions({ cacheDir: undefined, sync: true });
  return { knn: rows, pow, trig, transcendental };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name: string, dflt: number) => {
    const k = process.argv.indexOf(name);
    return k > 0 ? Number(process.argv[k + 1]) : dflt;
  };
  const o: HighDimOptions = {
    queries: arg('--queries', 2000),
    refs: arg('--refs', 8000),
    threads: arg('--threads', os.availableParallelism()),
    faiss: !process.argv.includes('--no-faiss'),
    only: process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined,
  };
  if (process.argv.includes('--libm')) transcendentalCase({ ...o, refs: arg('--n', 10_000) });
  else if (process.argv.includes('--transcendental')) {
    powCase({ ...o, refs: Math.max(o.refs, 20_000) });
    trigCase({ ...o, refs: Math.max(o.refs, 20_000) });
    transcendentalCase({ ...o, refs: 10_000 });
  } else runHighDim(o);
  process.exit(0);
}
