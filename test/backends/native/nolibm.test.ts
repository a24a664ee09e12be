/**
 * Native kernels of the math ops call no libm function (a call keeps the pair loop scalar): the
 * built library of each op, in float32 and float64, imports none of libm's names (ELF dynamic
 * symbols; Linux only). Then Round against C's round (halves away from zero) at the halves, next
 * to them, past 2^52 and at the special values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type NativeKernel, nativeBackend } from '../../../src/backends/native/index.js';
import { libraryFileFor } from '../../../src/backends/native/libraries.js';
import { type Node, op, Var } from '../../../src/formula/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import type { DType } from '../../../src/ndarray.js';
import { useSharedCache } from './helpers.js';

const LIBM = ['exp', 'log', 'pow', 'sin', 'cos', 'tan', 'atan', 'atan2', 'asin', 'acos', 'round', 'fmod'];

const y = Var(1, 1, 'j');
// A pair-dependent argument (a function of x_i alone would be computed once per row).
const x = op('Mult', [Var(0, 1, 'i'), y]);
const OPS: [string, Node][] = [
  ['Exp', op('Exp', [x])],
  ['Log', op('Log', [x])],
  ['Powf', op('Powf', [x, y])],
  ['Sin', op('Sin', [x])],
  ['Cos', op('Cos', [x])],
  ['SinXDivX', op('SinXDivX', [x])],
  ['Atan', op('Atan', [x])],
  ['Atan2', op('Atan2', [x, y])],
  ['Asin', op('Asin', [x])],
  ['Acos', op('Acos', [x])],
  ['Round', op('Round', [x], [0])],
];

function imports(file: string): string {
  return readFileSync(file).toString('latin1');
}

describe.skipIf(process.platform !== 'linux')('native kernels call no libm function', () => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: ${OPS.map((o) => o[0]).join(', ')}`, () => {
      useSharedCache();
      for (const [name, f] of OPS) {
        const { spec } = buildSpec({ formula: op('Mult', [f, y]), kind: 'Sum', axis: 'j', dtype });
        (nativeBackend.compile(spec) as NativeKernel).waitReady();
        const file = libraryFileFor([spec]);
        expect(file, name).toBeDefined();
        const bytes = imports(file!);
        for (const fn of LIBM) {
          for (const sym of [fn, `${fn}f`])
            expect(bytes.includes(`\0${sym}\0`), `${name} ${dtype} imports ${sym}`).toBe(false);
        }
        expect(bytes.includes('\0free\0'), 'the import table is where the test looks').toBe(true);
      }
    });
  }
});

/** C's round: halves away from zero (Math.round rounds halves up, so negative halves go one lower). */
function cRound(v: number): number {
  const r = Math.round(v);
  return v < 0 && r - v === 0.5 ? r - 1 : r;
}

describe('native Round', () => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: halves away from zero, exact next to the halves and past 2^52, special values`, () => {
      useSharedCache();
      const F = dtype === 'float32' ? Float32Array : Float64Array;
      const eps = dtype === 'float32' ? 2 ** -24 : 2 ** -53;
      const vals: number[] = [
        0,
        -0,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        2 ** 52 + 1,
        2 ** 60,
      ];
      for (let k = -50; k <= 50; k++) {
        const h = k + 0.5;
        vals.push(h, h * (1 - eps), h * (1 + eps), k, k + 0.25, k - 0.25);
      }
      vals.push(0.49999999999999994, -0.49999999999999994, 4503599627370495.5, -4503599627370495.5);
      const xs = F.from(vals);
      const { spec } = buildSpec({
        formula: op('Round', [Var(0, 1, 'i')], [0]),
        kind: 'Sum',
        axis: 'j',
        dtype,
      });
      const k = nativeBackend.compile(spec) as NativeKernel;
      k.waitReady();
      const out = new F(xs.length);
      k.run({ inputs: [xs], nI: xs.length, nJ: 1, out });
      expect(k.lastEngine).toBe('native');
      for (let q = 0; q < xs.length; q++) {
        const want = cRound(xs[q]!);
        // A one-column sum: -0 comes back as 0.
        expect(out[q], `round(${xs[q]})`).toBe(want === 0 ? 0 : want);
      }
    });
  }
});
