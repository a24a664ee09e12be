import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { richardson } from '../../src/ot/richardson.js';
import { mulberry32 } from '../../src/random.js';
import { expectClose } from '../helpers/check.js';

/** (I + λA) μ = r with A diagonal (spectrum in [0, 1]): μ_k = r_k / (1 + λ a_k). */
describe('richardson (adjoint solves)', () => {
  const n = 50;
  const rand = mulberry32(7);
  const a = Float64Array.from({ length: n }, () => rand());
  const r = Float64Array.from({ length: n }, () => rand() - 0.5);
  const lam = 1;
  const exact = r.map((v, k) => v / (1 + lam * a[k]!));
  const diag = (v: Float64Array) => v.map((x, k) => a[k]! * x);

  it('float64: converges to 1e-14 relative', () => {
    const mu = richardson(r, diag, lam, 'float64', 'test');
    expectClose(mu, exact, 0, 1e-13, 'μ');
  });

  it('float32: rounding noise in A·v above the target residual: accepted once the residual stagnates below the floor', () => {
    // Relative noise 3e-5 per product: the residual stays near 1e-5, above the 2e-6 target, below the 1e-4 floor.
    const noise = mulberry32(8);
    const noisy = (v: Float64Array) => diag(v).map((x) => x * (1 + 3e-5 * (2 * noise() - 1)));
    const mu = richardson(r, noisy, lam, 'float32', 'test');
    expectClose(mu, exact, 0, 1e-4, 'μ');
  });

  it('an operator out of its assumptions is an error naming the solve', () => {
    const bad = (v: Float64Array) => v.map((x) => -3 * x);
    expect(() => richardson(r, bad, lam, 'float64', 'the test solve')).toThrow(LazyTensorError);
    expect(() => richardson(r, bad, lam, 'float64', 'the test solve')).toThrow(
      /the test solve did not converge/,
    );
  });
});
