/**
 * Whole k-means fits at N = 1e5, D = 3, K = 50, float64, 10 iterations, same initial centroids
 * (the ml-kmeans comparison of bench/learn.ts), repeated: best and median wall time of a fit, and
 * the Min_ArgMin reduction alone and with the fused cluster sums (`groupSums`: Lloyd's 11 calls
 * per fit), alternated, and the JavaScript cluster-sums pass, to see the rest of a fit, then the reduction's kernel with the float32 ranking of
 * src/backends/native/mixedRank.ts (the default) and without it, alternated. As in bench/learn.ts (whose
 * N = 1e6 run is float32), a float32 fit runs first, so the JS passes have seen both dtypes.
 * Both algorithms ('lloyd', 'hamerly'), alternated fit by fit so that a shared machine disturbs
 * them alike; then 60-iteration fits of each (where few points move after the first iterations).
 * Wall times, and CPU times (process.cpuUsage, all threads: less disturbed by other processes).
 *
 *   npx tsx bench/kmeans-fit.ts [--reps 40] [--threads 2]
 */
import { Command } from 'commander';
import { precompileNative, setNativeOptions } from '../src/backends/native/index.js';
import { op, Var } from '../src/formula/index.js';
import { buildSpec } from '../src/kernel/spec.js';
import { reduce, Vi, Vj } from '../src/lazy/index.js';
import { clusterSums, sumsScratch } from '../src/learn/clusterSums.js';
import { kmeans } from '../src/learn/index.js';
import { mulberry32 } from '../src/random.js';

const o = new Command()
  .option('--reps <n>', 'fits', '40')
  .option('--threads <n>', 'native threads (default: the engine default)')
  .parse()
  .opts<{ reps: string; threads?: string }>();
const reps = Number(o.reps);
setNativeOptions(o.threads ? { sync: true, threads: Number(o.threads) } : { sync: true });
const algorithms = ['lloyd', 'hamerly'] as const;
const n = 1e5;
const K = 50;
const r = mulberry32(2);
const centres = Array.from({ length: K * 3 }, () => r());
const data = new Float64Array(n * 3);
for (let i = 0; i < n; i++) {
  const k = Math.floor(r() * K);
  for (let a = 0; a < 3; a++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    data[i * 3 + a] = centres[k * 3 + a]! + 0.03 * g;
  }
}
const x = { data, shape: [n, 3] };
const init = { data: data.slice(0, K * 3), shape: [K, 3] };
const opts = { init, maxIter: 10, tol: 0, backend: 'native' };
const f32 = Float32Array.from(data.subarray(0, 3e4));
for (const algorithm of algorithms)
  kmeans({ data: f32, shape: [1e4, 3] }, K, {
    init: { data: f32.slice(0, K * 3), shape: [K, 3] },
    maxIter: 10,
    tol: 0,
    backend: 'native',
    algorithm,
  });
for (const algorithm of algorithms) kmeans(x, K, { ...opts, algorithm });
/** Wall and CPU milliseconds of fits of `maxIter` iterations, per algorithm, alternated. */
function timeFits(maxIter: number, count: number) {
  const wall = { lloyd: [] as number[], hamerly: [] as number[] };
  const cpu = { lloyd: [] as number[], hamerly: [] as number[] };
  const its = { lloyd: 0, hamerly: 0 };
  for (let t = 0; t < count; t++) {
    for (const algorithm of algorithms) {
      const c0 = process.cpuUsage();
      const s = performance.now();
      its[algorithm] = kmeans(x, K, { ...opts, maxIter, algorithm }).iterations;
      wall[algorithm].push(performance.now() - s);
      const c = process.cpuUsage(c0);
      cpu[algorithm].push((c.user + c.system) / 1000);
    }
  }
  return { wall, cpu, its };
}
const F = Vi(x).sqdist(Vj(init));
const into = { values: new Float64Array(n), indices: new Int32Array(n) };
const groups = new Float64Array(K * 4);
const groupSums = { values: x };
/** The assignment alone and with the fused cluster sums (groupSums), alternated call by call. */
const calls: number[] = [];
const fused: number[] = [];
for (let t = 0; t < reps * 5; t++) {
  for (const withSums of [false, true]) {
    const s = performance.now();
    reduce({
      formula: F.formula,
      kind: 'Min_ArgMin',
      axis: 'j',
      data: F.vars,
      opts: { backend: 'native' },
      into: withSums ? { ...into, groups } : into,
      groupSums: withSums ? groupSums : undefined,
    });
    (withSums ? fused : calls).push(performance.now() - s);
  }
}
const stat = (a: number[]) => {
  const s = [...a].sort((p, q) => p - q);
  return `best ${s[0]!.toFixed(2)} ms, median ${s[s.length >> 1]!.toFixed(2)} ms`;
};
console.log(`Min_ArgMin 1e5x50 f64 call: ${stat(calls)}`);
console.log(`Min_ArgMin 1e5x50 f64 call with groupSums (assignment + cluster sums): ${stat(fused)}`);
const acc = new Float64Array(K * 4);
const scratch = sumsScratch(K, 3);
const passes: number[] = [];
for (let t = 0; t < reps * 5; t++) {
  const s = performance.now();
  clusterSums(data, 3, undefined, into.indices, acc, scratch);
  passes.push(performance.now() - s);
}
console.log(
  `cluster sums 1e5 points, K = 50, f64, in JavaScript (Hamerly's rebuilds; Lloyd's come with the call above): ${stat(passes)}`,
);
/**
 * The same kernel with the float32 ranking of src/backends/native/mixedRank.ts (the default) and
 * without it (the mixedRank option; LAZYTENSOR_NATIVE_MIXED=0 for a whole process), alternated
 * call by call; results checked identical.
 */
const spec = buildSpec({
  formula: op('SqDist', [Var(0, 3, 'i'), Var(1, 3, 'j')]),
  kind: 'Min_ArgMin',
  axis: 'j',
  dtype: 'float64',
}).spec;
const modes = ['ranking', 'direct'] as const;
const kernelOf = modes.map((m) => {
  setNativeOptions({ mixedRank: m === 'ranking' });
  return precompileNative([spec])[0]!;
});
setNativeOptions({ mixedRank: undefined });
const results = modes.map(() => ({ out: new Float64Array(n), outIdx: new Int32Array(n) }));
const byMode = { ranking: [] as number[], direct: [] as number[] };
for (let t = 0; t < reps * 5; t++)
  modes.forEach((m, q) => {
    const s = performance.now();
    kernelOf[q]!.run({ inputs: [data, init.data], nI: n, nJ: K, ...results[q]! });
    byMode[m].push(performance.now() - s);
  });
const same =
  results[0]!.out.every((v, i) => Object.is(v, results[1]!.out[i])) &&
  results[0]!.outIdx.every((v, i) => v === results[1]!.outIdx[i]);
console.log(`Min_ArgMin 1e5x50 f64 kernel, float32 ranking: ${stat(byMode.ranking)}`);
console.log(`Min_ArgMin 1e5x50 f64 kernel, direct float64:  ${stat(byMode.direct)}`);
console.log(
  `  direct / ranking: ${(Math.min(...byMode.direct) / Math.min(...byMode.ranking)).toFixed(2)} (best times); results ${same ? 'identical' : 'DIFFER'}`,
);
for (const [maxIter, count] of [
  [10, reps],
  [60, Math.max(3, Math.round(reps / 6))],
] as const) {
  const { wall, cpu, its } = timeFits(maxIter, count);
  for (const a of algorithms)
    console.log(
      `kmeans ${a} fit (${its[a]} iterations + final assignment): wall ${stat(wall[a])}; cpu ${stat(cpu[a])}`,
    );
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
  console.log(
    `  hamerly / lloyd, ${its.lloyd} iterations: wall ${(med(wall.hamerly) / med(wall.lloyd)).toFixed(2)}, cpu ${(med(cpu.hamerly) / med(cpu.lloyd)).toFixed(2)} (medians)`,
  );
}
