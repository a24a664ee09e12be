import type { Node } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import {
  decodeKron,
  decodeTensorDot,
  encodeTensorDot,
  kronAsTensorDot,
  type TensorDotSpec,
  tensorDotLayout,
} from '../../formula/ops/tensorparams.js';
import { defineVjp } from '../vjpRegistry.js';

/** VJP rules of MatVecMult, VecMatMult, TensorProd, TensorDot and Kron (all bilinear). */

defineVjp('MatVecMult', (n, c, k) => {
  const [a, v] = n.args;
  return k === 0 ? op('TensorProd', [c, v!]) : op('VecMatMult', [c, a!]);
});
defineVjp('VecMatMult', (n, c, k) => {
  const [v, a] = n.args;
  return k === 0 ? op('MatVecMult', [a!, c]) : op('TensorProd', [v!, c]);
});
defineVjp('TensorProd', (n, c, k) => {
  const [a, b] = n.args;
  return k === 0 ? op('MatVecMult', [c, b!]) : op('VecMatMult', [a!, c]);
});

/**
 * VJP of TensorDot(a, b; s) as another TensorDot. For a: contract the cotangent's axes that came
 * from b's free axes with those axes of b, then permute the result into a's axis order. For b:
 * contract a's free axes with the cotangent's axes that came from them, then permute into b's order.
 */
export function tensorDotVjp(s: TensorDotSpec, a: Node, b: Node, c: Node, k: number): Node {
  const L = tensorDotLayout(s);
  const nFA = L.freeA.length;
  const sorted = (xs: number[]) => [...xs].sort((p, q) => p - q);
  if (L.outShape.length === 0) {
    // Full contraction: the scalar cotangent times the other operand, its axes permuted. The
    // cotangent is seen as a tensor of shape [1] whose axis goes first (a) or last (b).
    if (k === 0) {
      const bToA = new Map(s.contB.map((bx, q) => [bx, s.contA[q]!]));
      const permute = [0, ...s.dimsB.map((_, bx) => 1 + bToA.get(bx)!)];
      return op(
        'TensorDot',
        [c, b],
        encodeTensorDot({ dimsA: [1], dimsB: s.dimsB, contA: [], contB: [], permute }),
      );
    }
    const aToB = new Map(s.contA.map((ax, q) => [ax, s.contB[q]!]));
    const permute = [...s.dimsA.map((_, ax) => aToB.get(ax)!), s.dimsB.length];
    return op(
      'TensorDot',
      [a, c],
      encodeTensorDot({ dimsA: s.dimsA, dimsB: [1], contA: [], contB: [], permute }),
    );
  }
  if (k === 0) {
    const contC = L.freeB.map((_, m) => L.perm[nFA + m]!);
    const freeC = sorted(L.freeA.map((_, m) => L.perm[m]!));
    // Axis of a carried by each axis of the result: free c axes, then b's remaining (contracted) axes.
    const cToA = new Map(L.freeA.map((ax, m) => [L.perm[m]!, ax]));
    const bToA = new Map(s.contB.map((bx, q) => [bx, s.contA[q]!]));
    const permute = [...freeC.map((p) => cToA.get(p)!), ...sorted(s.contB).map((bx) => bToA.get(bx)!)];
    const spec = { dimsA: L.outShape, dimsB: s.dimsB, contA: contC, contB: L.freeB, permute };
    return op('TensorDot', [c, b], encodeTensorDot(spec));
  }
  const contC = L.freeA.map((_, m) => L.perm[m]!);
  const freeC = sorted(L.freeB.map((_, m) => L.perm[nFA + m]!));
  const aToB = new Map(s.contA.map((ax, q) => [ax, s.contB[q]!]));
  const cToB = new Map(L.freeB.map((bx, m) => [L.perm[nFA + m]!, bx]));
  const permute = [...sorted(s.contA).map((ax) => aToB.get(ax)!), ...freeC.map((p) => cToB.get(p)!)];
  const spec = { dimsA: s.dimsA, dimsB: L.outShape, contA: L.freeA, contB: contC, permute };
  return op('TensorDot', [a, c], encodeTensorDot(spec));
}

defineVjp('TensorDot', (n, c, k) => tensorDotVjp(decodeTensorDot(n.params), n.args[0]!, n.args[1]!, c, k));
defineVjp('Kron', (n, c, k) => {
  const { dimsA, dimsB } = decodeKron(n.params);
  return tensorDotVjp(kronAsTensorDot(dimsA, dimsB), n.args[0]!, n.args[1]!, c, k);
});
