import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { Vi, Vj } from '../../src/index.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 200;
const X = uniform(rng(1), N * 3);
const b = uniform(rng(2), N, -0.5, 0.5);
const x = { data: X, shape: [N, 3] };
const gauss = Vi(x).sqdist(Vj(x)).mul(-2).exp();

/** Runs f, which must throw a LazyTensorError; returns its message. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LazyTensorError);
    return (e as Error).message;
  }
  throw new Error('expected a LazyTensorError');
}

describe('solve: progress, stagnation and divergence', () => {
  it('onProgress sees every iteration with the residual per column, and converges as before', () => {
    const B = {
      data: Float64Array.from({ length: N * 2 }, (_, t) => b[t >> 1]! * (t % 2 ? 2 : 1)),
      shape: [N, 2],
    };
    const seen: { iteration: number; residual: number; c0: number }[] = [];
    const a = gauss.solve(B, {
      alpha: 0.1,
      backend: 'js',
      onProgress: (p) => {
        seen.push({ iteration: p.iteration, residual: p.residual, c0: p.residuals[0]! });
        return undefined;
      },
    });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.map((s) => s.iteration)).toEqual(seen.map((_, k) => k + 1));
    expect(seen.at(-1)!.residual).toBeLessThanOrEqual(1e-6);
    // The residual really is ‖(αI + K) a − b‖ / ‖b‖ ≤ 1e-6 (dense check in the test).
    let num = 0;
    let den = 0;
    for (let i = 0; i < N; i++) {
      let s = 0.1 * a.data[i * 2]!;
      for (let j = 0; j < N; j++) {
        let d2 = 0;
        for (let k = 0; k < 3; k++) d2 += (X[i * 3 + k]! - X[j * 3 + k]!) ** 2;
        s += Math.exp(-2 * d2) * a.data[j * 2]!;
      }
      num += (s - B.data[i * 2]!) ** 2;
      den += B.data[i * 2]! ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(2e-6);
  });

  it("KeOps' alpha = 1e-10 stops early on stagnation with a report, not after 10·N iterations", () => {
    let last = 0;
    const msg = message(() =>
      gauss.solve(
        { data: b, shape: [N] },
        {
          alpha: 1e-10,
          backend: 'js',
          onProgress: (p) => {
            last = p.iteration;
            return undefined;
          },
        },
      ),
    );
    expect(msg).toMatch(/solve: conjugate gradient stagnated: no 10% progress in the last 200 iterations/);
    expect(msg).toMatch(/increase alpha \(now 1e-10; for kernels with k\(x, x\) = 1 start from 1e-6/);
    expect(last).toBeLessThanOrEqual(400);
  });

  it('patience sets the stagnation window', () => {
    const msg = message(() =>
      gauss.solve({ data: b, shape: [N] }, { alpha: 1e-10, backend: 'js', patience: 20 }),
    );
    expect(msg).toMatch(/no 10% progress in the last 20 iterations/);
  });

  it('an indefinite matrix (squared distances) is reported as divergence', () => {
    const D2 = Vi(x).sqdist(Vj(x));
    const msg = message(() => D2.solve({ data: b, shape: [N] }, { alpha: 0, backend: 'js' }));
    expect(msg).toMatch(/solve: conjugate gradient diverged \(relative residual .* after \d+ iterations\)/);
  });

  it('onProgress returning false stops the solve', () => {
    const msg = message(() =>
      gauss.solve(
        { data: b, shape: [N] },
        { alpha: 1e-10, backend: 'js', onProgress: (p) => p.iteration < 3 },
      ),
    );
    expect(msg).toMatch(/stopped by onProgress \(relative residual .* after 3 iterations\)/);
  });

  it('bad control options are reported', () => {
    expect(() => gauss.solve({ data: b, shape: [N] }, { alpha: 1, patience: 0 })).toThrow(
      /patience must be an integer >= 1/,
    );
    expect(() => gauss.solve({ data: b, shape: [N] }, { alpha: 1, tol: 0 })).toThrow(
      /tol must be a number in \(0, 1\)/,
    );
    expect(() => gauss.solve({ data: b, shape: [N] }, { alpha: 1, onProgress: 3 as never })).toThrow(
      /onProgress must be a function/,
    );
  });
});
