/**
 * The `groupSums` option of `reduce` (reduce.ts): its input checks, the run's output array, and
 * the host pass for kernels that do not sum the groups themselves. The order of the sums is
 * defined once, in reduction/groupSums.ts.
 */
import type { GroupSumsRun } from '../backends/types.js';
import { check } from '../errors.js';
import { type DType, type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import { groupSumsHost } from '../reduction/groupSums.js';
import { asDtype } from './data.js';

/** The option's arrays, checked and converted: values [nI·dim] in the reduction's dtype. */
export interface GroupSumsIn {
  values: FloatArray;
  dim: number;
  weights?: Float64Array;
}

/** The host arrays of a `groupSums` option, checked against nI rows and converted to `dtype`. */
export function groupSumsInput(
  opt: { values: NDArray; weights?: NDArray },
  axis: 'i' | 'j',
  nI: number,
  dtype: DType,
  batchedOrDevice: boolean,
): GroupSumsIn {
  const { values, weights } = opt;
  check(axis === 'j', () => `groupSums needs a reduction over j (one index per i-row), got axis '${axis}'`);
  check(
    !batchedOrDevice,
    'groupSums needs host arrays without batch dimensions (flatten the batch, copy device arrays to the host)',
  );
  check(isNDArray(values), 'groupSums.values must be a host array { data, shape: [nI, D] }');
  const shape = values.shape;
  check(
    shape.length === 2 &&
      shape[0] === nI &&
      Number.isInteger(shape[1]) &&
      shape[1]! >= 1 &&
      values.data.length === nI * shape[1]!,
    () =>
      `groupSums.values: expected shape [${nI}, D] with D >= 1 (one row per i-row), got [${shape.join(', ')}]`,
  );
  check(
    values.data instanceof Float32Array || values.data instanceof Float64Array,
    () => `groupSums.values must be float32 or float64, got ${values.data.constructor.name}`,
  );
  let w: Float64Array | undefined;
  if (weights !== undefined) {
    check(isNDArray(weights), 'groupSums.weights must be a host array { data, shape: [nI] }');
    check(
      weights.data.length === nI &&
        (weights.shape.length === 1 || (weights.shape.length === 2 && weights.shape[1] === 1)),
      () =>
        `groupSums.weights: expected shape [${nI}] (one weight per i-row), got [${weights.shape.join(', ')}]`,
    );
    check(
      weights.data instanceof Float32Array || weights.data instanceof Float64Array,
      () => `groupSums.weights must be float32 or float64, got ${weights.data.constructor.name}`,
    );
    w = asDtype(weights.data as FloatArray, 'float64') as Float64Array;
  }
  return { values: asDtype(values.data as FloatArray, dtype), dim: shape[1]!, weights: w };
}

/** The run's group-sum arrays, writing into `given` (into.groups, checked) or a new array. */
export function groupSumsOutput(g: GroupSumsIn, nCols: number, given: unknown): GroupSumsRun {
  const size = nCols * (g.dim + 1);
  check(
    given === undefined || (given instanceof Float64Array && given.length === size),
    () =>
      `reduce: into.groups must be a Float64Array of ${size} values, got ${ArrayBuffer.isView(given) ? `a ${given.constructor.name} of ${(given as Float64Array).length}` : typeof given}`,
  );
  return {
    values: g.values,
    weights: g.weights,
    out: (given as Float64Array | undefined) ?? new Float64Array(size),
  };
}

/**
 * The sums [nCols, dim + 1] after the run: kernels that do not sum the groups themselves (all but
 * native) leave it to this host pass, in the same order.
 */
export function finishGroupSums(
  g: GroupSumsIn,
  run: GroupSumsRun,
  indices: Int32Array,
  nCols: number,
): NDArray<Float64Array> {
  if (!run.written) groupSumsHost({ ...g, indices }, nCols, run.out);
  return { data: run.out, shape: [nCols, g.dim + 1] };
}
