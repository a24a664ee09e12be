/**
 * Per-call overhead: reductions so small (10 × 10) that the time is what the library spends around
 * the kernel (building the formula, finding the compiled kernel, validating, laying out buffers).
 *
 *   gauss:   Vi(X).sqdist(Vj(Y)).mul(-g).exp().mul(Vj(B)).sum('j') with fresh data every call,
 *            as a user loop writes it;
 *   softmin: one Sinkhorn softmin as the OT solver runs it (OnlinePair.softmin: fresh potentials,
 *            ε as a runtime parameter).
 *
 *   npx tsx bench/tiny.ts [--backends js,native] [--calls 20000]
 *
 * Each row is the median of 5 rounds of `calls` calls after a warm-up (which also compiles).
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { setNativeOptions } from '../src/backends/native/index.js';
import { Vi, Vj } from '../src/lazy/index.js';
import type { NDArray } from '../src/ndarray.js';
import { makeCost } from '../src/ot/cost.js';
import { readCloud } from '../src/ot/input.js';
import { OnlinePair } from '../src/ot/pairs.js';
import { mulberry32 } from '../src/random.js';

export interface TinyRow {
  case: string;
  backend: string;
  microsPerCall: number;
  calls: number;
}

function cloud(n: number, d: number, seed: number): NDArray<Float32Array> {
  const r = mulberry32(seed);
  return { data: Float32Array.from({ length: n * d }, () => r()), shape: [n, d] };
}

function medianMicros(f: () => void, calls: number): number {
  for (let k = 0; k < Math.min(calls, 200); k++) f();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let k = 0; k < calls; k++) f();
    rounds.push(((performance.now() - t) * 1000) / calls);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2]!;
}

/** Measures both tiny cases on each backend; prints and returns the rows. */
export function tinyRows(backendNames: string[], calls: number): TinyRow[] {
  setNativeOptions({ sync: true });
  const X = cloud(10, 3, 1);
  const Y = cloud(10, 3, 2);
  const B = cloud(10, 1, 3);
  const rows: TinyRow[] = [];
  for (const backend of backendNames) {
    const gauss = medianMicros(
      () => Vi(X).sqdist(Vj(Y)).mul(-2).exp().mul(Vj(B)).sum('j', { backend }),
      calls,
    );
    rows.push({ case: 'tiny gauss sum 10x10', backend, microsPerCall: gauss, calls });
    const pair = new OnlinePair(readCloud(X, 'x'), readCloud(Y, 'y'), makeCost(2, undefined, 3), false, {
      compute: backend,
    });
    const h = new Float64Array(10);
    let eps = 0.5;
    const softmin = medianMicros(() => {
      eps = eps === 0.5 ? 0.25 : 0.5;
      pair.softmin(eps, h);
    }, calls);
    rows.push({ case: 'tiny OT softmin 10x10', backend, microsPerCall: softmin, calls });
  }
  for (const r of rows)
    console.log(`  ${r.case.padEnd(24)} ${r.backend.padEnd(7)} ${r.microsPerCall.toFixed(1)} µs/call`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o = new Command()
    .option('--backends <names>', 'comma-separated backends', 'js,native')
    .option('--calls <n>', 'calls per round', '20000')
    .parse()
    .opts<{ backends: string; calls: string }>();
  tinyRows(o.backends.split(','), Number(o.calls));
}
