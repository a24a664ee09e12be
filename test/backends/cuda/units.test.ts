import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, defaultCacheDir, encode, ModuleCache } from '../../../src/backends/cuda/cache.js';
import { generateCuda } from '../../../src/backends/cuda/codegen.js';
import { cudaDialect } from '../../../src/backends/cuda/dialect.js';
import {
  CudaError,
  formatBytes,
  formatCudaError,
  formatNvrtcError,
  formatOutOfMemory,
} from '../../../src/backends/cuda/errors.js';
import { createCudaBackend } from '../../../src/backends/cuda/index.js';
import { slotLayout } from '../../../src/backends/cuda/layout.js';
import { NvccCompiler, nvccVersion } from '../../../src/backends/cuda/nvcc.js';
import { blockSize, buildSegments, forcedSplit, splitPlan } from '../../../src/backends/cuda/plan.js';
import { LazyTensorError } from '../../../src/errors.js';
import { op, Var } from '../../../src/formula/index.js';
import { planPasses } from '../../../src/kernel/passes/split.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import { findNvcc } from './helpers/nvcc.js';

describe('CUDA error messages', () => {
  it('name the call, the CUresult name and code, and the description', () => {
    expect(formatCudaError('cuMemcpyHtoD_v2', 1, 'CUDA_ERROR_INVALID_VALUE', 'invalid argument')).toBe(
      'cuMemcpyHtoD_v2 failed: CUDA_ERROR_INVALID_VALUE (1): invalid argument',
    );
    // Without the driver's own name, the built-in table names the code.
    expect(formatCudaError('cuInit', 100)).toBe('cuInit failed: CUDA_ERROR_NO_DEVICE (100)');
    expect(formatCudaError('cuInit', 12345)).toBe('cuInit failed: CUDA_ERROR_UNRECOGNIZED (12345)');
  });

  it('say when the context is lost, and when the libcuda is the toolkit stub', () => {
    expect(formatCudaError('cuStreamSynchronize', 700)).toMatch(
      /CUDA_ERROR_ILLEGAL_ADDRESS \(700\).*unusable.*restart/,
    );
    expect(formatCudaError('cuInit', 34)).toMatch(
      /CUDA_ERROR_STUB_LIBRARY \(34\).*install the NVIDIA driver/,
    );
    expect(new CudaError('x', 700, 'CUDA_ERROR_ILLEGAL_ADDRESS').sticky).toBe(true);
    expect(new CudaError('x', 2, 'CUDA_ERROR_OUT_OF_MEMORY').sticky).toBe(false);
    expect(new CudaError('x', 2, 'CUDA_ERROR_OUT_OF_MEMORY')).toBeInstanceOf(LazyTensorError);
  });

  it('out of memory gives what was asked for and what is free', () => {
    expect(formatOutOfMemory(3 * 2 ** 30, 512 * 2 ** 20, 80 * 2 ** 30)).toBe(
      'CUDA out of memory (CUDA_ERROR_OUT_OF_MEMORY): asked for 3.00 GiB (3221225472 bytes), 512.0 MiB free of 80.0 GiB on the device',
    );
    expect(formatOutOfMemory(100)).toMatch(/asked for 100 B \(100 bytes\), free memory unknown/);
  });

  it('NVRTC failures carry the compile log', () => {
    const log = 'kernel.cu(3): error: identifier "q" is undefined\n1 error detected\n';
    expect(formatNvrtcError('nvrtcCompileProgram', 6, 'NVRTC_ERROR_COMPILATION', log)).toBe(
      'NVRTC nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION (6)\ncompile log:\nkernel.cu(3): error: identifier "q" is undefined\n1 error detected',
    );
    expect(formatNvrtcError('nvrtcCreateProgram', 5, undefined, '')).toBe(
      'NVRTC nvrtcCreateProgram failed: NVRTC_ERROR_INVALID_OPTION (5)',
    );
  });

  it('formats byte counts', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(80 * 2 ** 30)).toBe('80.0 GiB');
  });
});

describe('module cache', () => {
  it('round-trips an image and rejects other keys, truncation and foreign files', () => {
    const img = { image: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), kind: 'cubin' as const };
    const buf = encode('key-a', img);
    expect(decode(buf, 'key-a')).toEqual(img);
    expect(decode(buf, 'key-b')).toBeUndefined();
    expect(decode(buf.subarray(0, buf.length - 1), 'key-a')).toBeUndefined();
    expect(decode(Buffer.from('hello world, not a module'), 'key-a')).toBeUndefined();
    expect(decode(encode('k', { image: new Uint8Array([1]), kind: 'ptx' }), 'k')!.kind).toBe('ptx');
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 40]! ^= 1; // one bit of the image body
    expect(decode(flipped, 'key-a')).toBeUndefined();
  });

  it('writes atomically (no temporary file left) and reads back from a new instance', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazytensor-cache-unit-'));
    try {
      const img = { image: new Uint8Array(1000).fill(7), kind: 'cubin' as const };
      new ModuleCache(path.join(dir, 'nested')).put('k1', img);
      expect(fs.readdirSync(path.join(dir, 'nested')).filter((f) => f.includes('.tmp'))).toEqual([]);
      expect(new ModuleCache(path.join(dir, 'nested')).get('k1')).toEqual(img);
      expect(new ModuleCache(path.join(dir, 'nested')).get('k2')).toBeUndefined();
      new ModuleCache(path.join(dir, 'nested')).remove('k1');
      expect(new ModuleCache(path.join(dir, 'nested')).get('k1')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never fails a kernel on I/O errors', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lazytensor-cache-unit-')), 'a-file');
    fs.writeFileSync(file, 'x');
    const c = new ModuleCache(path.join(file, 'sub')); // a folder inside a file: every write fails
    expect(() => c.put('k', { image: new Uint8Array(1), kind: 'cubin' })).not.toThrow();
    expect(c.get('k')).toBeUndefined();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('lives under LAZYTENSOR_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ LAZYTENSOR_CACHE_DIR: '/c' })).toBe(path.join('/c', 'cuda'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(path.join('/x', 'lazytensor', 'cuda'));
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'lazytensor', 'cuda'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(
      path.join(os.homedir(), '.cache', 'lazytensor', 'cuda'),
    );
  });
});

describe('launch planning', () => {
  it('block size: bounded by the function, by 256, by the shared tile; whole warps', () => {
    expect(blockSize(1024, 12, 49152)).toBe(256);
    expect(blockSize(200, 12, 49152)).toBe(192);
    expect(blockSize(1024, 1200, 49152)).toBe(32);
    expect(blockSize(1024, 0, 49152)).toBe(256);
    expect(blockSize(20, 0, 49152)).toBe(20);
  });

  it('segments cut row blocks into CUDA blocks and fill gaps with the identity', () => {
    const seg = buildSegments(
      {
        rowRanges: Int32Array.from([10, 20, 0, 5, 18, 40]),
        slices: Int32Array.from([1, 2, 3]),
        colRanges: new Int32Array(6),
      },
      50,
      8,
    );
    // Blocks sorted by first row: [0,5)->1, gap [5,10), [10,20)->0 in pieces of 8, [20,40)->2 (clipped), gap [40,50).
    expect(Array.from(seg)).toEqual([
      0, 5, 1, 5, 10, -1, 10, 18, 0, 18, 20, 0, 20, 28, 2, 28, 36, 2, 36, 40, 2, 40, 48, -1, 48, 50, -1,
    ]);
  });

  it('splits columns only for few rows and many columns', () => {
    expect(splitPlan(1_000_000, 1_000_000, 256, 132)).toBeUndefined();
    expect(splitPlan(100, 10, 256, 132)).toBeUndefined();
    const s = splitPlan(1000, 1_000_000, 256, 132)!;
    expect(s.nSplit).toBeGreaterThan(10);
    expect(s.chunk % 256).toBe(0);
    expect(s.nSplit * s.chunk).toBeGreaterThanOrEqual(1_000_000);
    expect(forcedSplit(150, 64, 3)).toEqual({ nSplit: 3, chunk: 64 });
  });
});

describe('CUDA codegen decisions', () => {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  it('prints float32 literals with f and infinities with INFINITY', () => {
    const d32 = cudaDialect('float32');
    const d64 = cudaDialect('float64', { accumulator: 'float64' });
    expect(d32.lit(0.5)).toBe('0.5f');
    expect(d32.lit(-2)).toBe('(-2.0f)');
    expect(d32.lit(Number.NEGATIVE_INFINITY)).toBe('(-INFINITY)');
    expect(d64.lit(Number.POSITIVE_INFINITY)).toBe('((double)INFINITY)');
    expect(d32.call('exp', ['a'])).toBe('expf(a)');
    expect(cudaDialect('float32', { fastMath: true }).call('exp', ['a'])).toBe('__expf(a)');
    expect(d64.call('abs', ['a'])).toBe('fabs(a)');
    expect(d32.declAcc('s', '0.0f')).toBe('float s = 0.0f;');
    expect(cudaDialect('float32', { accumulator: 'float64' }).declAcc('s', '0')).toBe('double s = 0;');
  });

  it('keeps small i-variables in registers, stages j-variables in shared memory, large ones global', () => {
    const { spec } = buildSpec({
      formula: op('Mult', [op('SqDist', [x, y]), Var(2, 300, 'j')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float32',
    });
    const l = slotLayout(spec);
    expect(l.modes).toEqual(['reg', 'shared', 'global']);
    expect(l.tileRowBytes).toBe(12);
  });

  it('loops over the components of large-D vector reductions and reads those variables from memory', () => {
    const { spec } = buildSpec({
      formula: op('SqDist', [Var(0, 300, 'i'), Var(1, 300, 'j')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float64',
    });
    // Untiled (this site takes the tiled path by default: test/backends/cuda/gemm.test.ts).
    const g = generateCuda(spec, { gemm: false });
    expect(g.sources.main).toMatch(/#pragma unroll 1\n\s*for \(int kc_\d+ = 0; kc_\d+ < 296; kc_\d+ \+= 8\)/);
    expect(g.layout.modes).toEqual(['global', 'global']);
  });

  it('splits wide outputs into a run-time loop of passes', () => {
    const { spec } = buildSpec({
      formula: op('Mult', [op('SqDist', [x, y]), Var(2, 300, 'j')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float32',
    });
    const plan = planPasses(spec)!;
    expect(plan.chunk).toBe(64);
    const g = generateCuda(spec);
    expect(g.passes).toBe(5);
    expect(g.sources.main).toMatch(/for \(int c0 = 0; c0 < 300; c0 \+= 60\)/);
    expect(
      planPasses(buildSpec({ formula: op('SqDist', [x, y]), kind: 'Sum', axis: 'j', dtype: 'float32' }).spec),
    ).toBeUndefined();
  });

  it('generates only IR-derived identifiers: no user text reaches the source', () => {
    const { spec } = buildSpec({
      formula: op('Exp', [op('Minus', [op('SqDist', [x, y])])]),
      kind: 'LogSumExp',
      axis: 'j',
      dtype: 'float32',
    });
    const src = generateCuda(spec).sources.main;
    const idents = new Set(src.match(/\b[A-Za-z_][A-Za-z0-9_]*/g));
    for (const id of idents) {
      expect(id).toMatch(
        /^(lt_\w+|in\d+|out|outIdx|nI|nJ|seg|slices|colRanges|x\d+_\d+|xr\d+|yr\d+|yt|tile|[a-z]\d*_\d+|[a-z]+\d*_[fi]\d+|v_\d+|sc_\d+|ck_\d+|kc_\d+|i|j|jb|je|jt|jl|t|nt|ne|e|r|r0|r1|rb|sb|rowEnd|active|extern|__shared__|__align__|unsigned|char|float|double|int|const|bool|size_t|__restrict__|reinterpret_cast|if|else|for|return|threadIdx|blockIdx|blockDim|x|y|__syncthreads|expf|logf|INFINITY|ifndef|define|endif|LT_PRELUDE|__int_as_float|__global__|void|C|lazytensor|CUDA|module|codegen|v\d+|LogSumExp|float32|0x7f800000)$/,
      );
    }
  });
});

describe('CUDA backend without a GPU', () => {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  it('status() says why CUDA is unavailable instead of throwing', () => {
    const be = createCudaBackend({ libcuda: ['/nonexistent/libcuda.so.1'] });
    const st = be.status();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(
      /CUDA driver library libcuda\.so\.1 not found: is the NVIDIA driver installed\? \(tried \/nonexistent/,
    );
    expect(() => be.toDevice(new Float32Array(2))).toThrow(/the CUDA backend is not available/);
  });

  it('the source of a spec can be generated without any GPU or library', () => {
    const be = createCudaBackend({ libcuda: [] });
    const { spec } = buildSpec({
      formula: op('SqDist', [x, y]),
      kind: 'ArgKMin',
      k: 3,
      axis: 'j',
      dtype: 'float32',
    });
    expect(be.source(spec).sources.main).toContain('extern "C" __global__ void lt_main(');
  });
});

describe.skipIf(!findNvcc())(
  `nvcc fallback compiler${findNvcc() ? '' : ' (SKIPPED: nvcc not found)'}`,
  () => {
    it('compiles a module to an sm_90 CUBIN, and reports compile errors with the log', () => {
      const nvcc = findNvcc()!;
      const c = new NvccCompiler(nvcc, nvccVersion(nvcc)!);
      expect(c.id).toMatch(/^nvcc \d+\.\d+$/);
      const { spec } = buildSpec({
        formula: op('SqDist', [Var(0, 3, 'i'), Var(1, 3, 'j')]),
        kind: 'Sum',
        axis: 'j',
        dtype: 'float32',
      });
      const img = c.compile(generateCuda(spec).sources.main, 90);
      expect(img.kind).toBe('cubin');
      expect(Array.from(img.image.subarray(0, 4))).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      expect(() => c.compile('extern "C" __global__ void k() { nope_q = 1; }', 90)).toThrow(
        /nvcc -cubin -arch=sm_90 failed[\s\S]*nope_q/,
      );
    }, 120_000);
  },
);
