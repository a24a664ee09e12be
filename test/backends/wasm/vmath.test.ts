import { describe, expect, it } from 'vitest';
import { Body, encodeModule, T } from '../../../src/backends/wasm/encoder.js';
import { relaxedSimd } from '../../../src/backends/wasm/features.js';
import { vexpF32, vexpF32Code, vexpF64Code, vlogF32 } from '../../../src/backends/wasm/vmath.js';
import { WA, type WasmMemory } from './wasm-api.js';

/** The inlined exp is tested with relaxed SIMD's FMA too where the runtime has it (relaxed.test.ts runs this file so). */
const FMA_MODES = relaxedSimd() ? [false, true] : [false];

/** A module applying vexp (function 0) or vlog (function 1) in place to f32x4 at address p. */
function instance() {
  const apply = (fi: number) => {
    const b = new Body().get(0).get(0).simdMem(0x00, 4).call(fi).simdMem(0x0b, 4);
    return { type: { params: [T.i32], results: [] }, locals: [], body: b, export: fi === 0 ? 'exp' : 'log' };
  };
  const bytes = encodeModule([], [vexpF32(), vlogF32(), apply(0), apply(1)], 1);
  expect(WA.validate(bytes)).toBe(true);
  const ex = new WA.Instance(new WA.Module(bytes), {}).exports as {
    exp: (p: number) => void;
    log: (p: number) => void;
    memory: WasmMemory;
  };
  const mem = new Float32Array(ex.memory.buffer);
  return (fn: 'exp' | 'log', xs: readonly number[]): number[] => {
    mem.set(xs, 0);
    ex[fn](0);
    return Array.from(mem.subarray(0, 4));
  };
}

/** Distance between two float32 values in units in the last place of the exact result. */
function ulpErr(got: number, exact: number): number {
  const f = Math.abs(Math.fround(exact));
  const next = new Float32Array([f]);
  new Int32Array(next.buffer)[0]! += 1;
  const ulp = next[0]! - f;
  return Math.abs(got - exact) / ulp;
}

function worst(
  run: ReturnType<typeof instance>,
  fn: 'exp' | 'log',
  xs: number[],
  exact: (x: number) => number,
) {
  let w = 0;
  for (let k = 0; k < xs.length; k += 4) {
    const chunk = xs.slice(k, k + 4).map(Math.fround);
    const got = run(fn, chunk);
    chunk.forEach((x, l) => {
      const e = exact(x);
      // Results in float32's normal range (subnormals carry fewer bits by nature).
      if (Math.abs(e) >= 1.1754943508222875e-38 && Math.abs(e) <= 3.4028234663852886e38)
        w = Math.max(w, ulpErr(got[l]!, e));
    });
  }
  return w;
}

describe('wasm vector exp and log (f32x4)', () => {
  const run = instance();

  it('exp is within 1 ulp of the exact result over float32 range', () => {
    const xs = Array.from({ length: 40000 }, (_, k) => -87 + (176 * k) / 40000);
    expect(worst(run, 'exp', xs, Math.exp)).toBeLessThan(1);
    const small = Array.from({ length: 4000 }, (_, k) => (k - 2000) * 1e-6);
    expect(worst(run, 'exp', small, Math.exp)).toBeLessThan(1);
  });

  it('exp is right in every lane when lanes mix the one- and two-factor scalings', () => {
    // Each vector holds a subnormal or near-overflow result next to ordinary ones.
    for (let k = 0; k < 400; k++) {
      const lo = Math.fround(-103.9 + (16.5 * k) / 400); // [-103.9, -87.4]: subnormal results
      const hi = Math.fround(87.2 + (1.5 * k) / 400); // [87.2, 88.7]: largest finite results
      const xs = [lo, Math.fround(0.37 - k / 400), hi, Math.fround(-3 + k / 100)];
      const got = run('exp', xs);
      xs.forEach((x, l) => {
        const e = Math.exp(x);
        expect(Math.abs(got[l]! - e), `exp(${x})`).toBeLessThanOrEqual(Math.max(2 ** -149, 2 ** -23 * e));
      });
    }
  });

  it('log is within 1 ulp of the exact result from subnormals to the largest float', () => {
    const xs = Array.from({ length: 40000 }, (_, k) => Math.exp(-103 + (191 * k) / 40000));
    expect(worst(run, 'log', xs, Math.log)).toBeLessThan(1);
    const near1 = Array.from({ length: 4000 }, (_, k) => 1 + (k - 2000) * 1e-5);
    expect(worst(run, 'log', near1, Math.log)).toBeLessThan(1);
  });

  it('follows IEEE special values', () => {
    expect(run('exp', [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, 0])).toEqual([
      0,
      Infinity,
      NaN,
      1,
    ]);
    expect(run('exp', [-200, 200, 89, -104])).toEqual([0, Infinity, Infinity, 0]);
    // Subnormal results: exact up to the subnormal spacing.
    const sub = run('exp', [-100, -95, -90, -88]);
    [-100, -95, -90, -88].forEach((x, l) =>
      expect(Math.abs(sub[l]! - Math.exp(x))).toBeLessThanOrEqual(1.5e-45),
    );
    expect(run('log', [0, -0, -1, Number.NaN])).toEqual([-Infinity, -Infinity, NaN, NaN]);
    expect(
      run('log', [Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, 1.401298464324817e-45]),
    ).toEqual([Infinity, 0, NaN, Math.fround(Math.log(1.401298464324817e-45))]);
  });
});

/** exp(-x) by the inlined f32x4 code with `negate` (the form Gaussian kernels use), at address 0. */
function negExpInstance() {
  const b = new Body().get(0).get(0).simdMem(0x00, 4);
  vexpF32Code(b, [1, 2, 3, 4], { negate: true });
  b.simdMem(0x0b, 4);
  const fn = {
    type: { params: [T.i32], results: [] },
    locals: [T.v128, T.v128, T.v128, T.v128],
    body: b,
    export: 'nexp',
  };
  const bytes = encodeModule([], [fn], 1);
  expect(WA.validate(bytes)).toBe(true);
  const ex = new WA.Instance(new WA.Module(bytes), {}).exports as {
    nexp: (p: number) => void;
    memory: WasmMemory;
  };
  const mem = new Float32Array(ex.memory.buffer);
  return (xs: readonly number[]): number[] => {
    mem.set(xs, 0);
    ex.nexp(0);
    return Array.from(mem.subarray(0, 4));
  };
}

describe('wasm vector exp of a negated argument (f32x4)', () => {
  const nexp = negExpInstance();
  const exp = instance();

  it('is within 1.1 ulp of exp(-x) over float32 range (1.03 at worst on a 2e6-point grid), and bitwise exp applied to -x', () => {
    let w = 0;
    for (let k = 0; k < 44000; k += 4) {
      const xs = [0, 1, 2, 3].map((l) => Math.fround(-88.5 + (192 * (k + l)) / 44000)); // exp(-x) from inf to 0
      const got = nexp(xs);
      expect(got).toEqual(
        exp(
          'exp',
          xs.map((x) => -x),
        ),
      );
      xs.forEach((x, l) => {
        const e = Math.exp(-x);
        if (e >= 1.1754943508222875e-38 && e <= 3.4028234663852886e38) w = Math.max(w, ulpErr(got[l]!, e));
        // Subnormal results: exact up to their spacing; beyond, 0 and +inf.
        else
          expect(Math.abs(got[l]! - e), `exp(-${x})`).toBeLessThanOrEqual(
            e > 1 ? Number.POSITIVE_INFINITY : 1.5e-45,
          );
      });
    }
    expect(w).toBeLessThan(1.1);
  });

  it('underflows to 0, overflows to inf and passes NaN', () => {
    expect(nexp([104, 200, Number.POSITIVE_INFINITY, 3.4e38])).toEqual([0, 0, 0, 0]);
    expect(nexp([-89, -200, Number.NEGATIVE_INFINITY, -3.4e38])).toEqual([
      Infinity,
      Infinity,
      Infinity,
      Infinity,
    ]);
    expect(nexp([Number.NaN, 0, -0, 1])).toEqual([NaN, 1, 1, Math.fround(Math.exp(-1))]);
  });
});

/** exp by the inlined f32x4 code with the given options, applied in place at address 0. */
function inlineExp(negate: boolean, nonPositive: boolean, fma = false) {
  const b = new Body().get(0).get(0).simdMem(0x00, 4);
  vexpF32Code(b, [1, 2, 3, 4], { negate, nonPositive, fma });
  b.simdMem(0x0b, 4);
  const bytes = encodeModule(
    [],
    [
      {
        type: { params: [T.i32], results: [] },
        locals: [T.v128, T.v128, T.v128, T.v128],
        body: b,
        export: 'e',
      },
    ],
    1,
  );
  expect(WA.validate(bytes)).toBe(true);
  const ex = new WA.Instance(new WA.Module(bytes), {}).exports as {
    e: (p: number) => void;
    memory: WasmMemory;
  };
  const mem = new Float32Array(ex.memory.buffer);
  return (xs: readonly number[]): number[] => {
    mem.set(xs, 0);
    ex.e(0);
    return Array.from(mem.subarray(0, 4));
  };
}

describe('wasm vector exp of an argument known to be <= 0 (f32x4)', () => {
  /** float32 values around each multiple of ln(2) / 2 (where n = round(x / ln 2) ties), and a grid. */
  const args = (): number[] => {
    const xs: number[] = [];
    const f = new Float32Array(1);
    const bits = new Int32Array(f.buffer);
    for (let k = 0; k <= 302; k++) {
      f[0] = (k * Math.LN2) / 2;
      const b0 = bits[0]!;
      for (let d = -24; d < 24; d++) {
        bits[0] = b0 + d;
        if (f[0]! >= 0) xs.push(f[0]!);
      }
    }
    for (let k = 0; k < 40000; k++) xs.push(Math.fround((110 * k) / 40000));
    xs.push(0, 103.97, 104, 104.5, 1e30, Number.POSITIVE_INFINITY, Number.NaN);
    return xs;
  };

  for (const [negate, fma] of FMA_MODES.flatMap((fma) => [true, false].map((n) => [n, fma] as const))) {
    it(`gives bitwise the general code's results (${negate ? 'exp(-x), x >= 0' : 'exp(x), x <= 0'}${fma ? ', relaxed SIMD FMA' : ''}), ties of the rounding included`, () => {
      const general = inlineExp(negate, false, fma);
      const cheap = inlineExp(negate, true, fma);
      const xs = args().map((x) => (negate ? x : -x));
      let checked = 0;
      for (let k = 0; k < xs.length; k += 4) {
        const chunk = [0, 1, 2, 3].map((l) => xs[Math.min(k + l, xs.length - 1)]!);
        const want = general(chunk);
        const got = cheap(chunk);
        for (let l = 0; l < 4; l++) {
          if (!Object.is(got[l], want[l]))
            expect(got[l], `exp(${negate ? '-' : ''}${chunk[l]})`).toBe(want[l]);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(50000);
      // And against the exact values: subnormal results to their spacing, NaN passes, -0 gives 1.
      expect(cheap(negate ? [Number.NaN, -0, 100, 90] : [Number.NaN, -0, -100, -90])).toEqual([
        Number.NaN,
        1,
        Math.fround(Math.exp(-100)),
        Math.fround(Math.exp(-90)),
      ]);
    });
  }
});

describe.runIf(relaxedSimd())('wasm vector exp with relaxed SIMD FMA (f32x4)', () => {
  for (const negate of [false, true]) {
    it(`is within 1.1 ulp of ${negate ? 'exp(-x)' : 'exp(x)'} over float32 range (1.02 at worst here, as the negated SIMD128 code), exact to the subnormal spacing below, IEEE special values`, () => {
      const e = inlineExp(negate, false, true);
      const sg = negate ? -1 : 1;
      let w = 0;
      for (let k = 0; k < 48000; k += 4) {
        const xs = [0, 1, 2, 3].map((l) => Math.fround(sg * (-103.9 + (192.6 * (k + l)) / 48000)));
        const got = e(xs);
        xs.forEach((x, l) => {
          const want = Math.exp(sg * x);
          if (want >= 1.1754943508222875e-38 && want <= 3.4028234663852886e38)
            w = Math.max(w, ulpErr(got[l]!, want));
          else
            expect(Math.abs(got[l]! - want), `exp(${sg * x})`).toBeLessThanOrEqual(
              want > 1 ? Infinity : 1.5e-45,
            );
        });
      }
      expect(w).toBeLessThan(1.1);
      const at = (xs: number[]) => e(xs.map((x) => sg * x));
      expect(at([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, 0])).toEqual([
        0,
        Infinity,
        NaN,
        1,
      ]);
      expect(at([-200, 200, 89, -104])).toEqual([0, Infinity, Infinity, 0]);
    });
  }
});

describe('wasm vector exp (f64x2)', () => {
  const b = new Body().get(0).get(0).simdMem(0x00, 4);
  vexpF64Code(b, [1, 2, 3, 4]);
  b.simdMem(0x0b, 4);
  const bytes = encodeModule(
    [],
    [
      {
        type: { params: [T.i32], results: [] },
        locals: [T.v128, T.v128, T.v128, T.v128],
        body: b,
        export: 'exp',
      },
    ],
    1,
  );
  const ex = new WA.Instance(new WA.Module(bytes), {}).exports as {
    exp: (p: number) => void;
    memory: WasmMemory;
  };
  const mem = new Float64Array(ex.memory.buffer);
  const run = (a: number, c: number) => {
    mem[0] = a;
    mem[1] = c;
    ex.exp(0);
    return [mem[0]!, mem[1]!];
  };

  it('is within 2 ulp of the exact result over float64 range', () => {
    expect(WA.validate(bytes)).toBe(true);
    let worst = 0;
    for (let k = 0; k < 20000; k++) {
      const x = -708 + (1417 * k) / 20000 + 1e-3 * Math.sin(k);
      const [got] = run(x, 0);
      const want = Math.exp(x);
      // Math.exp is itself within 1 ulp; the spacing of doubles near the result is the unit.
      const ulp = 2 ** (Math.floor(Math.log2(want)) - 52);
      worst = Math.max(worst, Math.abs(got! - want) / ulp);
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('follows IEEE special values', () => {
    expect(run(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).toEqual([0, Infinity]);
    expect(run(Number.NaN, 0)).toEqual([NaN, 1]);
    expect(run(-800, 710)).toEqual([0, Infinity]);
    const [sub] = run(-740, 0);
    expect(Math.abs(sub! - Math.exp(-740))).toBeLessThanOrEqual(5e-324);
  });
});

describe('vector exp code', () => {
  // The clamp uses the pseudo-min/max (one x64 instruction each), not f32x4/f64x2.min/max
  // (NaN and -0 rules: about seven instructions each in V8); NaN still passes (tests above).
  const opcodes = (code: (b: Body, l: readonly [number, number, number, number]) => void): string => {
    const b = new Body();
    code(b, [0, 1, 2, 3]);
    return Array.from(b.toArray(), (x) => x.toString(16).padStart(2, '0')).join(' ');
  };
  it('drops one clamp and the computed second factor when the argument is known to be <= 0', () => {
    const general = opcodes((b, l) => vexpF32Code(b, l, { negate: true }));
    const cheap = opcodes((b, l) => vexpF32Code(b, l, { negate: true, nonPositive: true }));
    const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;
    expect(count(general, /fd ea 01|fd eb 01/g)).toBe(2);
    expect(count(cheap, /fd ea 01|fd eb 01/g)).toBe(1);
    expect(general).toContain('fd ac 01'); // i32x4.shr_s: the split of 2^n into two factors
    expect(cheap).not.toContain('fd ac 01');
  });

  it('clamps with pmin/pmax in float32 and float64', () => {
    const f32 = opcodes(vexpF32Code);
    expect(f32).toContain('fd ea 01');
    expect(f32).toContain('fd eb 01');
    expect(f32).not.toMatch(/fd e[89] 01/);
    const f64 = opcodes(vexpF64Code);
    expect(f64).toContain('fd f6 01');
    expect(f64).toContain('fd f7 01');
    expect(f64).not.toMatch(/fd f[45] 01/);
  });
});
