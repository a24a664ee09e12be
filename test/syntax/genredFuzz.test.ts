import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genred, LazyTensorError } from '../../src/index.js';
import { keopsNames, signatureOf } from '../../src/syntax/signatures.js';

/**
 * Random nestings of every KeOps operation name (with random integer and tuple arguments, so
 * many are ill-typed), through genred and a run on the js backend: each gives a result of the
 * declared shape or a LazyTensorError, never another exception from lowering, code generation
 * or the kernel.
 */
/** The required arguments of every KeOps operation, from the parser's own table, plus Grad. */
const SIGNATURES: Record<string, string> = {
  ...Object.fromEntries(
    keopsNames().map((name) => {
      const sig = signatureOf(name)!;
      return [name, sig.kinds.slice(0, sig.required).join('')];
    }),
  ),
  Grad: 'ff',
};
const NAMES = Object.keys(SIGNATURES);
const LEAVES = ['x', 'y', 's', 't', 'g', '2', '0.5', '-1', 'IntCst(3)', 'Zero(2)'];
const INFIX = ['+', '-', '*', '/', '|', '^'];

/** A formula from a list of random numbers (consumed from the end), at most `depth` deep. */
function build(code: number[], depth: number): string {
  const c = code.pop() ?? 0;
  if (depth === 0 || c % 5 === 0) return LEAVES[c % LEAVES.length]!;
  const name = NAMES[c % NAMES.length]!;
  const args = [...SIGNATURES[name]!].map((kind) => {
    if (kind === 'f') return build(code, depth - 1);
    const r = code.pop() ?? 0;
    return kind === 'i' ? String((r % 5) - 1) : `(${(r % 4) + 1})`;
  });
  if (name === 'Grad') return `Grad(${args[0]},x,${args[1]})`;
  if (c % 13 === 1) return `(${args[0]}) ${INFIX[c % INFIX.length]} (${args[1] ?? 'x'})`;
  return `${name}(${args.join(',')})`;
}

const ALIASES = ['x = Vi(3)', 'y = Vj(3)', 's = Vi(1)', 't = Vj(1)', 'g = Pm(1)'];
const N = 4;
const M = 3;
const X = { data: Float64Array.from({ length: 3 * N }, (_, k) => Math.sin(k)), shape: [N, 3] };
const Y = { data: Float64Array.from({ length: 3 * M }, (_, k) => Math.cos(k)), shape: [M, 3] };
const S = { data: Float64Array.of(0.1, 0.2, 0.3, 0.4), shape: [N, 1] };
const T = { data: Float64Array.of(1, 2, 3), shape: [M, 1] };

describe('random formulas through genred', () => {
  it('give a result with one row per kept index, or a LazyTensorError', () => {
    let results = 0;
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 10, maxLength: 40 }),
        fc.constantFrom('Sum', 'LogSumExp', 'Min', 'ArgMin', 'KMin', 'SumSoftMaxWeight', 'Max_ArgMax'),
        fc.constantFrom(0, 1),
        (code, kind, axis) => {
          const formula = build([...code], 4);
          const opts = {
            axis,
            backend: 'js',
            ...(kind === 'KMin' ? { K: 2 } : {}),
            ...(kind === 'SumSoftMaxWeight' ? { formula2: 'y' } : {}),
          };
          let out: unknown;
          try {
            out = genred(formula, ALIASES, kind as 'Sum', opts)(X, Y, S, T, 0.7);
          } catch (e) {
            if (e instanceof LazyTensorError) return;
            throw e;
          }
          results++;
          const values = (out as { values?: { shape: number[] } }).values ?? (out as { shape: number[] });
          expect(values.shape[0]).toBe(axis === 1 ? N : M);
        },
      ),
      { numRuns: 400, seed: 2026 },
    );
    // The generator is not degenerate: a good share of the formulas are valid and run.
    expect(results).toBeGreaterThan(50);
  });
});
