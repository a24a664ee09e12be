import { describe, expect, it } from 'vitest';
import {
  array,
  clusterRangesCentroids,
  LazyTensorError,
  reduceBlockDiagonal,
  transposeRanges,
  Vi,
  Vj,
} from '../../src/index.js';

/** Misuse of the public API from JavaScript gives a LazyTensorError that names the problem. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LazyTensorError) return e.message;
    throw new Error(`expected a LazyTensorError, got ${String(e)}`);
  }
  throw new Error('expected a LazyTensorError, got a result');
}

const X = array([
  [0, 0],
  [1, 0],
  [0, 1],
]);
const gauss = Vi(X).sqdist(Vj(X)).neg().exp();

describe('solve', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY])('b holding %s is refused up front', (v) => {
    // Before: "conjugate gradient diverged ...; increase alpha", advice that cannot help.
    const b = array([[1], [v], [0]]);
    expect(message(() => gauss.solve(b, { alpha: 1, backend: 'js' }))).toBe(
      `solve: b has a non-finite value (${v}) in row 1`,
    );
  });
  it('a finite b still solves (αI + K) a = b', () => {
    const b = array([[1], [2], [3]]);
    const a = gauss.solve(b, { alpha: 1, backend: 'js' });
    // Check against (I + K) a computed densely.
    for (let i = 0; i < 3; i++) {
      let s = a.data[i]!;
      for (let j = 0; j < 3; j++) {
        const d = (X.data[2 * i]! - X.data[2 * j]!) ** 2 + (X.data[2 * i + 1]! - X.data[2 * j + 1]!) ** 2;
        s += Math.exp(-d) * a.data[j]!;
      }
      expect(s).toBeCloseTo(b.data[i]!, 5);
    }
  });
});

describe('reduceBlockDiagonal', () => {
  const K = Vi(X).sqdist(Vj(X));
  it.each([
    [null, /expected an array of blocks \{ formula, weight\?, ranges\? \}, got null/],
    [K, /expected an array of blocks .*, got object/],
    [[null], /block 0: expected \{ formula: LazyTensor, weight\?, ranges\? \}, got null/],
    [[{ formula: K }, { formula: 3 }], /block 1: expected \{ formula: LazyTensor, .*\}, got formula number/],
    [[{ formula: K, weight: 2 }], /block 0: the weight must be a LazyTensor, got number/],
  ])('%#: bad blocks (were TypeErrors)', (blocks, re) => {
    expect(message(() => reduceBlockDiagonal(blocks as never, 'Sum', 'j', { backend: 'js' }))).toMatch(re);
  });
});

describe('block-sparse helpers', () => {
  it('transposeRanges of a non-object (was a TypeError)', () => {
    expect(message(() => transposeRanges(null as never))).toMatch(
      /transposeRanges: expected a Ranges object/,
    );
  });

  it('clusterRangesCentroids: a stray huge label is refused before allocating (was a RangeError)', () => {
    expect(message(() => clusterRangesCentroids(X, Int32Array.of(0, 1, 2147483647)))).toMatch(
      /the largest label is 2147483647, which makes 2147483648 clusters for 3 points/,
    );
  });

  it('clusterRangesCentroids: labels that skip values still give empty clusters', () => {
    const { ranges, weights } = clusterRangesCentroids(X, Int32Array.of(0, 2, 2));
    expect(Array.from(ranges)).toEqual([0, 1, 1, 1, 1, 3]);
    expect(Array.from(weights)).toEqual([1, 0, 2]);
  });
});

describe('reduction options', () => {
  const K = Vi(X).sqdist(Vj(X));
  const dense = [0, 1, 1, 1, 0, 2, 1, 2, 0];
  const rowSums = [0, 1, 2].map((i) => dense[3 * i]! + dense[3 * i + 1]! + dense[3 * i + 2]!);
  it('null means no options, as for kmin and argmin (sum, logsumexp and reduction were TypeErrors)', () => {
    expect(Array.from(K.sum('j', null as never).data)).toEqual(rowSums);
    expect(Array.from(K.reduction('Sum', 'j', null as never).eval().data)).toEqual(rowSums);
    const lse = K.logsumexp('j', null as never).data;
    for (let i = 0; i < 3; i++) {
      const ref = Math.log(dense.slice(3 * i, 3 * i + 3).reduce((s, v) => s + Math.exp(v), 0));
      expect(lse[i]).toBeCloseTo(ref, 12);
    }
    expect(Array.from(K.argmin('j', null as never).data)).toEqual([0, 1, 2]);
  });
  it('other non-objects are an error, not silently ignored', () => {
    expect(message(() => K.sum('j', 'js' as never))).toBe(
      "reduction('Sum'): options must be an object, got string",
    );
  });
  it('solve needs its options object (was a TypeError)', () => {
    expect(message(() => gauss.solve(array([[1], [1], [1]]), null as never))).toMatch(
      /solve: expected options \{ alpha, tol\?, maxIter\?, \.\.\. \}, got null/,
    );
  });
});
