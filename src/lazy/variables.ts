import type { DeviceBuffer } from '../backends/types.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { bindParam, bindRows } from './bind.js';
import { LazyTensor } from './lazytensor.js';

// The overloads carry the dtype of the data into the LazyTensor's type (number[][] is float64),
// so reductions return NDArray<Float32Array> or NDArray<Float64Array>.

/** An i-indexed variable: x of shape [N, D] (or [B..., N, D]; [N] means D = 1). */
export function Vi<T extends FloatArray>(x: NDArray<T>): LazyTensor<T>;
export function Vi(x: number[][]): LazyTensor<Float64Array>;
export function Vi(x: NDArray | number[][] | DeviceBuffer): LazyTensor;
export function Vi(x: NDArray | number[][] | DeviceBuffer): LazyTensor {
  const b = bindRows(x, 'i', 'Vi()');
  return new LazyTensor(b.node, b.vars);
}
/** A j-indexed variable: y of shape [M, D] (or [B..., M, D]). */
export function Vj<T extends FloatArray>(y: NDArray<T>): LazyTensor<T>;
export function Vj(y: number[][]): LazyTensor<Float64Array>;
export function Vj(y: NDArray | number[][] | DeviceBuffer): LazyTensor;
export function Vj(y: NDArray | number[][] | DeviceBuffer): LazyTensor {
  const b = bindRows(y, 'j', 'Vj()');
  return new LazyTensor(b.node, b.vars);
}
/** A parameter: the same for every (i, j); number, number[] or NDArray [D] (or [B..., D]). */
export function Pm<T extends FloatArray>(p: NDArray<T>): LazyTensor<T>;
export function Pm(p: number | number[] | NDArray | DeviceBuffer): LazyTensor;
export function Pm(p: number | number[] | NDArray | DeviceBuffer): LazyTensor {
  const b = bindParam(p);
  return new LazyTensor(b.node, b.vars);
}
