import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A C++ compiler found on this machine, with the flag sets the native backend builds with. */
export interface Toolchain {
  /** Executable and leading arguments (CXX may be e.g. "ccache g++"). */
  command: string;
  prefixArgs: string[];
  /** First line of `--version`. */
  version: string;
  /** Flag sets in order of preference: fast (OpenMP, -march=native, AVX-512 widths), then portable. */
  flagSets: string[][];
  /** CPU model and features: part of the cache key, since -march=native code is CPU specific. */
  cpu: string;
  /** CPU model name, for status(). */
  cpuModel: string;
}

/** Result of compiler discovery. */
export type Discovery = { ok: true; toolchain: Toolchain } | { ok: false; reason: string };

/** Splits a CXX value on whitespace (no shell: quotes are not interpreted). */
function splitCommand(s: string): string[] {
  return s.trim().split(/\s+/).filter(Boolean);
}

/** CPU model and feature flags (Linux: /proc/cpuinfo; elsewhere the model name and arch). */
export function cpuSignature(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
    const flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
    return `${process.arch};${model};${flags}`;
  } catch {
    return `${process.arch};${os.cpus()[0]?.model ?? 'unknown'}`;
  }
}

function flagSets(cpu: string): string[][] {
  const shared = process.platform === 'darwin' ? ['-dynamiclib'] : ['-shared'];
  // No -ffast-math: it would link crtfastmath.o (flush-to-zero for the whole Node process) and
  // imply -ffinite-math-only, which breaks the -infinity of log-sum-exp and the NaN rules of arg
  // reductions. The subset below is what vectorisation needs; exp/log come from the prelude.
  const common = ['-std=c++17', '-fPIC', ...shared, '-w', '-fno-math-errno', '-fno-trapping-math'];
  const x86 = process.arch === 'x64';
  const wide = x86 && /\bavx512f\b/.test(cpu) ? ['-mprefer-vector-width=512'] : [];
  // Never unload the library (nor, through it, the OpenMP runtime): koffi dlcloses libraries when
  // Node tears down, and unmapping libgomp while its idle workers still spin crashed the process
  // at exit (SIGSEGV) after any multi-threaded call. ELF only; ld64 has no such flag.
  const nodelete = process.platform === 'darwin' ? [] : ['-Wl,-z,nodelete'];
  const fast = [
    '-O3',
    '-march=native',
    ...wide,
    '-ffp-contract=fast',
    '-fopenmp',
    '-fvisibility=hidden',
    ...nodelete,
    ...common,
  ];
  const portable = ['-O2', '-fopenmp-simd', '-pthread', ...common];
  return [fast, portable];
}

const discovered = new Map<string, Discovery>();

/** Where an executable named `cmd` lives (PATH search without a shell), or undefined. */
function resolveExecutable(cmd: string): string | undefined {
  const dirs = cmd.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    const file = d ? path.join(d, cmd) : path.resolve(cmd);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return realpathSync(file);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A store of `--version` answers keyed by executable identity (path, size, mtime), e.g. on disk. */
export interface VersionStore {
  get(key: string): string | undefined;
  set(key: string, version: string): void;
}

/** How long a compiler may take to answer `--version`. */
export const VERSION_TIMEOUT_MS = 2000;
/** How long a remembered `--version` failure stands before the compiler is asked again. */
const FAILURE_TTL_MS = 3_600_000;
const FAILED = '!failed ';

/** Runs `command --version` (time-boxed); returns its first line, or throws why it failed. */
function askVersion(command: string, prefixArgs: string[]): string {
  try {
    const out = execFileSync(command, [...prefixArgs, '--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: VERSION_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    return out.split('\n')[0]!.trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { signal?: string };
    if (err.code === 'ETIMEDOUT' || err.signal === 'SIGKILL')
      throw new Error(`did not answer --version within ${VERSION_TIMEOUT_MS / 1000} s`);
    throw new Error(`--version failed: ${err.message.split('\n')[0]}`);
  }
}

/**
 * Finds a C++ compiler: `cxx` (option or the CXX environment variable) when given, else the
 * first of g++, clang++, c++ found on PATH that answers `--version` (within VERSION_TIMEOUT_MS).
 * Cached per process, and the version per executable in `store` (so a new process does not spawn
 * the compiler to learn it); a failure is remembered there too, for an hour.
 */
export function discoverToolchain(cxx?: string, store?: VersionStore): Discovery {
  const key = cxx ?? '';
  const hit = discovered.get(key);
  if (hit) return hit;
  const candidates = cxx ? [cxx] : ['g++', 'clang++', 'c++'];
  const tried: string[] = [];
  let result: Discovery | undefined;
  for (const c of candidates) {
    const [command, ...prefixArgs] = splitCommand(c);
    if (!command) continue;
    tried.push(c);
    const exe = resolveExecutable(command);
    if (!exe) continue;
    let id = '';
    try {
      const st = statSync(exe);
      id = [exe, st.size, st.mtimeMs, ...prefixArgs].join('|');
    } catch {
      continue;
    }
    let version = store?.get(id);
    if (version?.startsWith(FAILED)) {
      const [time, ...why] = version.slice(FAILED.length).split(' ');
      if (Date.now() - Number(time) < FAILURE_TTL_MS) {
        tried[tried.length - 1] = `${c}: ${why.join(' ')}`;
        continue;
      }
      version = undefined;
    }
    if (version === undefined) {
      try {
        version = askVersion(command, prefixArgs);
        store?.set(id, version);
      } catch (e) {
        const why = (e as Error).message;
        tried[tried.length - 1] = `${c}: ${why}`;
        store?.set(id, `${FAILED}${Date.now()} ${why}`);
        continue;
      }
    }
    const cpu = cpuSignature();
    const cpuModel = cpu.split(';')[1] || process.arch;
    result = {
      ok: true,
      toolchain: { command, prefixArgs, version, flagSets: flagSets(cpu), cpu, cpuModel },
    };
    break;
  }
  result ??= {
    ok: false,
    reason: `no C++ compiler found (tried ${tried.join(', ') || 'nothing: CXX is empty'}); install g++ or clang++, or set CXX`,
  };
  discovered.set(key, result);
  return result;
}

/** Forgets discovered compilers (after the CXX option changes). */
export function resetToolchains(): void {
  discovered.clear();
}

/**
 * The content address of a library: sha256 over the format version, the source, the compiler
 * (command and version), the flags and the CPU signature.
 */
export function libraryHash(source: string, tc: Toolchain, flags: readonly string[]): string {
  const h = createHash('sha256');
  for (const part of [
    'lazytensor-native-1',
    tc.command,
    ...tc.prefixArgs,
    tc.version,
    flags.join(' '),
    tc.cpu,
    source,
  ]) {
    h.update(part);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 40);
}
