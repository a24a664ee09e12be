import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { Vi, Vj } from '../../src/lazy/index.js';
import { array, toRows } from '../../src/ndarray.js';

describe('variable inputs', () => {
  it('rejects a flat number[] for Vi and Vj (it is not a list of rows)', () => {
    expect(() => Vi([1, 2, 3] as unknown as number[][])).toThrow(LazyTensorError);
    expect(() => Vi([1, 2, 3] as unknown as number[][])).toThrow(/flat number\[\] of 3 values/);
    expect(() => Vj([4, 5] as unknown as number[][])).toThrow(/Vj\(\): expected rows/);
  });

  it('takes rows, and an NDArray of shape [N] as N points of dimension 1', () => {
    const rows = Vi([[1], [2], [3]])
      .sub(Vj([[1], [5]]))
      .square()
      .sum('j');
    const flat = Vi(array(Float64Array.from([1, 2, 3]), [3]))
      .sub(Vj([[1], [5]]))
      .square()
      .sum('j');
    expect(toRows(rows)).toEqual([[16], [10], [8]]);
    expect(toRows(flat)).toEqual(toRows(rows));
  });
});

describe('toRows', () => {
  it('gives the rows of a 2-D array as number[][], float and int', () => {
    expect(
      toRows(
        array([
          [1.5, 2],
          [3, -4],
        ]),
      ),
    ).toEqual([
      [1.5, 2],
      [3, -4],
    ]);
    expect(toRows({ data: Int32Array.from([1, 2, 3]), shape: [3, 1] })).toEqual([[1], [2], [3]]);
    expect(toRows({ data: new Float32Array(0), shape: [0, 2] })).toEqual([]);
  });

  it('rejects arrays that are not 2-D', () => {
    expect(() => toRows(array(Float64Array.from([1, 2]), [2]))).toThrow(/expected a 2-D array/);
  });
});
