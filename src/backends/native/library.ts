import { createRequire } from 'node:module';
import type { KernelSpec } from '../../kernel/spec.js';

type Koffi = typeof import('koffi');
type Lib = ReturnType<Koffi['load']>;
type Fn = ReturnType<Lib['func']>;

let koffiModule: Koffi | undefined;
let koffiError: string | undefined;
const require = createRequire(import.meta.url);

/** Whether koffi is installed (resolves it without loading its ~50 ms native addon). */
export function koffiInstalled(): string | undefined {
  if (koffiError) return koffiError;
  try {
    require.resolve('koffi');
    return undefined;
  } catch (e) {
    return `koffi is not installed: ${(e as Error).message}`;
  }
}

/** koffi, loaded on first use (so that a platform without it only disables this backend). */
export function getKoffi(): { koffi?: Koffi; error?: string } {
  if (!koffiModule && !koffiError) {
    try {
      koffiModule = require('koffi') as Koffi;
    } catch (e) {
      koffiError = `koffi could not be loaded: ${(e as Error).message}`;
    }
  }
  return koffiModule ? { koffi: koffiModule } : { error: koffiError };
}

/** A bound kernel entry point. `call` is synchronous; `callAsync` runs on a koffi worker thread. */
export interface KernelEntry {
  call(args: unknown[]): number;
  callAsync(args: unknown[]): Promise<number>;
}

/** Opens a shared library (dlopen). Throws when it cannot be loaded. */
export function openLibrary(file: string): Lib {
  const { koffi, error } = getKoffi();
  if (!koffi) throw new Error(error);
  return koffi.load(file);
}

/** Binds `symbol` of a library with the signature codegen.ts gives kernels of this spec. */
export function bindKernel(lib: Lib, symbol: string, spec: KernelSpec): KernelEntry {
  const T = spec.dtype === 'float32' ? 'float *' : 'double *';
  const params = [
    ...spec.slots.map(() => T),
    'int64_t',
    'int64_t',
    T,
    'int32_t *',
    'int32_t *',
    'int32_t *',
    'int32_t *',
    'int64_t',
    'int32_t',
    ...(spec.groupSums ? [T, 'double *', 'double *'] : []),
  ];
  const fn: Fn = lib.func(symbol, 'int32_t', params);
  return {
    call: (args) => fn(...args) as number,
    callAsync: (args) =>
      new Promise((resolve, reject) => {
        fn.async(...args, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
      }),
  };
}

/** The unit key a loaded library was built for (codegen's `lt_unit_key`), or undefined. */
export function readUnitKey(lib: Lib, symbol: string): string | undefined {
  try {
    const v = lib.func(symbol, 'const char *', [])();
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
