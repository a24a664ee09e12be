/**
 * Kernel-method benchmark (lazytensor/learn): kernel ridge regression on N points uniform in the
 * unit cube, y = sin(2π x₀)·cos(2π x₁) + x₂² (+ noise), solved by conjugate gradient with the
 * Nyström preconditioner and without it (iterations, time, relative residual), and the 10
 * largest eigenpairs of the Gaussian kernel matrix by eigsh (time, operator calls). 'to 1st iter.' is
 * the time to the end of the first CG iteration: the preconditioner's set-up plus one iteration.
 *
 *   npx tsx bench/learn-kernels.ts [--sizes 10000,100000] [--compute native] [--dtype float64]
 *        [--scale 0.3] [--alpha 1e-3] [--rank 200] [--tol 1e-6] [--plain-max-iter 500] [--eigs 10]
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { setNativeOptions } from '../src/backends/native/index.js';
import { LazyTensorError } from '../src/errors.js';
import { Vi, Vj } from '../src/index.js';
import { eigsh, kernelRidge } from '../src/learn/index.js';
import { gaussian, mulberry32 } from '../src/random.js';

const program = new Command()
  .option('--sizes <list>', 'comma-separated N', '10000,100000')
  .option('--d <n>', 'dimension', '3')
  .option('--compute <name>', 'engine backend', 'native')
  .option('--dtype <dtype>', 'float32 or float64', 'float64')
  .option('--scale <s>', 'Gaussian kernel scale', '0.3')
  .option('--alpha <a>', 'ridge', '1e-3')
  .option('--rank <r>', 'Nyström preconditioner rank', '200')
  .option('--tol <t>', 'relative residual', '1e-6')
  .option('--plain-max-iter <n>', 'iteration cap of the unpreconditioned run', '500')
  .option('--eigs <k>', 'eigenpairs for eigsh (0: skip)', '10')
  .parse();
const o = program.opts<{
  sizes: string;
  d: string;
  compute: string;
  dtype: 'float32' | 'float64';
  scale: string;
  alpha: string;
  rank: string;
  tol: string;
  plainMaxIter: string;
  eigs: string;
}>();
setNativeOptions({ sync: true });
const D = Number(o.d);
const backend = o.compute;
const scale = Number(o.scale);
const alpha = Number(o.alpha);
const tol = Number(o.tol);
const cast = (a: Float64Array) => (o.dtype === 'float32' ? Float32Array.from(a) : a);

function problem(N: number) {
  const u = mulberry32(1);
  const g = gaussian(mulberry32(2));
  const X = cast(Float64Array.from({ length: N * D }, () => u()));
  const Y = Float64Array.from({ length: N }, (_, i) => {
    const p = X.subarray(i * D, i * D + D);
    return (
      Math.sin(2 * Math.PI * p[0]!) * Math.cos(2 * Math.PI * (p[1] ?? 0)) + (p[2] ?? 0) ** 2 + 0.05 * g()
    );
  });
  return { x: { data: X, shape: [N, D] }, y: { data: cast(Y), shape: [N, 1] } };
}

function row(...cells: (string | number)[]): void {
  console.log(cells.map((c) => String(c).padEnd(14)).join(''));
}

console.log(
  `kernelRidge gaussian scale=${scale} alpha=${alpha} tol=${tol} D=${D} ${o.dtype} on ${backend}; Nyström rank ${o.rank}`,
);
row('N', 'preconditioner', 'iterations', 'residual', 'seconds', 'to 1st iter. s');
for (const N of o.sizes.split(',').map(Number)) {
  const { x, y } = problem(N);
  for (const preconditioner of ['nystrom', 'none'] as const) {
    let it = 0;
    let res = Number.NaN;
    const t0 = performance.now();
    let first = Number.NaN;
    let status = '';
    try {
      const m = kernelRidge(x, y, {
        scale,
        alpha,
        tol,
        backend,
        preconditioner,
        rank: Number(o.rank),
        ...(preconditioner === 'none' ? { maxIter: Number(o.plainMaxIter) } : {}),
        onProgress: (p) => {
          it = p.iteration;
          res = p.residual;
          if (it === 1) first = (performance.now() - t0) / 1000;
          return undefined;
        },
      });
      it = m.iterations;
      res = m.residual;
    } catch (e) {
      if (!(e instanceof LazyTensorError)) throw e;
      status = ' (stopped)';
    }
    const s = (performance.now() - t0) / 1000;
    row(N, preconditioner, `${it}${status}`, res.toExponential(2), s.toFixed(1), first.toFixed(1));
  }
  const k = Number(o.eigs);
  if (k > 0) {
    const K = Vi(x)
      .sqdist(Vj(x))
      .mul(-1 / (2 * scale * scale))
      .exp();
    const t0 = performance.now();
    const r = eigsh(K, k, { backend, tol: o.dtype === 'float32' ? 1e-4 : 1e-6 });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `eigsh N=${N}: ${k} largest eigenpairs in ${s.toFixed(1)} s, ${r.iterations} operator calls; λ = ${Array.from(r.values, (v) => v.toPrecision(5)).join(', ')}`,
    );
  }
}
