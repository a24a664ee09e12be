/**
 * Registration benchmark: the unit-size Stanford bunny, independent surface samples for source
 * and target (0.3% noise), N = M points; rigid (rotation 135° about (1, 2, 0.5), moved) and
 * non-rigid (a smooth synthetic warp). Reports time and error of `register`; when python3 can
 * import open3d (Debian's python3-open3d; optional, bench only), also Open3D's point-to-point ICP
 * from the identity and FPFH + RANSAC + ICP on the same clouds.
 *
 *   npm run bench:register -- [--sizes 10000,100000] [--compute native] [--models rigid,nonrigid] [--fit-points K]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { gaussian, mulberry32 } from '../src/random.js';
import { register, sampleSurface } from '../src/register/index.js';

const o = new Command()
  .option('--sizes <list>', 'comma-separated N = M', '10000,100000')
  .option('--models <list>', 'rigid and/or nonrigid', 'rigid,nonrigid')
  .option('--compute <name>', 'engine backend', 'native')
  .option('--fit-points <k>', 'register fitPoints (default: its default)')
  .parse()
  .opts<{ sizes: string; models: string; compute: string; fitPoints?: string }>();
const models = o.models.split(',');
const fitPoints = o.fitPoints === undefined ? {} : { fitPoints: Number(o.fitPoints) };

const mesh = createRequire(import.meta.url)('bunny') as { positions: number[][]; cells: number[][] };
const lo = [0, 1, 2].map((k) => Math.min(...mesh.positions.map((p) => p[k]!)));
const hi = [0, 1, 2].map((k) => Math.max(...mesh.positions.map((p) => p[k]!)));
const size = Math.max(...hi.map((h, k) => h - lo[k]!));
const unit = mesh.positions.map((p) => p.map((v, k) => (v - (lo[k]! + hi[k]!) / 2) / size));

function scan(n: number, seed: number): Float64Array {
  const g = gaussian(mulberry32(seed + 99));
  return sampleSurface(unit, mesh.cells, n, seed).data.map((v) => v + 0.003 * g());
}

function rotation(deg: number): number[] {
  const a = (deg * Math.PI) / 180;
  const [x, y, z] = [1, 2, 0.5].map((v) => v / Math.hypot(1, 2, 0.5)) as [number, number, number];
  const c = Math.cos(a);
  const s = Math.sin(a);
  const C = 1 - c;
  return [
    c + x * x * C,
    x * y * C - z * s,
    x * z * C + y * s,
    y * x * C + z * s,
    c + y * y * C,
    y * z * C - x * s,
    z * x * C - y * s,
    z * y * C + x * s,
    c + z * z * C,
  ];
}
const R = rotation(135);
const T = [0.3, -0.2, 0.1];

function moveRows(x: Float64Array, L: number[], t: number[]): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i += 3)
    for (let r = 0; r < 3; r++)
      out[i + r] = t[r]! + L[3 * r]! * x[i]! + L[3 * r + 1]! * x[i + 1]! + L[3 * r + 2]! * x[i + 2]!;
  return out;
}

function rotErr(Re: ArrayLike<number>): number {
  let tr = 0;
  for (let k = 0; k < 9; k++) tr += Re[k]! * R[k]!;
  return (Math.acos(Math.min(1, Math.max(-1, (tr - 1) / 2))) * 180) / Math.PI;
}
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Math.hypot(...Array.from(a, (v, k) => v - b[k]!));

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, c) => s + c, 0) / v.length;

const warp = (x: Float64Array) => {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i += 3) {
    out[i] = x[i]! + 0.06 * Math.sin(3 * x[i + 1]!);
    out[i + 1] = x[i + 1]! + 0.05 * Math.cos(3 * x[i + 2]!);
    out[i + 2] = x[i + 2]! + 0.06 * Math.sin(3 * x[i]!);
  }
  return out;
};

/** Debian's python3 (python3-open3d belongs to it, not to a pyenv python3 first on PATH). */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

function hasOpen3d(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import open3d'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const OPEN3D = `
import sys, json, time, numpy as np, open3d as o3d
src = np.loadtxt(sys.argv[1]); tgt = np.loadtxt(sys.argv[2]); voxel = 0.02
def pc(a):
    p = o3d.geometry.PointCloud(); p.points = o3d.utility.Vector3dVector(a); return p
s, t = pc(src), pc(tgt); out = {}
t0 = time.time()
icp = o3d.pipelines.registration.registration_icp(s, t, 0.05, np.eye(4),
    o3d.pipelines.registration.TransformationEstimationPointToPoint(),
    o3d.pipelines.registration.ICPConvergenceCriteria(max_iteration=200))
out['icp'] = {'seconds': time.time() - t0, 'T': icp.transformation.tolist()}
t0 = time.time()
def feat(p):
    d = p.voxel_down_sample(voxel)
    d.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=2 * voxel, max_nn=30))
    f = o3d.pipelines.registration.compute_fpfh_feature(d, o3d.geometry.KDTreeSearchParamHybrid(radius=5 * voxel, max_nn=100))
    return d, f
sd, sf = feat(s); td, tf = feat(t)
ran = o3d.pipelines.registration.registration_ransac_based_on_feature_matching(sd, td, sf, tf, True, 1.5 * voxel,
    o3d.pipelines.registration.TransformationEstimationPointToPoint(False), 3,
    [o3d.pipelines.registration.CorrespondenceCheckerBasedOnEdgeLength(0.9),
     o3d.pipelines.registration.CorrespondenceCheckerBasedOnDistance(1.5 * voxel)],
    o3d.pipelines.registration.RANSACConvergenceCriteria(100000, 0.999))
fine = o3d.pipelines.registration.registration_icp(s, t, 0.4 * voxel, ran.transformation,
    o3d.pipelines.registration.TransformationEstimationPointToPoint())
out['fpfh_ransac_icp'] = {'seconds': time.time() - t0, 'T': fine.transformation.tolist()}
print(json.dumps(out))
`;

function open3d(src: Float64Array, tgt: Float64Array): void {
  const dir = mkdtempSync(join(tmpdir(), 'lt-register-'));
  try {
    const rows = (a: Float64Array) => {
      const lines: string[] = [];
      for (let i = 0; i < a.length; i += 3) lines.push(`${a[i]} ${a[i + 1]} ${a[i + 2]}`);
      return lines.join('\n');
    };
    writeFileSync(join(dir, 's.xyz'), rows(src));
    writeFileSync(join(dir, 't.xyz'), rows(tgt));
    writeFileSync(join(dir, 'run.py'), OPEN3D);
    const res = JSON.parse(
      execFileSync(PYTHON, [join(dir, 'run.py'), join(dir, 's.xyz'), join(dir, 't.xyz')], {
        encoding: 'utf8',
      }),
    ) as Record<string, { seconds: number; T: number[][] }>;
    for (const [name, r] of Object.entries(res)) {
      const Re = r.T.slice(0, 3).flatMap((row) => row.slice(0, 3));
      const te = r.T.slice(0, 3).map((row) => row[3]!);
      console.log(
        `  open3d ${name.padEnd(16)} ${r.seconds.toFixed(2).padStart(7)} s   rotation error ${rotErr(Re).toFixed(3)}°   translation error ${(100 * dist(te, T)).toFixed(3)}%`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const withOpen3d = hasOpen3d();
console.log(
  `register bench: compute ${o.compute}; open3d ${withOpen3d ? 'present' : 'absent (python3-open3d not installed)'}`,
);
for (const n of o.sizes.split(',').map(Number)) {
  const x = scan(n, 1);
  const y0 = scan(n, 2);
  if (models.includes('rigid')) {
    const y = moveRows(y0, R, T);
    const t0 = performance.now();
    const r = register(
      { data: x, shape: [n, 3] },
      { data: y, shape: [n, 3] },
      { compute: o.compute, ...fitPoints },
    );
    const s = (performance.now() - t0) / 1000;
    console.log(
      `N = M = ${n} rigid    ${s.toFixed(2).padStart(7)} s   rotation error ${rotErr(r.transform!.rotation.data).toFixed(3)}°   translation error ${(100 * dist(r.transform!.translation.data, T)).toFixed(3)}%   mean confidence ${mean(r.confidence.data).toFixed(3)}   (${r.history.length} matchings)`,
    );
    if (withOpen3d) open3d(x, y);
  }
  if (models.includes('nonrigid')) {
    const y = warp(y0);
    const truth = warp(x);
    const t0 = performance.now();
    const r = register(
      { data: x, shape: [n, 3] },
      { data: y, shape: [n, 3] },
      { model: 'nonrigid', compute: o.compute, ...fitPoints },
    );
    const s = (performance.now() - t0) / 1000;
    let before = 0;
    let after = 0;
    for (let i = 0; i < x.length; i += 3) {
      before += dist(x.subarray(i, i + 3), truth.subarray(i, i + 3));
      after += dist(r.aligned.data.subarray(i, i + 3), truth.subarray(i, i + 3));
    }
    console.log(
      `N = M = ${n} nonrigid ${s.toFixed(2).padStart(7)} s   mean error to the true positions ${(before / n).toFixed(4)} → ${(after / n).toFixed(4)} (cut by ${(100 * (1 - after / before)).toFixed(1)}%)   mean confidence ${mean(r.confidence.data).toFixed(3)}`,
    );
  }
}
