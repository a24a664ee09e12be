import { describe, expect, it } from 'vitest';
import { Body, Bytes, encodeModule, T } from '../../../src/backends/wasm/encoder.js';
import { parseStatements } from '../../../src/backends/wasm/lang.js';
import { Lowering } from '../../../src/backends/wasm/lower.js';
import { vexpF32Code, vexpF64Code } from '../../../src/backends/wasm/vmath.js';
import { WA, type WasmMemory } from './wasm-api.js';

const bytesOf = (f: (b: Bytes) => void) => {
  const b = new Bytes();
  f(b);
  return Array.from(b.toArray());
};

describe('wasm binary encoder', () => {
  it('writes LEB128 as the specification defines it', () => {
    expect(bytesOf((b) => b.u32(0))).toEqual([0]);
    expect(bytesOf((b) => b.u32(127))).toEqual([0x7f]);
    expect(bytesOf((b) => b.u32(128))).toEqual([0x80, 0x01]);
    expect(bytesOf((b) => b.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytesOf((b) => b.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytesOf((b) => b.s32(-1))).toEqual([0x7f]);
    expect(bytesOf((b) => b.s32(63))).toEqual([0x3f]);
    expect(bytesOf((b) => b.s32(64))).toEqual([0xc0, 0x00]);
    expect(bytesOf((b) => b.s32(-64))).toEqual([0x40]);
    expect(bytesOf((b) => b.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(bytesOf((b) => b.s32(-2147483648))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('assembles a module that validates and computes (scalar and SIMD128)', () => {
    // add(a, b) = a + b (i32); dot4(p) = sum of lanes of f32x4 load(p) * load(p + 16).
    const add = new Body().get(0).get(1).op(0x6a);
    const dot = new Body();
    dot.get(0).simdMem(0x00, 4).get(0).simdMem(0x00, 4, 16).simd(0xe6).set(1);
    for (let l = 0; l < 4; l++) {
      dot.get(1).simd(0x1f).byte(l);
      if (l > 0) dot.op(0x92);
    }
    const bytes = encodeModule(
      [{ module: 'm', name: 'sq', type: { params: [T.f64], results: [T.f64] } }],
      [
        { type: { params: [T.i32, T.i32], results: [T.i32] }, locals: [], body: add, export: 'add' },
        { type: { params: [T.i32], results: [T.f32] }, locals: [T.v128], body: dot, export: 'dot4' },
        // sq3 = imported sq(3)
        {
          type: { params: [], results: [T.f64] },
          locals: [],
          body: new Body().f64c(3).call(0),
          export: 'sq3',
        },
      ],
      1,
    );
    expect(WA.validate(bytes)).toBe(true);
    const inst = new WA.Instance(new WA.Module(bytes), { m: { sq: (x: number) => x * x } });
    const ex = inst.exports as Record<string, (...a: number[]) => number> & { memory: WasmMemory };
    expect(ex.add!(40, -2)).toBe(38);
    new Float32Array(ex.memory.buffer, 0, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ex.dot4!(0)).toBe(5 + 12 + 21 + 32);
    expect(ex.sq3!()).toBe(9);
  });

  it('lowers the kernel language with C promotions, selects and loops', () => {
    // f(n) = sum_{k<n} sel(k < 3, k, 0.5) in float32 with a float64 accumulator
    const low = new Lowering({ compute: 'f32', acc: 'f64', helpers: {} }, [{ name: 'n', ty: 'i32' }]);
    low.stmts(
      parseStatements(`
      acc s = 0.0;
      int k = 0;
      while (k < n) { s += sel(k < 3 && !(k == 7), k, 0.5); k = k + 1; }
      stf(0, s * 2.0);
    `),
    );
    const imports = ['exp', 'log', 'sin', 'cos', 'asin', 'acos', 'atan', 'atan2', 'pow', 'round', 'fmod'].map(
      (name) => ({
        module: 'm',
        name,
        type: {
          params: ['atan2', 'pow', 'fmod'].includes(name) ? [T.f64, T.f64] : [T.f64],
          results: [T.f64],
        },
      }),
    );
    const bytes = encodeModule(
      imports,
      [{ type: { params: [T.i32], results: [] }, locals: low.locals, body: low.code(), export: 'f' }],
      1,
    );
    expect(WA.validate(bytes)).toBe(true);
    const m = Object.fromEntries(imports.map((i) => [i.name, Math.max]));
    const inst = new WA.Instance(new WA.Module(bytes), { m });
    const ex = inst.exports as { f: (n: number) => void; memory: WasmMemory };
    ex.f(10);
    expect(new Float32Array(ex.memory.buffer, 0, 1)[0]).toBe(2 * (0 + 1 + 2 + 7 * 0.5));
  });
});

/** A module with one exported function f(p) (the lowered statements) and a memory; validated. */
function instantiate(low: Lowering): { f: (p: number) => void; memory: WasmMemory } {
  const bytes = encodeModule(
    [],
    [{ type: { params: [T.i32], results: [] }, locals: low.locals, body: low.code(), export: 'f' }],
    1,
  );
  expect(WA.validate(bytes)).toBe(true);
  return new WA.Instance(new WA.Module(bytes), {}).exports as { f: (p: number) => void; memory: WasmMemory };
}

describe('wasm lowering of ldsv (a value splat from memory)', () => {
  for (const compute of ['f32', 'f64'] as const) {
    it(`fills every ${compute} lane with the value at the address`, () => {
      const low = new Lowering({ compute, acc: compute, helpers: {} }, [{ name: 'p', ty: 'i32' }]);
      low.stmts(parseStatements('stv(p + 32, ldsv(p + 8) * ldv(p + 16));'));
      const ex = instantiate(low);
      const F = compute === 'f32' ? Float32Array : Float64Array;
      const mem = new F(ex.memory.buffer, 0, 96 / F.BYTES_PER_ELEMENT);
      const B = F.BYTES_PER_ELEMENT;
      mem[8 / B] = 3;
      const lanes = 16 / B;
      for (let l = 0; l < lanes; l++) mem[16 / B + l] = l + 1;
      ex.f(0);
      expect(Array.from(mem.subarray(32 / B, 32 / B + lanes))).toEqual(
        Array.from({ length: lanes }, (_, l) => 3 * (l + 1)),
      );
    });
  }
});

describe('wasm lowering of exp(-x)', () => {
  /** f(p): float32 statements over memory at p, with the inlined vector exp (no imports). */
  function run(src: string, x: number): Float32Array {
    const low = new Lowering(
      { compute: 'f32', acc: 'f32', helpers: { vexpInline: { f32: vexpF32Code, f64: vexpF64Code } } },
      [{ name: 'p', ty: 'i32' }],
    );
    low.stmts(parseStatements(src));
    const ex = instantiate(low);
    const mem = new Float32Array(ex.memory.buffer, 0, 8);
    mem[0] = x;
    ex.f(0);
    return mem.slice();
  }

  it('folds a negation declared earlier, and not once its operand has changed', () => {
    const got = run(
      `
      val a = ldf(p);
      val n = -a;
      val e = exp(n);
      stf(p + 4, e);
      a = a + 1.0;
      val f = exp(n);
      stf(p + 8, f);
      val m = -a;
      n = a;
      val g = exp(n);
      stf(p + 12, g);
      stf(p + 16, exp(m));
    `,
      0.75,
    );
    const near = (v: number, want: number) => expect(Math.abs(v - want)).toBeLessThan(2e-7 * want);
    near(got[1]!, Math.exp(-0.75)); // exp(n), n = -a
    near(got[2]!, Math.exp(-0.75)); // n keeps its value when a changes
    near(got[3]!, Math.exp(1.75)); // n reassigned: no longer a negation
    near(got[4]!, Math.exp(-1.75));
  });
});

describe('wasm lowering keeps v128 constants out of loops', () => {
  /** Splits code into its leading `v128.const c; local.set l` pairs (keys of c) and the rest. */
  function prologue(code: Uint8Array): { consts: string[]; rest: Uint8Array } {
    const consts: string[] = [];
    let at = 0;
    while (code[at] === 0xfd && code[at + 1] === 0x0c && code[at + 18] === 0x21) {
      consts.push(code.subarray(at + 2, at + 18).join(','));
      at += 19;
      while (code[at]! & 0x80) at++; // the local's LEB128 index
      at++;
    }
    return { consts, rest: code.subarray(at) };
  }
  const splat = (v: number) => new Uint8Array(new Float32Array(4).fill(v).buffer).join(',');
  const contains = (hay: Uint8Array, needle: string) =>
    Array.from(hay).join(',').includes(`253,12,${needle}`);

  it('sets each constant once before the code, and the loop reads it from its local', () => {
    const low = new Lowering(
      { compute: 'f32', acc: 'f32', helpers: { vexpInline: { f32: vexpF32Code, f64: vexpF64Code } } },
      [{ name: 'p', ty: 'i32' }],
    );
    // Two exps in the loop and a vector literal: every constant would be written in the loop twice.
    low.stmts(
      parseStatements(`
      int k = 0;
      while (k < 3) {
        vec v = ldv(p + k * 16);
        stv(p + 64 + k * 16, exp(v) * 2.5 + exp(v * 0.5));
        k = k + 1;
      }
    `),
    );
    const code = low.code().toArray();
    const { consts, rest } = prologue(code);
    expect(consts).toContain(splat(Math.LOG2E)); // the exp's range reduction
    expect(consts).toContain(splat(2.5));
    expect(new Set(consts).size).toBe(consts.length);
    for (const c of consts) expect(contains(rest, c)).toBe(false);
    // Same results as exp in float64 (within float32 accuracy).
    const ex = instantiate(low);
    const mem = new Float32Array(ex.memory.buffer, 0, 28);
    const xs = [-3, -1.5, -0.25, 0, 0.5, 1, 2, 4, -20, 10, 0.125, -0.125];
    mem.set(xs);
    ex.f(0);
    xs.forEach((x, l) => {
      const want = 2.5 * Math.exp(x) + Math.exp(x * 0.5);
      expect(Math.abs(mem[16 + l]! - want)).toBeLessThanOrEqual(4e-7 * want);
    });
  });
});
