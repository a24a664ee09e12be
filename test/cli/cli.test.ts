import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmt } from '../../src/cli/plot/svg.js';
import { parseNpy, readPoints, writePoints } from '../../src/io/index.js';
import { gaussianMixture, kmeans } from '../../src/learn/index.js';
import type { NDArray } from '../../src/ndarray.js';
import { exactOT, samplesLoss, solveOT } from '../../src/ot/index.js';
import { gaussian, mulberry32 } from '../../src/random.js';
import { register } from '../../src/register/index.js';
import { buildCli, ROOT, runBin } from './bin.js';

let bin = '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lt-cli-'));
const env = { LAZYTENSOR_CACHE_DIR: path.join(tmp, 'cache') };
const run = (...args: string[]) => runBin(bin, args, tmp, env);
/** Runs the bin and expects a clean success: exit status 0, nothing on stderr. */
function runOk(...args: string[]) {
  const r = run(...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r;
}
const fixture = (name: string) => path.join(ROOT, 'test/io/fixtures', name);

beforeAll(() => {
  bin = buildCli();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cloud(n: number, d: number, seed: number, shift = 0): NDArray<Float64Array> {
  const g = gaussian(mulberry32(seed));
  return { data: Float64Array.from({ length: n * d }, () => g() + shift), shape: [n, d] };
}

/** Dense float64 K-NN: indices and squared distances, nearest first (ties: lower index). */
function bruteKnn(q: NDArray<Float64Array>, r: NDArray<Float64Array>, K: number) {
  const [n, d] = q.shape as [number, number];
  const m = r.shape[0]!;
  const idx: number[][] = [];
  const dist: number[][] = [];
  for (let i = 0; i < n; i++) {
    const all = Array.from({ length: m }, (_, j) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += (q.data[i * d + k]! - r.data[j * d + k]!) ** 2;
      return [s, j] as const;
    }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    idx.push(all.slice(0, K).map((e) => e[1]));
    dist.push(all.slice(0, K).map((e) => e[0]));
  }
  return { idx, dist };
}

function expectOneLineError(
  r: { status: number | null; stderr: string; stdout: string },
  status: number,
  ...parts: (string | RegExp)[]
) {
  expect(r.status).toBe(status);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  for (const p of parts) expect(lines[0]).toMatch(p);
}

describe('commands end to end (spawned bin, files in a temp folder)', () => {
  it('info --json lists the backends; with files, their shape', () => {
    const r = run('info', '--json', fixture('binary_le.ply'));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.backends.find((b: { name: string }) => b.name === 'js').available).toBe(true);
    expect(j.cache).toBe(path.join(tmp, 'cache', 'native'));
    expect(j.files[0]).toMatchObject({ points: 4, dim: 3, dtype: 'float32' });
    expect(j.files[0].max).toEqual([3, 2500, 2]);
  });

  it('knn writes the indices and distances of the exact K nearest neighbours', () => {
    const q = cloud(70, 3, 1);
    const r = cloud(90, 3, 2);
    writePoints(path.join(tmp, 'q.npy'), q);
    writePoints(path.join(tmp, 'r.csv'), r);
    const out = runOk(
      'knn',
      'q.npy',
      'r.csv',
      '-k',
      '4',
      '-o',
      'idx.npy',
      '--distances',
      'd.json',
      '--plot',
      'knn.svg',
      '--json',
      '--compute',
      'js',
    );
    const j = JSON.parse(out.stdout);
    expect(j).toMatchObject({ command: 'knn', n: 70, m: 90, d: 3, k: 4, backend: 'js' });
    expect(j.seconds).toBeGreaterThan(0);
    const idx = parseNpy(readFileSync(path.join(tmp, 'idx.npy')));
    expect(idx.data).toBeInstanceOf(Int32Array);
    expect(idx.shape).toEqual([70, 4]);
    const dist = readPoints(path.join(tmp, 'd.json'));
    const ref = bruteKnn(q, r, 4);
    expect(Array.from(idx.data)).toEqual(ref.idx.flat());
    ref.dist.flat().forEach((v, k) => expect(dist.data[k]).toBeCloseTo(v, 10));
    const mean = ref.dist.reduce((s, row) => s + Math.sqrt(row[0]!), 0) / 70;
    expect(j.meanNearest).toBeCloseTo(mean, 10);
    const svg = readFileSync(path.join(tmp, 'knn.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('K-NN: 70 queries, 90 references, K = 4');
  });

  it('ot: Sinkhorn divergence, plan, matching, transported points and exact OT equal the library', () => {
    const x = cloud(40, 3, 3);
    const y = cloud(30, 3, 4, 0.5);
    writePoints(path.join(tmp, 'x.ply'), x);
    writePoints(path.join(tmp, 'y.txt'), y);
    const out = runOk(
      'ot',
      'x.ply',
      'y.txt',
      '--blur',
      '0.1',
      '--exact',
      '100',
      '-o',
      't.npy',
      '--match',
      'm.csv',
      '--plot',
      'ot.svg',
      '--json',
      '--compute',
      'js',
    );
    const j = JSON.parse(out.stdout);
    const opts = { blur: 0.1, compute: 'js' };
    const lib = samplesLoss(x, y, { ...opts, gradients: false });
    expect(j).toMatchObject({
      command: 'ot',
      loss: 'sinkhorn',
      n: 40,
      m: 30,
      d: 3,
      iterations: lib.iterations,
      backend: lib.backend,
    });
    expect(j.value).toBeCloseTo(lib.value as number, 10);
    const plan = solveOT(x, y, opts);
    expect(j.plan.value).toBeCloseTo(plan.value, 10);
    const exact = exactOT(x, y, { compute: 'js' });
    expect(j.exact.points).toBe(30);
    // --exact 100 > 30 points: the whole target, and 30 of the 40 source points evenly spread.
    const xs = { data: new Float64Array(30 * 3), shape: [30, 3] };
    for (let k = 0; k < 30; k++)
      xs.data.set(x.data.subarray(Math.floor((k * 40) / 30) * 3, Math.floor((k * 40) / 30) * 3 + 3), k * 3);
    expect(j.exact.value).toBeCloseTo(exactOT(xs, y, { compute: 'js' }).value, 10);
    expect(exact.value).toBeGreaterThan(0);
    const t = readPoints(path.join(tmp, 't.npy'));
    const bary = plan.plan.barycentricMap();
    expect(t.shape).toEqual([40, 3]);
    Array.from(bary.data).forEach((v, k) => expect(t.data[k]).toBeCloseTo(v, 10));
    const m = readPoints(path.join(tmp, 'm.csv'));
    expect(Array.from(m.data)).toEqual(Array.from(plan.plan.matching()));
    expect(j.convergence.length).toBe(lib.iterations);
    const svg = readFileSync(path.join(tmp, 'ot.svg'), 'utf8');
    expect(svg).toContain('Sinkhorn divergence S_ε = ');
    expect(svg).toContain('Marginal error per ε-step');
  });

  it('ot --backend multiscale and --tol: the multiscale value of the library and a converged plan', () => {
    const x = cloud(120, 2, 5);
    const y = cloud(100, 2, 6, 0.3);
    writePoints(path.join(tmp, 'mx.npy'), x);
    writePoints(path.join(tmp, 'my.npy'), y);
    const args = ['--blur', '0.2', '--exact', '0', '--json', '--compute', 'js'];
    const ms = run('ot', 'mx.npy', 'my.npy', '--backend', 'multiscale', ...args);
    expect(ms.stderr).toBe('');
    const jm = JSON.parse(ms.stdout);
    const lib = samplesLoss(x, y, { blur: 0.2, backend: 'multiscale', compute: 'js', gradients: false });
    expect(jm.backend).toBe('multiscale');
    expect(jm.value).toBeCloseTo(lib.value as number, 10);
    // The plan is solved multiscale too.
    const libPlan = solveOT(x, y, { blur: 0.2, backend: 'multiscale', compute: 'js' });
    expect(jm.plan.value).toBeCloseTo(libPlan.value, 10);
    const conv = run('ot', 'mx.npy', 'my.npy', '--tol', '1e-6', ...args);
    expect(conv.stderr).toBe('');
    const jc = JSON.parse(conv.stdout);
    expect(jc.plan.marginalError).toBeLessThanOrEqual(2e-6);
    expect(jc.plan.value).toBeCloseTo(solveOT(x, y, { blur: 0.2, tol: 1e-6, compute: 'js' }).value, 10);
  });

  it('knn between a float32 .npy and a float64 .csv (computed in float64)', () => {
    runOk('knn', fixture('f32.npy'), fixture('points.csv'), '-k', '1', '-o', 'self.txt', '--compute', 'js');
    // Each float32 point is nearest to its own float64 original.
    expect(Array.from(readPoints(path.join(tmp, 'self.txt')).data)).toEqual([0, 1, 2, 3]);
  });

  it('ot --bunny runs the shipped example (text output)', () => {
    const out = runOk('ot', '--bunny', '--exact', '0', '--compute', 'js', '--blur', '0.2');
    expect(out.stdout).toMatch(/Sinkhorn divergence S_ε = \d/);
    expect(out.stdout).toMatch(/bunny \(\d+ points\) → copy rotated 30°/);
  });

  it('bench --quick times each task and draws bars', () => {
    const out = runOk('bench', '--quick', '--compute', 'js', '--json', '--plot', 'bench.png');
    const j = JSON.parse(out.stdout);
    expect(j.n).toBe(2000);
    expect(j.results.map((r: { task: string }) => r.task)).toEqual(['gaussian sum', 'knn K=10']);
    for (const r of j.results) expect(r.gpairs).toBeGreaterThan(0);
    const png = readFileSync(path.join(tmp, 'bench.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(1000);
  });

  it('cache info and clear', () => {
    const dir = path.join(tmp, 'cache', 'native');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a.so'), 'x'.repeat(1000));
    writeFileSync(path.join(dir, 'b.so'), 'y'.repeat(500));
    const info = JSON.parse(run('cache', 'info', '--json').stdout);
    expect(info.dir).toBe(dir);
    expect(info.files).toBeGreaterThanOrEqual(2);
    expect(info.bytes).toBeGreaterThanOrEqual(1500);
    const clear = run('cache', 'clear', '--json');
    expect(clear.status).toBe(0);
    expect(JSON.parse(clear.stdout).removed).toBe(info.files);
    expect(existsSync(path.join(dir, 'a.so'))).toBe(false);
    expect(JSON.parse(run('cache', 'info', '--json').stdout)).toMatchObject({ files: 0, bytes: 0 });
  });

  it.each(['info', 'knn', 'ot', 'bench', 'cache'])('%s --help', (cmd) => {
    const r = run(cmd, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: lazytensor ${cmd}`);
  });
});

/** Three overlapping blobs of n/3 points each around (0,0,0), (3,0,0), (0,3,0) (D = 3) or their first two coordinates. */
function blobs(n: number, d: number, seed: number): NDArray<Float64Array> {
  const x = cloud(n, d, seed);
  for (let i = 0; i < n; i++) {
    const b = i % 3;
    if (b > 0) x.data[i * d + b - 1]! += 3;
  }
  return x;
}

describe('clustering commands end to end (kmeans, gmm)', () => {
  const x3 = blobs(60, 3, 11);
  const x2 = blobs(45, 2, 12);
  beforeAll(() => {
    writePoints(path.join(tmp, 'blobs3.npy'), x3);
    writePoints(path.join(tmp, 'blobs2.npy'), x2);
  });

  it('kmeans: labels, centroids, inertia and its curve equal the library with the same seed', () => {
    const out = runOk(
      'kmeans',
      'blobs3.npy',
      '-k',
      '3',
      '--seed',
      '7',
      '--init',
      'random',
      '-o',
      'km.npy',
      '--centroids',
      'kc.csv',
      '--plot',
      'km.svg',
      '--json',
      '--compute',
      'js',
    );
    const lib = kmeans(x3, 3, { seed: 7, init: 'random', backend: 'js' });
    const j = JSON.parse(out.stdout);
    expect(j).toMatchObject({
      command: 'kmeans',
      n: 60,
      d: 3,
      k: 3,
      backend: 'js',
      iterations: lib.iterations,
      converged: lib.converged,
      seed: 7,
      init: 'random',
      output: 'km.npy',
      centroids: 'kc.csv',
    });
    expect(j.inertia).toBeCloseTo(lib.inertia, 10);
    expect(j.seconds).toBeGreaterThan(0);
    const labels = parseNpy(readFileSync(path.join(tmp, 'km.npy')));
    expect(labels.data).toBeInstanceOf(Int32Array);
    expect(labels.shape).toEqual([60, 1]);
    expect(Array.from(labels.data)).toEqual(Array.from(lib.labels.data));
    expect(j.sizes).toEqual([0, 1, 2].map((k) => lib.labels.data.filter((l) => l === k).length));
    const c = readPoints(path.join(tmp, 'kc.csv'));
    expect(c.shape).toEqual([3, 3]);
    Array.from(lib.centroids.data).forEach((v, k) => expect(c.data[k]).toBeCloseTo(v, 10));
    // The curve: inertia after 1, 2, … Lloyd iterations (at least two here), ending at the result.
    expect(lib.iterations).toBeGreaterThan(1);
    expect(j.convergence).toHaveLength(lib.iterations);
    const once = kmeans(x3, 3, { seed: 7, init: 'random', maxIter: 1, backend: 'js' });
    expect(j.convergence[0]).toBeCloseTo(once.inertia, 10);
    expect(j.convergence.at(-1)).toBeCloseTo(lib.inertia, 10);
    const svg = readFileSync(path.join(tmp, 'km.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`K-means: 60 points, K = 3, inertia ${fmt(lib.inertia)}`);
    expect(svg).toContain('Inertia per Lloyd iteration');
    for (let k = 0; k < 3; k++) expect(svg).toContain(`cluster ${k} (${j.sizes[k]})`);
    expect(svg).toContain('>centroids<');
    // 3 centroids in each of the 3 projections, drawn as large markers.
    expect(svg.match(/<circle [^>]*r="5"/g)).toHaveLength(9);
  });

  it('gmm: labels, means and log-likelihood equal the library with the same seed', () => {
    const out = runOk(
      'gmm',
      'blobs2.npy',
      '-k',
      '3',
      '--covariance',
      'diag',
      '--seed',
      '3',
      '-o',
      'gl.json',
      '--means',
      'gm.npy',
      '--plot',
      'gmm.svg',
      '--json',
      '--compute',
      'js',
    );
    const lib = gaussianMixture(x2, 3, { covariance: 'diag', seed: 3, backend: 'js' });
    const j = JSON.parse(out.stdout);
    expect(j).toMatchObject({
      command: 'gmm',
      n: 45,
      d: 2,
      k: 3,
      covariance: 'diag',
      backend: 'js',
      iterations: lib.iterations,
      converged: lib.converged,
    });
    expect(j.logLikelihood).toBeCloseTo(lib.logLikelihood, 10);
    j.weights.forEach((w: number, k: number) => expect(w).toBeCloseTo(lib.weights[k]!, 10));
    const labels = readPoints(path.join(tmp, 'gl.json'));
    expect(labels.shape).toEqual([45, 1]);
    expect(Array.from(labels.data)).toEqual(Array.from(lib.predict(x2).data));
    const means = parseNpy(readFileSync(path.join(tmp, 'gm.npy')));
    expect(means.shape).toEqual([3, 2]);
    Array.from(lib.means.data).forEach((v, k) => expect(means.data[k]).toBeCloseTo(v, 10));
    const svg = readFileSync(path.join(tmp, 'gmm.svg'), 'utf8');
    expect(svg).toContain(
      `Gaussian mixture: 45 points, K = 3 (diag), mean log-likelihood ${fmt(lib.logLikelihood)}`,
    );
    expect(svg).toContain('>means<');
    // 2-D data: one projection, so one large marker per mean.
    expect(svg.match(/<circle [^>]*r="5"/g)).toHaveLength(3);
    // The curve: mean log-likelihood after 1, 2, … EM iterations, ending at the result.
    expect(lib.iterations).toBeGreaterThan(1);
    expect(j.convergence).toHaveLength(lib.iterations);
    const once = gaussianMixture(x2, 3, { covariance: 'diag', seed: 3, maxIter: 1, backend: 'js' });
    expect(j.convergence[0]).toBeCloseTo(once.logLikelihood, 10);
    expect(j.convergence.at(-1)).toBeCloseTo(lib.logLikelihood, 10);
    expect(svg).toContain('Mean log-likelihood per EM iteration');
  });

  it('kmeans text output', () => {
    const out = runOk('kmeans', 'blobs2.npy', '-k', '2', '--compute', 'js');
    expect(out.stdout).toMatch(/^k-means: 45 points, D = 2, K = 2 \(backend js\)\ninertia \d/);
  });

  it.each(['kmeans', 'gmm'])('%s --help', (cmd) => {
    const r = run(cmd, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: lazytensor ${cmd}`);
  });

  it.each([
    [['kmeans', 'blobs2.npy', '-k', '46'], /-k 46 is larger than the number of points \(45 in blobs2\.npy\)/],
    [['gmm', 'blobs2.npy', '-k', '46'], /-k 46 is larger than the number of points \(45 in blobs2\.npy\)/],
    [['kmeans', 'blobs2.npy', '-k', '0'], /-k/],
    [['gmm', 'blobs2.npy', '-k', '2', '--covariance', 'tied'], /--covariance.*tied/],
    [['kmeans', 'blobs2.npy', '-k', '2', '--tol', '-1'], /--tol/],
    [['gmm', 'none.csv', '-k', '2'], /none\.csv.*no such file/],
    [['kmeans', 'blobs2.npy'], /-k/],
  ])('%j exits 2 with one line', (args, message) => expectOneLineError(run(...args), 2, message));
});

describe('register end to end', () => {
  /** 150 random 3-D points and the same points rotated by 40° about (1, 2, 2)/3, then moved. */
  const deg = 40;
  function rotatedPair(): { x: NDArray<Float64Array>; y: NDArray<Float64Array> } {
    const x = cloud(150, 3, 21);
    const [ux, uy, uz] = [1 / 3, 2 / 3, 2 / 3];
    const t = (deg * Math.PI) / 180;
    const [c, s, C] = [Math.cos(t), Math.sin(t), 1 - Math.cos(t)];
    const R = [
      [c + ux * ux * C, ux * uy * C - uz * s, ux * uz * C + uy * s],
      [uy * ux * C + uz * s, c + uy * uy * C, uy * uz * C - ux * s],
      [uz * ux * C - uy * s, uz * uy * C + ux * s, c + uz * uz * C],
    ];
    const shift = [0.5, -1, 2];
    const y = new Float64Array(450);
    for (let i = 0; i < 150; i++)
      for (let a = 0; a < 3; a++) {
        let v = shift[a]!;
        for (let b = 0; b < 3; b++) v += R[a]![b]! * x.data[i * 3 + b]!;
        y[i * 3 + a] = v;
      }
    return { x, y: { data: y, shape: [150, 3] } };
  }

  it('rigid: --json transform, -o aligned and --transform equal the library; --plot has title and legend', () => {
    const { x, y } = rotatedPair();
    writePoints(path.join(tmp, 'reg-src.npy'), x);
    writePoints(path.join(tmp, 'reg-tgt.npy'), y);
    const args = ['reg-src.npy', 'reg-tgt.npy', '--model', 'rigid', '--compute', 'js'];
    const out = runOk(
      'register',
      ...args,
      '-o',
      'reg-al.npy',
      '--transform',
      'reg-m.npy',
      '--plot',
      'reg.svg',
      '--json',
    );
    const j = JSON.parse(out.stdout);
    const ref = register(x, y, { model: 'rigid', compute: 'js' });
    expect(j).toMatchObject({ command: 'register', model: 'rigid', n: 150, m: 150, d: 3 });
    expect(j.loss).toBeCloseTo(ref.loss, 9);
    expect(j.history).toHaveLength(ref.history.length);
    const tr = ref.transform!;
    const close = (a: number[], b: ArrayLike<number>) => a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 9));
    close(j.transform.rotation.flat(), tr.rotation.data);
    close(j.transform.matrix.flat(), tr.matrix.data);
    close(j.transform.translation, tr.translation.data);
    expect(j.transform.scale).toBe(1);
    const conf = Array.from(ref.confidence.data);
    expect(j.confidence.mean).toBeCloseTo(conf.reduce((s, c) => s + c, 0) / 150, 9);
    expect(j.confidence.lowCount).toBe(conf.filter((c) => c < 0.5).length);
    close(Array.from(readPoints(path.join(tmp, 'reg-al.npy')).data), ref.aligned.data);
    const m = readPoints(path.join(tmp, 'reg-m.npy'));
    expect(m.shape).toEqual([4, 3]);
    close(Array.from(m.data), tr.matrix.data);
    // The known motion is recovered: the aligned source lies on the target.
    const err = Math.max(...Array.from(ref.aligned.data, (v, k) => Math.abs(v - y.data[k]!)));
    expect(err).toBeLessThan(1e-3);
    const svg = readFileSync(path.join(tmp, 'reg.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`register (rigid): loss = ${fmt(ref.loss)}`);
    expect(svg).toContain('confidence &lt; 0.5');
    expect(svg).toContain('OT loss per matching');
    // Text output: the rotation angle of R.
    const text = run('register', ...args, '--quiet');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/rotation angle 40\.0\d\d°/);
    expect(text.stdout).toMatch(/mean confidence/);
  });

  it('a dimension mismatch exits 2 with one line', () => {
    writePoints(path.join(tmp, 'reg2.csv'), cloud(5, 2, 22));
    writePoints(path.join(tmp, 'reg3.csv'), cloud(5, 3, 23));
    expectOneLineError(
      run('register', 'reg2.csv', 'reg3.csv'),
      2,
      /dimension mismatch: reg2\.csv holds 2-D points, reg3\.csv holds 3-D/,
    );
  });
});

describe('errors: exit 2 and one line naming the file or option', () => {
  beforeAll(() => {
    writePoints(path.join(tmp, 'a2.csv'), cloud(5, 2, 5));
    writePoints(path.join(tmp, 'a3.csv'), cloud(5, 3, 6));
    writeFileSync(path.join(tmp, 'bad.ply'), 'ply\nformat ascii 1.0\nelement vertex 3\n');
  });
  it('missing file', () =>
    expectOneLineError(run('knn', 'nope.npy', 'a3.csv', '-k', '1'), 2, 'nope.npy', /no such file/));
  it('unreadable file (a folder)', () =>
    expectOneLineError(run('info', 'cache.npy'.replace('cache.npy', tmp) + '/x.npy/..'), 2));
  it('corrupt header', () =>
    expectOneLineError(run('ot', 'bad.ply', 'a3.csv'), 2, 'bad.ply', /corrupt PLY header/));
  it('Fortran-order .npy', () =>
    expectOneLineError(run('info', fixture('fortran.npy')), 2, 'fortran.npy', /Fortran-order/));
  it('dimension mismatch', () =>
    expectOneLineError(
      run('knn', 'a2.csv', 'a3.csv', '-k', '1'),
      2,
      /dimension mismatch: a2\.csv holds 2-D points, a3\.csv holds 3-D/,
    ));
  it('unknown option value (choices)', () =>
    expectOneLineError(run('ot', 'a3.csv', 'a3.csv', '--loss', 'wasserstein'), 2, /--loss/, /wasserstein/));
  it('bad number', () => expectOneLineError(run('knn', 'a3.csv', 'a3.csv', '-k', 'three'), 2, /-k/, /three/));
  it('negative blur', () => expectOneLineError(run('ot', 'a3.csv', 'a3.csv', '--blur', '-1'), 2, /--blur/));
  it('unknown backend', () =>
    expectOneLineError(
      run('knn', 'a3.csv', 'a3.csv', '-k', '1', '--compute', 'tpu'),
      2,
      /unknown --compute 'tpu'/,
    ));
  it('unknown option', () =>
    expectOneLineError(run('knn', 'a3.csv', 'a3.csv', '-k', '1', '--frobnicate'), 2, /--frobnicate/));
  it('unknown command', () => expectOneLineError(run('fly'), 2, /fly/));
  it('K larger than the references', () =>
    expectOneLineError(
      run('knn', 'a3.csv', 'a3.csv', '-k', '9'),
      2,
      /-k 9 is larger than the number of reference points \(5 in a3\.csv\)/,
    ));
  it('unknown extension', () =>
    expectOneLineError(run('info', 'points.vtk'), 2, /points\.vtk: unknown file extension/));
  it('bad plot extension', () =>
    expectOneLineError(
      run('knn', 'a3.csv', 'a3.csv', '-k', '1', '--plot', 'p.pdf'),
      2,
      /p\.pdf: --plot writes \.svg or \.png/,
    ));
  it('ot without files', () => expectOneLineError(run('ot'), 2, /ot needs a source and a target file/));
});
