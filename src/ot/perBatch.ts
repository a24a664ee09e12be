import type { FloatArray, NDArray } from '../ndarray.js';
import type { Cloud } from './input.js';
import type { SinkhornProblem } from './problem.js';
import type { Convergence, SamplesLossResult, SamplesLossValue } from './result.js';

/**
 * A batched problem ([B, N, D] clouds) solved one batch element at a time by an unbatched solver
 * (the multiscale backend: each element has its own clusters and truncated kernels). Values,
 * potentials and gradients are assembled in the batched layout (gradients of value_b with respect
 * to element b); the convergence report keeps the largest marginal error and extra iterations
 * over the elements and the levels of the first one.
 */
export function perBatch(
  pr: SinkhornProblem,
  solve: (element: SinkhornProblem) => SamplesLossResult | SamplesLossValue,
): SamplesLossResult | SamplesLossValue {
  const { x, y } = pr;
  const B = x.B;
  const element = (c: Cloud, b: number): Cloud => ({
    ...c,
    data: c.data.subarray(b * c.n * c.d, (b + 1) * c.n * c.d),
    B: 1,
    batched: false,
    shape: [c.n, c.d],
  });
  const results = Array.from({ length: B }, (_, b) =>
    solve({
      ...pr,
      x: element(x, b),
      y: element(y, b),
      a: pr.a.subarray(b * x.n, (b + 1) * x.n),
      b: pr.b.subarray(b * y.n, (b + 1) * y.n),
    }),
  );
  const stack = (parts: NDArray<FloatArray>[], shape: number[]): NDArray<FloatArray> => {
    const first = parts[0]!.data;
    const out = new (first.constructor as { new (n: number): FloatArray })(first.length * B);
    parts.forEach((p, b) => out.set(p.data, b * first.length));
    return { data: out, shape };
  };
  const first = results[0]!;
  const conv = first.convergence;
  const convergence: Convergence | undefined = conv && {
    ...conv,
    marginalError: Math.max(...results.map((r) => r.convergence!.marginalError)),
    extraIterations: Math.max(...results.map((r) => r.convergence!.extraIterations)),
  };
  const out: SamplesLossValue = {
    ...first,
    value: Float64Array.from(results, (r) => r.value as number),
    potentials: {
      f: stack(
        results.map((r) => r.potentials.f),
        [B, x.n],
      ),
      g: stack(
        results.map((r) => r.potentials.g),
        [B, y.n],
      ),
    },
    iterations: Math.max(...results.map((r) => r.iterations)),
    convergence,
  };
  if (!('gradX' in first)) return out;
  const full = results as SamplesLossResult[];
  return {
    ...out,
    gradX: stack(
      full.map((r) => r.gradX),
      [B, x.n, x.d],
    ),
    gradY: stack(
      full.map((r) => r.gradY),
      [B, y.n, y.d],
    ),
    gradA: stack(
      full.map((r) => r.gradA),
      [B, x.n],
    ),
    gradB: stack(
      full.map((r) => r.gradB),
      [B, y.n],
    ),
  } as SamplesLossResult;
}
