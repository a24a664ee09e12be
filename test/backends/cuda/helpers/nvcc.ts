import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateCuda } from '../../../../src/backends/cuda/codegen.js';
import { nvccCandidates, systemHost } from '../../../../src/backends/cuda/discovery.js';
import type { NamedSpec } from './specs.js';

/** The nvcc to compile-check with, or undefined (tests then skip, saying so). */
export function findNvcc(): string | undefined {
  return nvccCandidates(systemHost())[0];
}

/** One translation unit holding both modules of many specs (kernel names prefixed k<n>). */
export function translationUnit(
  specs: readonly NamedSpec[],
  offset = 0,
): { source: string; kernels: Map<string, string> } {
  const parts: string[] = [];
  const kernels = new Map<string, string>();
  specs.forEach((s, n) => {
    const prefix = `k${offset + n}`;
    // The production default (fast float32 intrinsics); the CPU emulation covers the accurate path.
    const g = generateCuda(s.spec, { prefix, fastMath: true });
    parts.push(`// ---- ${s.name}`, g.sources.main, g.sources.split);
    for (const e of [g.main, g.partial, g.merge]) kernels.set(e.name, s.name);
  });
  return { source: parts.join('\n'), kernels };
}

/** Result of compiling one translation unit. */
export interface CompileCheck {
  ok: boolean;
  log: string;
  /** Per kernel: registers, spill stores and loads, from `ptxas -v`. */
  stats: Map<string, { registers: number; spillStores: number; spillLoads: number }>;
}

/** The first 20 lines of a compile log that mention an error (the message of a failed compile). */
export function errorLines(log: string): string {
  return log
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(0, 20)
    .join('\n');
}

/** Parses `ptxas -v` output. */
export function parsePtxas(log: string): CompileCheck['stats'] {
  const stats: CompileCheck['stats'] = new Map();
  const re =
    /Function properties for (\w+)\s*\n\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads\s*\n[^\n]*Used (\d+) registers/g;
  for (const m of log.matchAll(re)) {
    stats.set(m[1]!, { registers: Number(m[5]), spillStores: Number(m[3]), spillLoads: Number(m[4]) });
  }
  return stats;
}

/** Runs `nvcc -cubin -arch=sm_<arch> -Xptxas -v` on a source, asynchronously (several run in parallel). */
export function compileCheck(nvcc: string, source: string, arch = 90): Promise<CompileCheck> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazytensor-nvcc-check-'));
  const src = path.join(dir, 'kernels.cu');
  fs.writeFileSync(src, source);
  return new Promise((resolve) => {
    execFile(
      nvcc,
      [
        '-cubin',
        `-arch=sm_${arch}`,
        '-Xptxas',
        '-v',
        '-diag-suppress',
        '177',
        '-o',
        path.join(dir, 'kernels.cubin'),
        src,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) => {
        fs.rmSync(dir, { recursive: true, force: true });
        const log = `${stdout}${stderr}`;
        resolve({ ok: !err, log, stats: parsePtxas(log) });
      },
    );
  });
}
