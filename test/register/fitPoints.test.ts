import { describe, expect, it } from 'vitest';
import { register } from '../../src/register/index.js';
import { axisAngle, bunnySamples, distance, rotationError, transformRows } from './helpers.js';

/** Clouds larger than fitPoints: the fit runs on subsets, every point still gets its result. */
const N = 1500;
const FIT = 500;

describe('register: clouds larger than fitPoints', () => {
  it('rigid: the transform fitted on subsets recovers the rotation; confidences for every point', () => {
    const R = axisAngle([1, 2, 0.5], (100 * Math.PI) / 180);
    const source = bunnySamples(N, 21);
    const target = transformRows(bunnySamples(N, 22), R, [0.1, 0.2, -0.1]);
    const r = register(source, target, { fitPoints: FIT });
    expect(rotationError(r.transform!.rotation.data, R)).toBeLessThan(1.5);
    expect(r.confidence.shape).toEqual([N]);
    // Clean clouds: every point is matched, but against a target subset of FIT points, sparser
    // than the blur, the matched mass is lower at points between its samples
    const conf = r.confidence.data;
    // (measured: mean 0.61).
    expect(conf.reduce((s, c) => s + c, 0) / N).toBeGreaterThan(0.5);
    for (const c of conf) expect(c).toBeGreaterThan(0.01);
    expect(Array.from(r.apply(source).data)).toEqual(Array.from(r.aligned.data));
  });

  it('non-rigid: control points carry the displacement, the other points interpolate it', () => {
    const warp = (x: Float64Array) => {
      const out = new Float64Array(x.length);
      for (let i = 0; i < x.length; i += 3) {
        out[i] = x[i]! + 0.06 * Math.sin(3 * x[i + 1]!);
        out[i + 1] = x[i + 1]! + 0.05 * Math.cos(3 * x[i + 2]!);
        out[i + 2] = x[i + 2]! + 0.06 * Math.sin(3 * x[i]!);
      }
      return out;
    };
    const source = bunnySamples(N, 12);
    const target = { data: warp(bunnySamples(N, 13).data), shape: [N, 3] };
    const truth = warp(source.data);
    const r = register(source, target, { model: 'nonrigid', fitPoints: FIT });
    const meanErr = (p: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < N; i++)
        s += distance([p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!], truth.subarray(3 * i, 3 * i + 3));
      return s / N;
    };
    // (measured: 0.37 with 500 control points, below 0.25 with all 1500)
    expect(meanErr(r.aligned.data)).toBeLessThan(0.4 * meanErr(source.data));
    expect(r.displacement!.shape).toEqual([N, 3]);
    expect(r.confidence.shape).toEqual([N]);
    // apply() is the same interpolation: on the source it gives aligned.
    const again = r.apply(source).data;
    for (let k = 0; k < 3 * N; k++) expect(again[k]).toBeCloseTo(r.aligned.data[k]!, 12);
  });
});
