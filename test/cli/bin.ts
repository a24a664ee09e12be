/**
 * Builds the command line once per test file into .cache/cli-test (not dist/, which `npm pack`
 * rebuilds in parallel) and runs it as a user would: a child process with files in a temp folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Compiles src/ with tsconfig.build.json into `<root>/.cache/<name>/dist`; returns the bin's path. */
export function buildCli(name = 'cli-test'): string {
  const out = path.join(ROOT, '.cache', name);
  mkdirSync(out, { recursive: true });
  // The package.json makes the .js files ES modules and gives `lazytensor --version` its number.
  copyFileSync(path.join(ROOT, 'package.json'), path.join(out, 'package.json'));
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      path.join(out, 'dist'),
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  return path.join(out, 'dist/cli/main.js');
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with arguments in `cwd`; stderr is a pipe (not a terminal), like in scripts. */
export function runBin(bin: string, args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 110_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
