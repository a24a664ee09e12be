import { check } from '../../errors.js';
import { isZero } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { Zero } from './leaves.js';
import {
  decodeKron,
  decodeTensorDot,
  encodeTensorDot,
  prod,
  strides,
  tensorDotLayout,
} from './tensorparams.js';

/**
 * TensorDot(a, b; params) and Kron(a, b; params): tensor contractions of the components of one
 * (i, j) pair, operands viewed as row-major tensors. Params are encoded by tensorparams.ts.
 */

defineOp({
  name: 'TensorDot',
  arity: 2,
  nParams: -1,
  dim: ([a, b], params) => {
    const s = decodeTensorDot(params);
    check(
      prod(s.dimsA) === a,
      () => `TensorDot: a has dimension ${a}, its shape [${s.dimsA}] needs ${prod(s.dimsA)}`,
    );
    check(
      prod(s.dimsB) === b,
      () => `TensorDot: b has dimension ${b}, its shape [${s.dimsB}] needs ${prod(s.dimsB)}`,
    );
    return prod(tensorDotLayout(s).resShape);
  },
  simplify([a, b], params) {
    const s = decodeTensorDot(params);
    const L = tensorDotLayout(s);
    if (isZero(a!) || isZero(b!)) return Zero(prod(L.resShape));
    const canon = encodeTensorDot(s);
    if (canon.length !== params.length) return op('TensorDot', [a!, b!], canon);
    const identity = s.permute.length === 0;
    if (identity && s.contA.length === 0) return op('TensorProd', [a!, b!]);
    const inOrder = (c: number[], n: number) => c.length === n && c.every((x, k) => x === k);
    if (inOrder(s.contA, s.dimsA.length) && inOrder(s.contB, s.dimsB.length)) return op('Scalprod', [a!, b!]);
    return undefined;
  },
  emit: (_c, [a, b], params, dim) => {
    const s = decodeTensorDot(params);
    const L = tensorDotLayout(s);
    const sa = strides(s.dimsA);
    const sb = strides(s.dimsB);
    const contShape = s.contA.map((k) => s.dimsA[k]!);
    const nCont = prod(contShape);
    const contStrides = strides(contShape);
    const outStrides = strides(L.outShape);
    const nFA = L.freeA.length;
    const out: string[] = [];
    for (let o = 0; o < dim; o++) {
      const oi = L.outShape.map((_, q) => Math.floor(o / outStrides[q]!) % L.outShape[q]!);
      let baseA = 0;
      let baseB = 0;
      L.perm.forEach((p, k) => {
        if (k < nFA) baseA += oi[p]! * sa[L.freeA[k]!]!;
        else baseB += oi[p]! * sb[L.freeB[k - nFA]!]!;
      });
      const terms: string[] = [];
      for (let c = 0; c < nCont; c++) {
        let ia = baseA;
        let ib = baseB;
        contShape.forEach((size, q) => {
          const cq = Math.floor(c / contStrides[q]!) % size;
          ia += cq * sa[s.contA[q]!]!;
          ib += cq * sb[s.contB[q]!]!;
        });
        terms.push(`${a![ia]} * ${b![ib]}`);
      }
      out.push(`(${terms.join(' + ')})`);
    }
    return out;
  },
});

defineOp({
  name: 'Kron',
  arity: 2,
  nParams: -1,
  dim: ([a, b], params) => {
    const { dimsA, dimsB } = decodeKron(params);
    check(prod(dimsA) === a, () => `Kron: a has dimension ${a}, its shape [${dimsA}] needs ${prod(dimsA)}`);
    check(prod(dimsB) === b, () => `Kron: b has dimension ${b}, its shape [${dimsB}] needs ${prod(dimsB)}`);
    return a! * b!;
  },
  simplify([a, b], params) {
    if (isZero(a!) || isZero(b!)) return Zero(a!.dim * b!.dim);
    if (params[0] === 1) return op('TensorProd', [a!, b!]);
    return undefined;
  },
  emit: (_c, [a, b], params, dim) => {
    const { dimsA, dimsB } = decodeKron(params);
    const outShape = dimsA.map((d, k) => d * dimsB[k]!);
    const so = strides(outShape);
    const sa = strides(dimsA);
    const sb = strides(dimsB);
    const out = new Array<string>(dim);
    for (let p = 0; p < a!.length; p++) {
      for (let q = 0; q < b!.length; q++) {
        let o = 0;
        dimsA.forEach((da, k) => {
          const i = Math.floor(p / sa[k]!) % da;
          const j = Math.floor(q / sb[k]!) % dimsB[k]!;
          o += (i * dimsB[k]! + j) * so[k]!;
        });
        out[o] = `(${a![p]} * ${b![q]})`;
      }
    }
    return out;
  },
});
