/**
 * `lazytensor bench`: the engine's speed on this machine: a Gaussian kernel sum and a K-NN query
 * (3-D, N = M) on each available backend (or the one of --compute), in Gpairs/s.
 */
import type { Command } from 'commander';
import { setNativeOptions } from '../../backends/native/index.js';
import { backends } from '../../backends/registry.js';
import { Vi, Vj } from '../../lazy/index.js';
import { knn } from '../../learn/index.js';
import { mulberry32 } from '../../random.js';
import { addCommon, Context, num, since } from '../context.js';
import { barChart } from '../plot/charts.js';
import { document, fmt } from '../plot/svg.js';

interface Row {
  backend: string;
  task: string;
  seconds: number;
  gpairs: number;
}

export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description('Gaussian kernel sum and K-NN (K = 10) on random 3-D points, per backend, in Gpairs/s')
    .option('-n, --n <N>', 'points per cloud', num({ integer: true, min: 10, max: 10_000_000 }), 20_000)
    .option(
      '--reps <r>',
      'timed repetitions (the best is kept)',
      num({ integer: true, min: 1, max: 1000 }),
      3,
    )
    .option('--quick', 'N = 2000, one repetition');
  addCommon(cmd, { plot: true, compute: true }).action((opts) => {
    const ctx = new Context(opts);
    const chosen = ctx.compute();
    const n: number = opts.quick ? 2000 : opts.n;
    const reps: number = opts.quick ? 1 : opts.reps;
    const names =
      chosen === 'auto'
        ? backends()
            .filter((b) => b.available)
            .map((b) => b.name)
        : [chosen];
    setNativeOptions({ sync: true }); // time compiled code, not the JS fallback during the build
    const u = mulberry32(7);
    const X = { data: Float32Array.from({ length: n * 3 }, u), shape: [n, 3] };
    const Y = { data: Float32Array.from({ length: n * 3 }, u), shape: [n, 3] };
    const B = { data: Float32Array.from({ length: n }, u), shape: [n, 1] };
    const tasks: [string, (backend: string) => void][] = [
      ['gaussian sum', (backend) => void Vi(X).sqdist(Vj(Y)).mul(-50).exp().mul(Vj(B)).sum('j', { backend })],
      ['knn K=10', (backend) => void knn(X, Y, 10, { backend })],
    ];
    const rows: Row[] = [];
    ctx.progress.start('bench', names.length * tasks.length * (reps + 1));
    for (const backend of names) {
      for (const [task, f] of tasks) {
        f(backend); // compile, warm up
        ctx.progress.tick();
        let best = Infinity;
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          f(backend);
          best = Math.min(best, since(t0));
          ctx.progress.tick();
        }
        rows.push({ backend, task, seconds: best, gpairs: (n * n) / best / 1e9 });
      }
    }
    ctx.plot(() =>
      document(`bench: N = M = ${n}, 3-D float32, best of ${reps}`, [
        barChart(
          'Throughput (higher is better)',
          rows.map((r) => ({ label: `${r.task} · ${r.backend}`, value: r.gpairs })),
          'Gpairs/s',
        ),
      ]),
    );
    ctx.report({ command: 'bench', n, reps, results: rows }, [
      `bench: N = M = ${n}, 3-D float32, best of ${reps}`,
      ...rows.map(
        (r) =>
          `  ${r.task.padEnd(13)} ${r.backend.padEnd(7)} ${r.seconds.toFixed(4)} s  ${fmt(r.gpairs)} Gpairs/s`,
      ),
      ...(opts.plot ? [`wrote ${opts.plot}`] : []),
    ]);
  });
}
