/**
 * The package as a user gets it: `npm pack` (its prepack step builds dist/), the tarball
 * installed into a fresh project, then the bin run and every subpath imported and type-checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './bin.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lt-pack-'));
const proj = path.join(tmp, 'proj');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Every subpath package.json exports ('.' is the root). */
const SUBPATHS = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> })
    .exports,
).map((k) => (k === '.' ? 'lazytensor' : `lazytensor/${k.slice(2)}`));

beforeAll(() => {
  execFileSync(npm, ['pack', '--silent', '--pack-destination', tmp], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball in ${tmp}`);
  mkdirSync(proj);
  writeFileSync(
    path.join(proj, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  execFileSync(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', path.join(tmp, tarball)],
    {
      cwd: proj,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm pack → npm install → use', () => {
  it('the bin runs', () => {
    const bin = path.join(proj, 'node_modules/.bin/lazytensor');
    const r = spawnSync(bin, ['info', '--json'], { cwd: proj, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.version).toBe(
      JSON.parse(execFileSync(npm, ['pkg', 'get', 'version'], { cwd: ROOT, encoding: 'utf8' })),
    );
    expect(j.backends.map((b: { name: string }) => b.name)).toContain('js');
    const ot = spawnSync(
      bin,
      ['ot', '--bunny', '--exact', '0', '--blur', '0.3', '--compute', 'js', '--json'],
      { cwd: proj, encoding: 'utf8' },
    );
    expect(ot.status).toBe(0);
    expect(JSON.parse(ot.stdout).value).toBeGreaterThan(0);
  });

  it('every subpath imports', () => {
    const code = `for (const s of ${JSON.stringify(SUBPATHS)}) { const m = await import(s); console.log(s, Object.keys(m).length); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: proj,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const s of SUBPATHS) expect(r.stdout).toMatch(new RegExp(`^${s} [1-9]\\d*$`, 'm'));
  });

  it('the types of every subpath resolve', () => {
    writeFileSync(
      path.join(proj, 'use.ts'),
      [
        "import { Vi, backends } from 'lazytensor';",
        "import { samplesLoss } from 'lazytensor/ot';",
        "import { knn } from 'lazytensor/learn';",
        "import { type PointFormat, readPoints, writePoints } from 'lazytensor/io';",
        "import { register } from 'lazytensor/register';",
        "const f: PointFormat = 'npy';",
        "const x = readPoints('a.npy');",
        "writePoints('b.csv', x);",
        'const n: number = knn(x, x, 1).indices.shape[0]!;',
        'const v: number | Float64Array = samplesLoss(x, x).value;',
        'const a: number = register(x, x).loss;',
        'console.log(f, n, v, a, backends().length, Vi(x));',
        '// @ts-expect-error: readPoints takes a path',
        'readPoints(42);',
      ].join('\n'),
    );
    writeFileSync(
      path.join(proj, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['use.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', proj], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
