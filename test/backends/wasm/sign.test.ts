import { describe, expect, it } from 'vitest';
import { generateWasm } from '../../../src/backends/wasm/codegen.js';
import { encodeModule, T } from '../../../src/backends/wasm/encoder.js';
import { parseStatements } from '../../../src/backends/wasm/lang.js';
import { Lowering } from '../../../src/backends/wasm/lower.js';
import { NonNegative } from '../../../src/backends/wasm/sign.js';
import { vexpF32Code, vexpF64Code } from '../../../src/backends/wasm/vmath.js';
import { op, Var } from '../../../src/formula/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import { WA, type WasmMemory } from './wasm-api.js';

/** The names among `names` that the analysis of `src` finds non-negative, after every declaration. */
function nonNegative(src: string, names: string[]): string[] {
  const ss = parseStatements(src);
  const sign = new NonNegative(ss);
  const visit = (s: (typeof ss)[number]): void => {
    if (s.k === 'decl') sign.declare(s.name, s.init);
    else if (s.k === 'block') s.body.forEach(visit);
    else if (s.k === 'while') visit(s.body);
  };
  ss.forEach(visit);
  return names.filter((n) => sign.test({ k: 'id', name: n }));
}

describe('wasm kernel sign analysis', () => {
  it('finds squares, sums, products and quotients of non-negative values, abs, sqrt and exp', () => {
    const src = `
      val a = x - y;
      val sq = a * a;
      val d2 = (sq + b * b + 2.0 * sq) / 3.0;
      val e = exp(x) + abs(y) * sqrt(x);
      val neg = -sq;
      val diff = sq - d2;
      val mixed = sq * x;
      val c = (-1.0) * sq;`;
    expect(
      nonNegative(`val x = ldf(0); val y = ldf(4); val b = ldf(8); ${src}`, [
        'a',
        'sq',
        'd2',
        'e',
        'neg',
        'diff',
        'mixed',
        'c',
      ]),
    ).toEqual(['sq', 'd2', 'e']);
  });

  it('never trusts a local that is assigned or declared twice (its value may change in a loop)', () => {
    const src = `
      val x = ldf(0);
      val s = x * x;
      val t = x * x;
      while (x < 3.0) {
        val u = s + t;
        s = x;
        val t = x;
      }`;
    expect(nonNegative(src, ['s', 't', 'u'])).toEqual([]);
  });
});

describe('wasm kernels use the cheaper exp where the argument is known to be <= 0', () => {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const g = Var(2, 1, 'p');
  /** i32x4.shr_s in a kernel's module: the split of 2^n into two computed factors in exp code. */
  const shifts = (f: ReturnType<typeof op>, kind: 'Sum' | 'LogSumExp' = 'Sum'): number => {
    const { spec } = buildSpec({ formula: f, kind, axis: 'j', dtype: 'float32' });
    const bytes = Array.from(generateWasm(spec).bytes, (v) => v.toString(16).padStart(2, '0')).join(' ');
    return bytes.split('fd ac 01').length - 1;
  };
  // The module's own exp function (for lane-by-lane fallbacks) has one; inlined exps add theirs.
  const splits = (f: ReturnType<typeof op>): boolean => shifts(f) > shifts(op('SqDist', [x, y]));

  it('exp(-|x - y|^2) and exp(-|x - y|^2 / 2) take it; exp(|x - y|^2) and exp(-g |x - y|^2) do not', () => {
    const d2 = op('SqDist', [x, y]);
    expect(splits(op('Exp', [op('Minus', [d2])]))).toBe(false);
    expect(splits(op('Exp', [op('Minus', [op('Divide', [d2, op('IntCst', [], [2])])])]))).toBe(false);
    expect(splits(op('Exp', [d2]))).toBe(true);
    expect(splits(op('Exp', [op('Minus', [op('Mult', [g, d2])])]))).toBe(true);
  });

  it('log-sum-exp kernels take it for their rescaling exps (expn: arguments <= 0 by construction)', () => {
    const f = op('Minus', [op('Mult', [g, op('SqDist', [x, y])])]);
    const { spec } = buildSpec({ formula: f, kind: 'LogSumExp', axis: 'j', dtype: 'float32' });
    const text = generateWasm(spec).text;
    const loop = text.slice(text.indexOf('while (j + 4 <= j1)'), text.indexOf('while (j < j1)'));
    expect(loop).toContain('expn(vm - vn)');
    expect(loop).toContain('expn(vf - vm)');
    expect(loop).not.toMatch(/[^n]exp\(/);
  });

  it('expn lowers to the cheaper exp, with the same results for arguments <= 0', () => {
    const module = (fn: string) => {
      const low = new Lowering(
        { compute: 'f32', acc: 'f32', helpers: { vexpInline: { f32: vexpF32Code, f64: vexpF64Code } } },
        [{ name: 'p', ty: 'i32' }],
      );
      low.stmts(parseStatements(`stv(p, ${fn}(ldv(p)));`));
      return encodeModule(
        [],
        [{ type: { params: [T.i32], results: [] }, locals: low.locals, body: low.code(), export: 'f' }],
        1,
      );
    };
    const run = (bytes: Uint8Array, xs: number[]) => {
      const ex = new WA.Instance(new WA.Module(bytes), {}).exports as {
        f: (p: number) => void;
        memory: WasmMemory;
      };
      const mem = new Float32Array(ex.memory.buffer, 0, 4);
      mem.set(xs);
      ex.f(0);
      return Array.from(mem);
    };
    const hexOf = (bytes: Uint8Array) => Array.from(bytes, (v) => v.toString(16).padStart(2, '0')).join(' ');
    expect(hexOf(module('exp'))).toContain('fd ac 01');
    expect(hexOf(module('expn'))).not.toContain('fd ac 01');
    for (let k = 0; k < 200; k++) {
      const xs = [0, 1, 2, 3].map((l) => Math.fround(-((k * 4 + l) * 0.131)));
      expect(run(module('expn'), xs)).toEqual(run(module('exp'), xs));
    }
    expect(run(module('expn'), [Number.NEGATIVE_INFINITY, Number.NaN, -0, -200])).toEqual([
      0,
      Number.NaN,
      1,
      0,
    ]);
  });
});
