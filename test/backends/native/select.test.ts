/**
 * Min/Max and their arg forms on the native backend (the SIMD "best" tile path of
 * src/backends/native/strategy.ts, and its row-vectorised path for narrow tiles: few columns, or
 * the narrow last tile of a wide reduction, with chunks of many rows) against a dense float64
 * reference of the monoid: data on an integer grid, so distances are exact in both dtypes and ties
 * are frequent (within and across tiles of 1024 columns), plus NaN and infinite columns and rows.
 * Ties go to the lowest index, NaN never wins, and a row whose values are all NaN gives index -1
 * and the worst value.
 */
import { describe, expect, it } from 'vitest';
import { Vi, Vj } from '../../../src/index.js';
import { array } from '../../../src/ndarray.js';
import { rng } from '../../helpers/rng.js';
import { useSharedCache } from './helpers.js';

const D = 3;

/** `shifted`: columns below `shifted` move by 2 on every axis (farther on average from the rows). */
function data(seed: number, NI: number, NJ: number, shifted: number): { x: Float64Array; y: Float64Array } {
  const r = rng(seed);
  const grid = () => Math.floor(4 * r());
  const x = Float64Array.from({ length: NI * D }, grid);
  const y = Float64Array.from({ length: NJ * D }, (_, k) => grid() + (k < shifted * D ? 2 : 0));
  // NaN columns (one before every tie candidate), infinite columns, and special rows.
  for (const j of [0, 3, 1023, 1024, 2049]) if (j < NJ) y[j * D] = Number.NaN;
  for (const j of [7, 1500]) if (j < NJ) y[j * D + 1] = Number.POSITIVE_INFINITY;
  x[0] = Number.NaN; // row 0: every value NaN
  x[1 * D + 2] = Number.POSITIVE_INFINITY; // row 1: +inf or NaN everywhere
  return { x, y };
}

/** Per row: the best squared distance under `better` and its lowest index (-1 when all NaN). */
function reference(x: Float64Array, y: Float64Array, better: '<' | '>') {
  const NI = x.length / D;
  const NJ = y.length / D;
  const values: number[] = [];
  const indices: number[] = [];
  for (let i = 0; i < NI; i++) {
    let m = better === '<' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    let a = -1;
    for (let j = 0; j < NJ; j++) {
      let v = 0;
      for (let k = 0; k < D; k++) v += (x[i * D + k]! - y[j * D + k]!) ** 2;
      const beats = better === '<' ? v < m : v > m;
      const ties = better === '<' ? v <= m : v >= m;
      if (beats || (a < 0 && ties)) {
        m = v;
        a = j;
      }
    }
    values.push(m);
    indices.push(a);
  }
  return { values, indices };
}

describe('native Min/Max/ArgMin/ArgMax: ties, NaN and infinities', () => {
  // [NI, NJ, shifted]: few rows and wide tiles (per-row path); many rows (chunks of 64 rows and a
  // short last chunk) and few columns (row-vectorised path); both paths in one row (float32: a
  // per-row tile of 1024 columns, then a row-vectorised tile of 60, whose columns are nearer so
  // that the minimum is often there while the maximum is in the first: states merged both ways).
  const sizes = [
    [40, 2500, 0],
    [2000, 100, 0],
    [1500, 1084, 1024],
  ] as const;
  for (const dtype of ['float32', 'float64'] as const)
    for (const [NI, NJ, shifted] of sizes) {
      it(`${dtype}, ${NI} x ${NJ}: lowest index among ties, NaN never wins, all-NaN rows give -1`, () => {
        useSharedCache();
        const { x, y } = data(dtype === 'float32' ? 11 : 12, NI, NJ, shifted);
        const C = dtype === 'float32' ? Float32Array : Float64Array;
        const X = Vi(array(C.from(x), [NI, D]));
        const Y = Vj(array(C.from(y), [NJ, D]));
        const opts = { backend: 'native' };
        for (const better of ['<', '>'] as const) {
          const ref = reference(x, y, better);
          const both = better === '<' ? X.sqdist(Y).minArgmin('j', opts) : X.sqdist(Y).maxArgmax('j', opts);
          const idx = better === '<' ? X.sqdist(Y).argmin('j', opts) : X.sqdist(Y).argmax('j', opts);
          const val = better === '<' ? X.sqdist(Y).min('j', opts) : X.sqdist(Y).max('j', opts);
          expect(Array.from(both.indices.data)).toEqual(ref.indices);
          expect(Array.from(idx.data)).toEqual(ref.indices);
          expect(Array.from(both.values.data)).toEqual(ref.values);
          expect(Array.from(val.data)).toEqual(ref.values);
          // The data exercise what they are meant to: an all-NaN row, an all-infinite row.
          expect(ref.indices[0]).toBe(-1);
          expect(ref.indices[1]).toBe(1); // +inf (or NaN) everywhere: the first +inf
        }
      });
    }
});
