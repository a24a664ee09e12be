import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/random.js';
import { robotMatch } from '../../src/register/match.js';
import { unbalancedFixedPoint } from '../ot/fixedPoint.js';

const D = 3;
const N = 60;
const M = 70;
const BLUR = 0.15;
const REACH = 0.4;

function cloud(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * D }, () => r());
}

/** Dense barycentric targets and matched masses of the plan a_i b_j exp((f_i + g_j − C_ij)/ε). */
function densePlan(x: Float64Array, y: Float64Array, a: Float64Array, b: Float64Array) {
  const { f, g } = unbalancedFixedPoint(x, y, a, b, D, BLUR, REACH);
  const eps = BLUR * BLUR;
  const target = new Float64Array(N * D);
  const confidence = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let mass = 0;
    for (let j = 0; j < M; j++) {
      let c = 0;
      for (let k = 0; k < D; k++) c += (x[i * D + k]! - y[j * D + k]!) ** 2;
      const p = a[i]! * b[j]! * Math.exp((f[i]! + g[j]! - c / 2) / eps);
      mass += p;
      for (let k = 0; k < D; k++) target[i * D + k] = target[i * D + k]! + p * y[j * D + k]!;
    }
    for (let k = 0; k < D; k++) target[i * D + k] = target[i * D + k]! / mass;
    confidence[i] = mass / a[i]!;
  }
  return { f, g, target, confidence };
}

const maxDiff = (p: ArrayLike<number>, q: ArrayLike<number>) =>
  Math.max(...Array.from(p, (v, k) => Math.abs(v - q[k]!)));

describe('robotMatch', () => {
  const x = cloud(N, 3);
  const y = cloud(M, 4);
  const a = new Float64Array(N).fill(1 / N);
  const b = new Float64Array(M).fill(1 / M);
  const ref = densePlan(x, y, a, b);
  const o = { blur: BLUR, reach: REACH, scaling: 0.5 };

  it('cold (GeomLoss schedule, not run to convergence): near the dense plan', () => {
    const m = robotMatch(x, y, a, b, D, o);
    expect(maxDiff(m.target, ref.target)).toBeLessThan(0.1);
    expect(maxDiff(m.confidence, ref.confidence)).toBeLessThan(0.2);
  });

  it('warm: from the potentials of a moved source, enough steps equal the dense plan', () => {
    const moved = x.map((v, k) => v + (k % D === 1 ? 0.02 : 0));
    const prev = robotMatch(moved, y, a, b, D, o);
    const m = robotMatch(x, y, a, b, D, o, { f: prev.f, g: prev.g, steps: 300 });
    expect(maxDiff(m.target, ref.target)).toBeLessThan(1e-8);
    expect(maxDiff(m.confidence, ref.confidence)).toBeLessThan(1e-8);
    expect(maxDiff(m.f, ref.f)).toBeLessThan(1e-8);
    // A few steps already land close, as close as a cold solve.
    const few = robotMatch(x, y, a, b, D, o, { f: prev.f, g: prev.g, steps: 3 });
    const cold = robotMatch(x, y, a, b, D, o);
    expect(maxDiff(few.target, ref.target)).toBeLessThan(maxDiff(cold.target, ref.target));
  });
});
