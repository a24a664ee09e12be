import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { epsilonSchedule, MAX_EPSILON_STEPS, samplesLoss, solveOT } from '../../src/ot/index.js';

const x = [
  [0, 0],
  [1, 0],
  [0, 1],
];
const y = [
  [0.5, 0.5],
  [1, 1],
  [0.2, 0.9],
];
const scaled = (pts: number[][], s: number) => pts.map((r) => r.map((v) => v * s));
const f32 = (pts: number[][]) => ({ data: Float32Array.from(pts.flat()), shape: [pts.length, 2] });

/** Asserts that f throws a LazyTensorError whose message matches every pattern. */
function expectError(f: () => unknown, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LazyTensorError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}

const finite = (r: { value: number | Float64Array; gradX?: { data: ArrayLike<number> } }) => {
  expect(Number.isFinite(r.value as number)).toBe(true);
  if (r.gradX) expect(Array.from(r.gradX.data).every(Number.isFinite)).toBe(true);
};

describe('ε-schedule length cap', () => {
  it(`rejects schedules longer than ${MAX_EPSILON_STEPS} before allocating, naming scaling, blur and diameter`, () => {
    // ln(diameter/blur)/(−ln scaling) = ln(√2/0.05)/1e-12 ≈ 3.3e12 steps: an endless loop before.
    expectError(
      () => epsilonSchedule(2, Math.SQRT2, 0.05, 1 - 1e-12),
      /scaling/,
      /blur/,
      /diameter/,
      /\d+ steps/,
    );
    // 33,000 steps.
    expectError(() => epsilonSchedule(2, Math.SQRT2, 0.05, 0.9999), /10000 allowed/);
    expectError(
      () => samplesLoss(x, y, { scaling: 0.9999, backend: 'tensorized', gradients: false }),
      /scaling/,
    );
    expectError(
      () => samplesLoss(x, y, { loss: 'hausdorff', scaling: 0.9999, backend: 'tensorized' }),
      /scaling/,
    );
    expectError(() => solveOT(x, y, { scaling: 0.9999, backend: 'tensorized' }), /scaling/);
  });

  it('the scaling the message suggests fits the cap', () => {
    let msg = '';
    try {
      epsilonSchedule(2, 3, 1e-3, 0.9999);
    } catch (e) {
      msg = (e as Error).message;
    }
    const suggested = Number(/at most ([0-9.]+) here/.exec(msg)?.[1]);
    expect(suggested).toBeGreaterThan(0.99);
    expect(epsilonSchedule(2, 3, 1e-3, suggested).length).toBeLessThanOrEqual(MAX_EPSILON_STEPS);
  });

  it('long schedules under the cap still run', () => {
    // ln(√2/0.05)/−ln(0.9995) ≈ 6680 steps.
    const n = epsilonSchedule(2, Math.SQRT2, 0.05, 0.9995).length;
    expect(n).toBeGreaterThan(6000);
    expect(n).toBeLessThanOrEqual(MAX_EPSILON_STEPS);
  });
});

describe('scales out of range: a clear error up front, or finite results', () => {
  const bad: [string, () => unknown, RegExp[]][] = [
    [
      'coordinates 1e155 (squared distances overflow)',
      () => samplesLoss(scaled(x, 1e155), scaled(y, 1e155)),
      [/1e\+155/, /rescale the coordinates/],
    ],
    [
      'coordinates 1e155, kernel loss',
      () => samplesLoss(scaled(x, 1e155), scaled(y, 1e155), { loss: 'energy' }),
      [/1e\+155/],
    ],
    ['coordinates 1e155, solveOT', () => solveOT(scaled(x, 1e155), scaled(y, 1e155)), [/1e\+155/]],
    ['float32 coordinates 1e20', () => samplesLoss(f32(scaled(x, 1e20)), f32(y)), [/float32/, /rescale/]],
    [
      'diameter 1e200 (diameter^p overflows)',
      () => samplesLoss(x, y, { diameter: 1e200 }),
      [/diameter = 1e\+200/, /too large/],
    ],
    ['diameter 1e-200', () => samplesLoss(x, y, { diameter: 1e-200 }), [/diameter = 1e-200/, /too small/]],
    ['blur 1e-200 (ε underflows)', () => samplesLoss(x, y, { blur: 1e-200 }), [/blur = 1e-200/, /blur ≥/]],
    ['blur 1e-160 (1/ε overflows)', () => samplesLoss(x, y, { blur: 1e-160 }), [/blur = 1e-160/]],
    [
      'blur 1e-200, hausdorff',
      () => samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-200 }),
      [/blur = 1e-200/],
    ],
    ['blur 1e-200, solveOT', () => solveOT(x, y, { blur: 1e-200 }), [/blur = 1e-200/]],
    [
      'blur 1e-200, gaussian kernel',
      () => samplesLoss(x, y, { loss: 'gaussian', blur: 1e-200 }),
      [/blur = 1e-200/, /gaussian/],
    ],
    ['blur 1e200 (ε overflows)', () => samplesLoss(x, y, { blur: 1e200 }), [/blur = 1e\+200/]],
    [
      'float32 blur 1e-25 (1/ε overflows float32)',
      () => samplesLoss(f32(x), f32(y), { blur: 1e-25 }),
      [/blur = 1e-25/, /float32/, /float64 data/],
    ],
    [
      'float32 diameter 1e-25',
      () => samplesLoss(f32(x), f32(y), { diameter: 1e-25 }),
      [/diameter = 1e-25/, /float32/],
    ],
    [
      'float32 cost over ε overflows',
      () => samplesLoss(f32(scaled(x, 1e10)), f32(scaled(y, 1e10)), { blur: 1e-10 }),
      [/largest cost over ε/],
    ],
    [
      'float32 blur 1e-40, laplacian kernel',
      () => samplesLoss(f32(x), f32(y), { loss: 'laplacian', blur: 1e-40 }),
      [/laplacian/, /float32/],
    ],
    ['reach 1e200 (ρ overflows)', () => samplesLoss(x, y, { reach: 1e200 }), [/reach = 1e\+200/]],
    ['reach 1e-200 (ρ underflows)', () => samplesLoss(x, y, { reach: 1e-200 }), [/reach = 1e-200/]],
    [
      'reach 1e-200, hausdorff',
      () => samplesLoss(x, y, { loss: 'hausdorff', reach: 1e-200 }),
      [/reach = 1e-200/],
    ],
    ['reach 1e200, solveOT', () => solveOT(x, y, { reach: 1e200 }), [/reach = 1e\+200/]],
  ];
  for (const [name, f, patterns] of bad) {
    it(name, () => expectError(f, ...patterns));
  }

  it('extreme but representable scales give finite values and gradients', () => {
    finite(samplesLoss(x, y, { blur: 1e-150 }));
    finite(samplesLoss(x, y, { blur: 1e150 }));
    finite(samplesLoss(x, y, { reach: 1e-150 }));
    finite(samplesLoss(x, y, { reach: 1e150 }));
    // Hausdorff: the value; its gradients at this blur were finite but wrong (20–36% off their
    // blur → 0 limit, reached at blur 1e-6): the float64 rounding of their kernels' exponents.
    finite(samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-150, gradients: false }));
    expectError(() => samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-150 }), /cannot compute gradients/);
    finite(samplesLoss(x, y, { diameter: 1e150 }));
    finite(samplesLoss(scaled(x, 1e150), scaled(y, 1e150), { blur: 1e148 }));
    finite(samplesLoss(x, y, { loss: 'laplacian', blur: 1e-200 }));
    finite(samplesLoss(f32(x), f32(y), { blur: 1e-15, scaling: 0.1 }));
  });
});
