import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wasmBackend } from '../../../src/backends/wasm/backend.js';
import { generateWasm } from '../../../src/backends/wasm/codegen.js';
import { Body, encodeModule, T } from '../../../src/backends/wasm/encoder.js';
import { relaxedSimd, setRelaxedSimd } from '../../../src/backends/wasm/features.js';
import { parseStatements } from '../../../src/backends/wasm/lang.js';
import { Lowering } from '../../../src/backends/wasm/lower.js';
import { vexpF32Code, vexpF64Code } from '../../../src/backends/wasm/vmath.js';
import { op, Var } from '../../../src/formula/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';

afterEach(() => setRelaxedSimd(undefined));

const hex = (bytes: Uint8Array) => Array.from(bytes, (v) => v.toString(16).padStart(2, '0')).join(' ');
const count = (bytes: Uint8Array, seq: string) => hex(bytes).split(seq).length - 1;
const MADD = 'fd 85 02'; // f32x4.relaxed_madd
const NMADD = 'fd 86 02'; // f32x4.relaxed_nmadd

function lower(src: string, fma: boolean): Uint8Array {
  const low = new Lowering(
    { compute: 'f32', acc: 'f32', helpers: { vexpInline: { f32: vexpF32Code, f64: vexpF64Code } }, fma },
    [{ name: 'p', ty: 'i32' }],
  );
  low.stmts(parseStatements(src));
  return encodeModule(
    [],
    [{ type: { params: [T.i32], results: [] }, locals: low.locals, body: low.code(), export: 'f' }],
    1,
  );
}

describe('wasm relaxed SIMD (fused multiply-add)', () => {
  it('fuses vector a * b + c and c - a * b, through a local declared as a product, only when asked', () => {
    const src = `
      vec a = ldv(p);
      vec b = ldv(p + 16);
      vec c = ldv(p + 32);
      val ab = a * b;
      vec s = c + ab;
      vec t = c - a * b;
      vec u = a * b + c;
      vec w = a * a + b * b + c * c;
      stv(p, s + t + u + w);`;
    const fused = lower(src, true);
    expect(count(fused, MADD)).toBe(4); // s, u, and two in w
    expect(count(fused, NMADD)).toBe(1); // t
    const plain = lower(src, false);
    expect(count(plain, MADD) + count(plain, NMADD)).toBe(0);
    expect(new Body().simd(0x105).toArray()).toEqual(Uint8Array.from([0xfd, 0x85, 0x02]));
  });

  it('the backend status says whether kernels use relaxed SIMD', () => {
    setRelaxedSimd(true);
    expect(wasmBackend.status().device).toMatch(/^WebAssembly SIMD128 with relaxed SIMD \(FMA\), /);
    setRelaxedSimd(false);
    expect(wasmBackend.status().device).toMatch(/^WebAssembly SIMD128, /);
  });

  it('kernels use it when the runtime validates relaxed SIMD, SIMD128 only otherwise', () => {
    const x = Var(0, 3, 'i');
    const y = Var(1, 3, 'j');
    const b = Var(2, 1, 'j');
    const f = op('Mult', [op('Exp', [op('Minus', [op('SqDist', [x, y])])]), b]);
    const { spec } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' });
    setRelaxedSimd(true);
    expect(count(generateWasm(spec).bytes, MADD)).toBeGreaterThan(4);
    setRelaxedSimd(false);
    const plain = generateWasm(spec).bytes;
    expect(count(plain, MADD) + count(plain, NMADD)).toBe(0);
  });

  // Where this runtime has no relaxed SIMD by default (Node 20), the exp and kernel tests run
  // again in a Node started with it (their FMA cases run where relaxedSimd() is true).
  it.skipIf(relaxedSimd())(
    'exp and every kernel pass their tests with relaxed SIMD (a child Node with --experimental-wasm-relaxed-simd)',
    (ctx) => {
      const flag = '--experimental-wasm-relaxed-simd';
      const probe = spawnSync(process.execPath, [flag, '-e', 'process.exit(0)']);
      if (probe.status !== 0) ctx.skip(); // this Node has neither relaxed SIMD by default nor the flag
      const vitest = path.join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs');
      expect(existsSync(vitest)).toBe(true);
      const files = ['vmath', 'kernels'].map((f) => `test/backends/wasm/${f}.test.ts`);
      // Worker threads share the V8 flags of the process (forked workers would not).
      const run = spawnSync(
        process.execPath,
        [flag, vitest, 'run', '--pool=threads', '--reporter=verbose', ...files],
        {
          encoding: 'utf8',
          env: { ...process.env, LAZYTENSOR_TEST_BACKENDS: '' },
        },
      );
      const out = `${run.stdout}${run.stderr}`;
      expect(out, out.slice(-3000)).toMatch(/is within 1\.1 ulp of exp\(-x\) over float32 range \(1\.02/);
      expect(out).toMatch(/relaxed SIMD FMA\), ties of the rounding included/);
      expect(run.status, out.slice(-3000)).toBe(0);
    },
    300_000,
  );
});
