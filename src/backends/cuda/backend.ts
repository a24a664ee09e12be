import { createHash } from 'node:crypto';
import { LazyTensorError } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import type { FloatArray, NDArray } from '../../ndarray.js';
import type { Backend, BackendStatus } from '../types.js';
import { defaultCacheDir, ModuleCache } from './cache.js';
import {
  CUDA_CODEGEN_VERSION,
  type CudaCodegenOptions,
  type GeneratedCuda,
  generateCuda,
  type KernelEntry,
} from './codegen.js';
import { CudaContext, type DeviceInfo, deviceInfo } from './context.js';
import { DeviceArray, type DeviceDType, uploadArray } from './device-array.js';
import {
  type DiscoveryHost,
  libcudaCandidates,
  nvccCandidates,
  nvrtcCandidates,
  systemHost,
} from './discovery.js';
import { type CudaDriver, FUNC_ATTR, loadDriver } from './driver.js';
import { formatBytes } from './errors.js';
import { CudaKernel, type KernelHost, type LoadedFn, type Scheme } from './kernel.js';
import { NvccCompiler, nvccVersion } from './nvcc.js';
import { type CudaCompiler, loadNvrtc } from './nvrtc.js';

/** Options of a CUDA backend instance (the default instance reads them from the environment). */
export interface CudaBackendOptions {
  /** Driver libraries to try (files or sonames); default: discovery (LAZYTENSOR_LIBCUDA, libcuda.so.1, ...). */
  libcuda?: readonly string[];
  /** The compiler; default: NVRTC found by discovery, else `nvcc` (LAZYTENSOR_CUDA_COMPILER=nvcc forces it). */
  compiler?: CudaCompiler;
  /** Folder of the on-disk module cache; null disables it. Default: LAZYTENSOR_CACHE_DIR/cuda or ~/.cache/lazytensor/cuda. */
  cacheDir?: string | null;
  /** Device ordinal (default LAZYTENSOR_CUDA_DEVICE or 0). */
  device?: number;
  /** Launch scheme (default LAZYTENSOR_CUDA_SCHEME or 'auto'); '1d'/'2d' force one, for tests. */
  scheme?: Scheme;
  /**
   * Fast float32 intrinsics (__expf, ...), as KeOps' -use_fast_math. On by default (1.25x on an
   * H100 for the Gaussian sum, same conformance results); LAZYTENSOR_CUDA_FAST_MATH=0 turns it off.
   */
  fastMath?: boolean;
  /**
   * The tiled path for formulas dominated by dot products over a large D (K-NN, Gaussian sums,
   * scalar products at D >= 32; gemm.ts). On by default; LAZYTENSOR_CUDA_GEMM=0 turns it off.
   */
  gemm?: boolean;
  /** Environment and file system used by discovery. */
  host?: DiscoveryHost;
}

/** The CUDA backend: a Backend plus device arrays. */
export interface CudaBackend extends Backend {
  compile(spec: KernelSpec): CudaKernel;
  /** Copies a host array to the GPU (shape defaults to the NDArray's, or [length]). */
  toDevice(a: NDArray | FloatArray | Int32Array, shape?: readonly number[]): DeviceArray;
  /** An uninitialised device array. */
  empty(dtype: DeviceDType, shape: readonly number[]): DeviceArray;
  /** Waits for all queued GPU work. */
  synchronize(): void;
  /** Device memory (driver's view) and this backend's live and pooled bytes. */
  memory(): { free: number; total: number; live: number; pooled: number };
  /** Returns pooled and scratch device memory to the driver. */
  releaseCachedMemory(): void;
  /** The device, once available. */
  deviceInfo(): DeviceInfo;
  /** The generated CUDA source of a spec (for inspection and compile checks; needs no GPU). */
  source(spec: KernelSpec): GeneratedCuda;
}

interface Runtime {
  driver: CudaDriver;
  info: DeviceInfo;
  compiler: CudaCompiler;
  ctx?: CudaContext;
}

type Init = { ok: true; rt: Runtime; device: string } | { ok: false; reason: string };

function envScheme(v: string | undefined): Scheme {
  return v === '1d' || v === '2d' ? v : 'auto';
}

/** Finds a compiler: NVRTC first (in-process, fast), then nvcc. */
function findCompiler(host: DiscoveryHost): { compiler?: CudaCompiler; reason: string } {
  const forceNvcc = host.env.LAZYTENSOR_CUDA_COMPILER === 'nvcc';
  let nvrtcReason = 'skipped (LAZYTENSOR_CUDA_COMPILER=nvcc)';
  if (!forceNvcc) {
    const c = nvrtcCandidates(host);
    const r = loadNvrtc([...c.files, ...c.sonames]);
    if (r.nvrtc) return { compiler: r.nvrtc, reason: '' };
    nvrtcReason = `not found (looked in ${c.searched.length} folders incl. CUDA_HOME, LD_LIBRARY_PATH, /usr/local/cuda*, the nvidia-cuda-nvrtc wheel; set LAZYTENSOR_NVRTC to the library file)`;
  }
  for (const nvcc of nvccCandidates(host)) {
    const v = nvccVersion(nvcc);
    if (v) return { compiler: new NvccCompiler(nvcc, v), reason: '' };
  }
  return { reason: `no CUDA compiler: NVRTC ${nvrtcReason}, and nvcc is not on PATH` };
}

function describe(info: DeviceInfo, compiler: CudaCompiler): string {
  const v = info.driverVersion;
  return `${info.name} (sm_${info.arch}, ${formatBytes(info.totalMem)}, ${info.smCount} SMs; driver ${Math.floor(v / 1000)}.${(v % 1000) / 10}; ${compiler.id})`;
}

/** Creates a CUDA backend instance. Nothing is loaded until `status()`, `compile()` or `toDevice()`. */
export function createCudaBackend(opts: CudaBackendOptions = {}): CudaBackend {
  const host = opts.host ?? systemHost();
  const env = host.env;
  const scheme = opts.scheme ?? envScheme(env.LAZYTENSOR_CUDA_SCHEME);
  const codegen: CudaCodegenOptions = {
    fastMath: opts.fastMath ?? env.LAZYTENSOR_CUDA_FAST_MATH !== '0',
    gemm: opts.gemm ?? env.LAZYTENSOR_CUDA_GEMM !== '0',
  };
  const cacheDir = opts.cacheDir === undefined ? defaultCacheDir(env) : opts.cacheDir;
  const cache = cacheDir === null ? undefined : new ModuleCache(cacheDir);
  let init: Init | undefined;
  const kernels = new Map<string, CudaKernel>();
  const splits = new WeakMap<CudaKernel, { partial: LoadedFn; merge: LoadedFn }>();

  const initialise = (): Init => {
    if (init) return init;
    try {
      let names = opts.libcuda;
      if (!names) {
        const c = libcudaCandidates(host);
        names = [...c.files, ...c.sonames];
      }
      const d = loadDriver(names);
      if (!d.driver) {
        const tried = d.errors.length > 0 ? ` (tried ${d.errors.slice(0, 3).join('; ')})` : '';
        return (init = {
          ok: false,
          reason: `CUDA driver library libcuda.so.1 not found: is the NVIDIA driver installed?${tried}`,
        });
      }
      const driver = d.driver;
      driver.init();
      const count = driver.deviceCount();
      if (count === 0) return (init = { ok: false, reason: 'the CUDA driver reports no GPU' });
      const ordinal = opts.device ?? Number(env.LAZYTENSOR_CUDA_DEVICE ?? 0);
      if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= count) {
        return (init = { ok: false, reason: `CUDA device ${ordinal} does not exist (${count} device(s))` });
      }
      const info = deviceInfo(driver, ordinal);
      let compiler = opts.compiler;
      if (!compiler) {
        const c = findCompiler(host);
        if (!c.compiler) return (init = { ok: false, reason: `${info.name} found, but ${c.reason}` });
        compiler = c.compiler;
      }
      return (init = { ok: true, rt: { driver, info, compiler }, device: describe(info, compiler) });
    } catch (e) {
      return (init = { ok: false, reason: (e as Error).message });
    }
  };

  const runtime = (): Runtime => {
    const s = initialise();
    if (!s.ok) throw new LazyTensorError(`the CUDA backend is not available: ${s.reason}`);
    return s.rt;
  };

  const context = (): CudaContext => {
    const rt = runtime();
    if (!rt.ctx) rt.ctx = new CudaContext(rt.driver, rt.info);
    return rt.ctx;
  };

  /** Compiles (or fetches from the disk cache) and loads one module; returns its functions. */
  const loadModule = (spec: KernelSpec, source: string, entries: readonly KernelEntry[]): LoadedFn[] => {
    const rt = runtime();
    const ctx = context();
    return ctx.guard(() => {
      ctx.makeCurrent();
      const key = [
        `lazytensor-cuda v${CUDA_CODEGEN_VERSION}`,
        rt.compiler.id,
        `sm_${rt.info.arch}`,
        `spec=${spec.key}`,
        `src=${createHash('sha256').update(source).digest('hex')}`,
      ].join('|');
      let module = null;
      const cached = cache?.get(key);
      if (cached) {
        try {
          module = rt.driver.moduleLoadData(cached.image);
        } catch {
          cache?.remove(key);
        }
      }
      if (module === null) {
        const img = rt.compiler.compile(source, rt.info.arch, entries[0]!.name);
        module = rt.driver.moduleLoadData(img.image);
        cache?.put(key, img);
      }
      return entries.map((entry) => {
        const fn = rt.driver.moduleGetFunction(module, entry.name);
        return { entry, fn, maxThreads: rt.driver.funcGetAttribute(FUNC_ATTR.MAX_THREADS_PER_BLOCK, fn) };
      });
    });
  };

  const kernelHost = (): KernelHost => ({
    ctx: context(),
    scheme,
    splitFns(k: CudaKernel) {
      let s = splits.get(k);
      if (!s) {
        const [partial, merge] = loadModule(k.spec, k.gen.sources.split, [k.gen.partial, k.gen.merge]);
        s = { partial: partial!, merge: merge! };
        splits.set(k, s);
      }
      return s;
    },
  });

  return {
    name: 'cuda',
    priority: 20,
    status(): BackendStatus {
      const s = initialise();
      return s.ok ? { available: true, device: s.device } : { available: false, reason: s.reason };
    },
    compile(spec: KernelSpec): CudaKernel {
      const hit = kernels.get(spec.key);
      if (hit) return hit;
      const gen = generateCuda(spec, codegen);
      const [main] = loadModule(spec, gen.sources.main, [gen.main]);
      const k = new CudaKernel(spec, gen, kernelHost(), main!);
      kernels.set(spec.key, k);
      return k;
    },
    toDevice: (a, shape) => uploadArray(context(), a, shape),
    empty: (dtype, shape) => new DeviceArray(context(), dtype, shape),
    synchronize() {
      const ctx = context();
      ctx.guard(() => ctx.sync());
    },
    memory() {
      const ctx = context();
      return { ...ctx.memInfo(), ...ctx.stats() };
    },
    releaseCachedMemory() {
      context().trim();
    },
    deviceInfo: () => runtime().info,
    source: (spec) => generateCuda(spec, codegen),
  };
}
