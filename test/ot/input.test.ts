import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { epsilonSchedule, samplesLoss, solveOT } from '../../src/ot/index.js';

const x = [
  [0, 0],
  [1, 0],
  [0, 1],
];
const y = [
  [0.5, 0.5],
  [1, 1],
];

describe('ε-schedule', () => {
  it('follows [d^p] + exp(arange(p ln d, p ln blur, p ln scaling)) + [blur^p]', () => {
    // NumPy: np.arange(2*ln 1, 2*ln 0.05, 2*ln 0.5) has ceil(ln(0.05)/ln(0.5)) = 5 values.
    const s = epsilonSchedule(2, 1, 0.05, 0.5);
    expect(s.length).toBe(7);
    expect(s[0]).toBe(1);
    for (let k = 0; k < 5; k++) expect(s[k + 1]).toBeCloseTo(0.25 ** k, 15);
    expect(s[6]).toBeCloseTo(0.0025, 16);
    expect(epsilonSchedule(1, 0.1, 0.2, 0.5)).toEqual([0.1, 0.2]);
    // p = 1, d = 3, blur = 0.1, scaling = 0.9: ceil(ln(30)/-ln(0.9)) = 33 middle values.
    expect(epsilonSchedule(1, 3, 0.1, 0.9).length).toBe(35);
  });
});

describe('bad input -> LazyTensorError', () => {
  const bad: [string, () => unknown][] = [
    ['negative weight', () => samplesLoss(x, y, { a: [0.5, 0.6, -0.1] })],
    ['NaN weight', () => samplesLoss(x, y, { a: [Number.NaN, 0.5, 0.5] })],
    ['zero total mass', () => samplesLoss(x, y, { a: [0, 0, 0], reach: 1 })],
    ['wrong number of weights', () => samplesLoss(x, y, { a: [0.5, 0.5] })],
    ['mismatched D', () => samplesLoss(x, [[0, 0, 0]])],
    ['balanced OT with unequal masses', () => samplesLoss(x, y, { a: [0.5, 0.5, 0.5] })],
    ['balanced solveOT with unequal masses', () => solveOT(x, y, { b: [0.1, 0.2] })],
    ['NaN coordinate', () => samplesLoss([[Number.NaN, 0]], y)],
    ['empty cloud', () => samplesLoss({ data: new Float64Array(0), shape: [0, 2] }, y)],
    ['p = 3 without a custom cost', () => samplesLoss(x, y, { p: 3 })],
    ['blur <= 0', () => samplesLoss(x, y, { blur: 0 })],
    ['scaling >= 1', () => samplesLoss(x, y, { scaling: 1 })],
    ['unknown loss', () => samplesLoss(x, y, { loss: 'wasserstein' as never })],
    ['unknown option', () => samplesLoss(x, y, { blurr: 0.1 } as never)],
    ['unknown OT backend', () => samplesLoss(x, y, { backend: 'nosuchsolver' as 'online' })],
    ['mixed dtypes', () => samplesLoss({ data: new Float32Array(6), shape: [3, 2] }, y)],
    [
      'batch mismatch',
      () =>
        samplesLoss(
          { data: new Float64Array(12), shape: [2, 3, 2] },
          { data: new Float64Array(12), shape: [3, 2, 2] },
        ),
    ],
    ['bad cost formula', () => samplesLoss(x, y, { cost: 'SqDist(X,Z)' })],
    ['vector cost formula', () => samplesLoss(x, y, { cost: 'X-Y' })],
    ['kernel loss with a reach', () => samplesLoss(x, y, { loss: 'gaussian', reach: 1 })],
  ];
  for (const [name, f] of bad) {
    it(name, () => {
      expect(f).toThrow(LazyTensorError);
    });
  }

  it('a custom cost that is infinite or NaN at some pair: a LazyTensorError, not NaN results', () => {
    // Sinkhorn: were a NaN value (Log(0) on the diagonal of the debiased x–x problem) and NaN
    // gradients (1/0); Hausdorff: "did not converge: relative residual NaN".
    const cases = [
      ['Log(SqDist(X,Y))', 'sinkhorn'],
      ['Inv(SqDist(X,Y))', 'sinkhorn'],
      ['Log(SqDist(X,Y))', 'hausdorff'],
    ] as const;
    for (const [cost, loss] of cases) {
      const call = () => samplesLoss(x, y, { cost, loss });
      expect(call).toThrow(LazyTensorError);
      expect(call).toThrow(/not finite .*custom cost .*must be finite/);
    }
    // Hausdorff with 1/|x − y|² (not kernel-like): its adjoint solve does not converge, as before.
    expect(() => samplesLoss(x, y, { cost: 'Inv(SqDist(X,Y))', loss: 'hausdorff' })).toThrow(/kernel-like/);
    // solveOT: were infinite marginal errors (Log(0) at a shared point).
    expect(() =>
      solveOT(
        [
          [0, 0],
          [1, 1],
        ],
        [
          [0, 0],
          [2, 2],
        ],
        { cost: 'Log(SqDist(X,Y))' },
      ),
    ).toThrow(/solveOT: the result is not finite .* the cost must be finite for every pair/);
    // A finite custom cost is unaffected: it equals the built-in one.
    const c = samplesLoss(x, y, { cost: 'SqDist(X,Y)/IntCst(2)' });
    expect(Math.abs((c.value as number) - (samplesLoss(x, y).value as number))).toBeLessThan(1e-14);
  });

  it('unequal masses are accepted with a reach and by kernel losses', () => {
    expect(Number.isFinite(samplesLoss(x, y, { a: [0.5, 0.5, 0.5], reach: 0.5 }).value as number)).toBe(true);
    expect(Number.isFinite(samplesLoss(x, y, { a: [0.5, 0.5, 0.5], loss: 'energy' }).value as number)).toBe(
      true,
    );
  });

  it('float32 inputs run in float32 and return float32 gradients', () => {
    const xf = { data: Float32Array.from(x.flat()), shape: [3, 2] };
    const yf = { data: Float32Array.from(y.flat()), shape: [2, 2] };
    const r32 = samplesLoss(xf, yf, { blur: 0.1, backend: 'online' });
    const r64 = samplesLoss(x, y, { blur: 0.1, backend: 'online' });
    expect(r32.gradX.data).toBeInstanceOf(Float32Array);
    expect(Math.abs((r32.value as number) - (r64.value as number))).toBeLessThan(1e-5);
  });
});
