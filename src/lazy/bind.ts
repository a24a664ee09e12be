import { isDeviceBuffer } from '../backends/common/device.js';
import type { DeviceBuffer } from '../backends/types.js';
import { check, LazyTensorError } from '../errors.js';
import type { Node } from '../formula/node.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import {
  type ArrayLike,
  checkDeviceInput,
  checkFiniteParam,
  type InputArray,
  paramArray,
  toFloatArray,
} from './data.js';
import { freshVar } from './vars.js';

/** A fresh variable bound to its data: what Vi, Vj and Pm wrap in a LazyTensor. */
export interface Bound {
  readonly node: Node;
  readonly vars: ReadonlyMap<Node, InputArray>;
}

function bound(node: Node, data: InputArray): Bound {
  const vars = new Map<Node, InputArray>();
  vars.set(node, data);
  return { node, vars };
}

/** Binds rows x ([N, D], [B..., N, D]; [N] means D = 1) to a fresh i- or j-variable. */
export function bindRows(x: unknown, cat: 'i' | 'j', what: string): Bound {
  if (isDeviceBuffer(x)) {
    const d = checkDeviceInput(x, what, 2);
    return bound(freshVar(d.shape[d.shape.length - 1]!, cat), d);
  }
  if (Array.isArray(x) && x.length > 0 && !Array.isArray(x[0])) {
    throw new LazyTensorError(
      `${what}: expected rows (number[][]) or an NDArray, got a flat number[] of ${x.length} values; ` +
        `write [[${x[0]}], …] for ${x.length} points of dimension 1, or array(data, [N, D])`,
    );
  }
  let a = toFloatArray(x as ArrayLike, what);
  if (a.shape.length === 1) a = { data: a.data, shape: [a.shape[0]!, 1] };
  const dim = a.shape[a.shape.length - 1]!;
  check(
    dim >= 1,
    () =>
      `${what}: the last dimension (the vector dimension) must be >= 1, got shape [${a.shape.join(', ')}]`,
  );
  return bound(freshVar(dim, cat), a);
}

/** Binds a parameter (number, number[], NDArray [D] or [B..., D]) to a fresh p-variable. */
export function bindParam(p: number | number[] | NDArray | DeviceBuffer): Bound {
  if (isDeviceBuffer(p)) {
    const d = checkDeviceInput(p, 'Pm()', 1);
    return bound(freshVar(d.shape[d.shape.length - 1]!, 'p'), d);
  }
  let a: NDArray<FloatArray>;
  if (typeof p === 'number' || Array.isArray(p)) a = paramArray(p as number | number[]);
  else {
    a = toFloatArray(p, 'Pm()');
    checkFiniteParam(a.data, 'Pm()');
  }
  const dim = a.shape[a.shape.length - 1]!;
  check(dim >= 1, () => `Pm(): expected at least one value, got shape [${a.shape.join(', ')}]`);
  return bound(freshVar(dim, 'p'), a);
}
