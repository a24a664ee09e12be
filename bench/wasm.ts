/**
 * The wasm backend's targets side by side with the JS backend, in one process (issue 16):
 * Gaussian kernel sum 3-D float32 and K-NN (K = 10, D = 3) at N = M = 1e5 on 1 and 2 threads
 * (rows subsampled against all columns), and the first call of a new formula (codegen + compile
 * + run) at D = 3 and D = 784. Prints wall-clock pairs/s and pairs per CPU-second (the latter stays
 * meaningful on a loaded machine), the wasm/js ratio on the same thread count, and the load average.
 *
 *   npx tsx bench/wasm.ts                 # about a minute on 2 cores
 *   npx tsx bench/wasm.ts --rows 2000     # rows per measurement (default 4000)
 *   node --experimental-wasm-relaxed-simd --import tsx bench/wasm.ts   # Node 20 with relaxed SIMD (FMA)
 */
import os from 'node:os';
import { jsBackend, shutdownJsWorkers } from '../src/backends/js/index.js';
import { setJsThreads } from '../src/backends/js/threads.js';
import type { Backend } from '../src/backends/types.js';
import { relaxedSimd } from '../src/backends/wasm/features.js';
import { setWasmThreads, shutdownWasmWorkers, wasmBackend } from '../src/backends/wasm/index.js';
import { op, Var } from '../src/formula/index.js';
import { buildSpec } from '../src/kernel/spec.js';
import { type BenchCase, gaussCase, knnCase } from './cases.js';

const arg = process.argv.indexOf('--rows');
const ROWS = arg > 0 ? Number(process.argv[arg + 1]) : 4000;
const N = 100_000;

interface Rate {
  wall: number;
  cpu: number;
}

/** Best of three runs of `rows` rows against all N columns: pairs per wall second and per CPU second. */
function rate(b: Backend, c: BenchCase, threads: number): Rate {
  (b.name === 'wasm' ? setWasmThreads : setJsThreads)(threads);
  try {
    const k = b.compile(c.spec);
    const out = c.spec.outDim > 0 ? new Float32Array(ROWS * c.spec.outDim) : undefined;
    const outIdx = c.spec.outIdxDim > 0 ? new Int32Array(ROWS * c.spec.outIdxDim) : undefined;
    const inputs = c.inputsForRows(ROWS);
    const run = () => k.run({ inputs, nI: ROWS, nJ: N, out, outIdx });
    run(); // warm-up: workers, tier-up
    const best = { wall: 0, cpu: 0 };
    for (let rep = 0; rep < 3; rep++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run();
      const wall = (performance.now() - t0) / 1000;
      const u = process.cpuUsage(c0);
      best.wall = Math.max(best.wall, (ROWS * N) / wall);
      best.cpu = Math.max(best.cpu, (ROWS * N) / ((u.user + u.system) / 1e6));
    }
    return best;
  } finally {
    setJsThreads(undefined);
    setWasmThreads(undefined);
  }
}

const g = (r: number) => `${(r / 1e9).toFixed(3)} G`;

/**
 * Codegen + compile + run of a Gaussian sum in dimension D this process has not seen (a new integer
 * constant each call); D >= 32 has component loops (src/backends/common/loops.ts).
 */
function firstCallMs(seed: number, D = 3): number {
  const x = Var(0, D, 'i');
  const y = Var(1, D, 'j');
  const f = op('Exp', [op('Minus', [op('Divide', [op('SqDist', [x, y]), op('IntCst', [], [seed + 2])])])]);
  const t0 = performance.now();
  const { spec } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' });
  const k = wasmBackend.compile(spec);
  k.run({
    inputs: [new Float32Array(100 * D), new Float32Array(100 * D)],
    nI: 100,
    nJ: 100,
    out: new Float32Array(100),
  });
  return performance.now() - t0;
}

console.log(
  `wasm bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}, ` +
    `wasm ${relaxedSimd() ? 'relaxed SIMD (FMA)' : 'SIMD128 (no relaxed SIMD: Node 20 needs --experimental-wasm-relaxed-simd)'}, ` +
    `${ROWS} rows x ${N} columns per run; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
setWasmThreads(2);
console.log(`wasm on 2 threads: ${wasmBackend.status().device ?? ''}`);
setWasmThreads(undefined);
for (const c of [gaussCase('float32', 3, N), knnCase('float32', 3, N, 10)]) {
  for (const t of [1, 2]) {
    const js = rate(jsBackend, c, t);
    const wasm = rate(wasmBackend, c, t);
    console.log(
      `${c.label.padEnd(32)} x${t}: wasm ${g(wasm.wall)} pairs/s (${g(wasm.cpu)} per CPU-s), ` +
        `js ${g(js.wall)} (${g(js.cpu)} per CPU-s); wasm vs js ${(wasm.wall / js.wall).toFixed(2)}x wall, ` +
        `${(wasm.cpu / js.cpu).toFixed(2)}x CPU`,
    );
  }
}
for (const D of [3, 784]) {
  const first = [1, 2, 3].map((seed) => firstCallMs(seed + D, D));
  console.log(
    `first call of a new formula on wasm, D = ${D}: ${first.map((t) => t.toFixed(1)).join(', ')} ms`,
  );
}
console.log(
  `load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
shutdownJsWorkers();
shutdownWasmWorkers();
