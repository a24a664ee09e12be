import { check } from '../errors.js';
import type { Node } from '../formula/node.js';
import { type ReductionRequest, requestOutDims, userOutputShape } from '../kernel/spec.js';
import { type FloatArray, type NDArray, sizeOf } from '../ndarray.js';
import { expandBatch, repeatRows } from './batch.js';
import { host, type InputArray, markFlexible } from './data.js';
import {
  type ReduceOptions,
  type ReduceRequest,
  type ReduceResult,
  reduce,
  reduceAsync,
  reductionSizes,
  requestVars,
} from './reduce.js';

/**
 * A small host-side expression graph whose nodes are arrays: user data, reduction outputs and a
 * few shape operations. Reduction gradients are built as more nodes of this graph (reverse mode
 * over reductions), so gradients of gradients work, and saved forward results (log-sum-exp,
 * softmax normalisers, argmin indices) are graph nodes rather than frozen numbers.
 */
export type HostExpr = DataExpr | ReduceExpr | AddExpr | ShapeExpr | IndexFloatExpr;

export interface DataExpr {
  readonly kind: 'data';
  readonly array: InputArray;
}
export interface ReduceExpr {
  readonly kind: 'reduce';
  /** The reduction (formula, weight, kind, K, axis), as every layer below records it. */
  readonly request: ReductionRequest;
  /** Data of each Var of formula/weight. */
  readonly inputs: ReadonlyMap<Node, HostExpr>;
  readonly opts: ReduceOptions;
  /** Which output of the reduction this node stands for. */
  readonly take: 'values' | 'indices';
}
export interface AddExpr {
  readonly kind: 'add';
  readonly terms: readonly HostExpr[];
}
/**
 * rowsum: sum over axis -2; repeatRows: the inverse broadcast ([..., d] -> `shape` = [..., n, d]);
 * sumTo: sum broadcast dims down to `shape`; expand: broadcast up to `shape`.
 */
export interface ShapeExpr {
  readonly kind: 'rowsum' | 'repeatRows' | 'sumTo' | 'expand';
  readonly arg: HostExpr;
  readonly shape: readonly number[];
}
/** Integer indices as float values (dtype follows the data of the reduction that reads them). */
export interface IndexFloatExpr {
  readonly kind: 'indexFloat';
  readonly arg: HostExpr;
}

const leaves = new WeakMap<InputArray, DataExpr>();
/** The one leaf of an array (so every variable bound to the same array shares its gradient). */
export function leaf(array: InputArray): DataExpr {
  let l = leaves.get(array);
  if (!l) {
    l = { kind: 'data', array };
    leaves.set(array, l);
  }
  return l;
}

const shapeMemo = new WeakMap<HostExpr, readonly number[]>();

/** Static shape of a node's value. */
export function shapeOf(e: HostExpr): readonly number[] {
  const hit = shapeMemo.get(e);
  if (hit) return hit;
  let s: readonly number[];
  switch (e.kind) {
    case 'data':
      s = e.array.shape;
      break;
    case 'add':
      s = shapeOf(e.terms[0]!);
      break;
    case 'rowsum': {
      const a = shapeOf(e.arg);
      s = [...a.slice(0, -2), a[a.length - 1]!];
      break;
    }
    case 'sumTo':
    case 'expand':
    case 'repeatRows':
      s = e.shape;
      break;
    case 'indexFloat':
      s = shapeOf(e.arg);
      break;
    case 'reduce':
      s = reduceShape(e);
      break;
  }
  shapeMemo.set(e, s);
  return s;
}

function reduceShape(e: ReduceExpr): number[] {
  const { nI, nJ, bshape } = reductionSizes(requestVars(e.request, e.inputs.keys()), (v) =>
    shapeOf(e.inputs.get(v)!),
  );
  const dims = requestOutDims(e.request);
  return [...bshape, e.request.axis === 'j' ? nI : nJ, e.take === 'values' ? dims.values : dims.indices];
}

/** The shape the user sees of a reduction node's output (K-min kinds: [..., n, K(, dimF)]). */
export function userShapeOf(e: ReduceExpr): number[] {
  return userOutputShape(e.request, shapeOf(e));
}

/** Evaluates a node (memoised within one call), returning an array of its static shape. */
export function evaluate(
  root: HostExpr,
  memo = new Map<HostExpr, InputArray>(),
  override: ReduceOptions = {},
): InputArray {
  const hit = memo.get(root);
  if (hit) return hit;
  let out: InputArray;
  switch (root.kind) {
    case 'data':
      out = root.array;
      break;
    case 'reduce': {
      const res = runReduceExpr(root, memo, override);
      out = root.take === 'values' ? res.values! : res.indices!;
      break;
    }
    case 'add': {
      const parts = root.terms.map((t) => host(evaluate(t, memo, override)));
      const first = parts[0]!.data as FloatArray;
      const acc = new (first.constructor as { new (len: number): FloatArray })(first.length);
      for (const p of parts) {
        const d = p.data as FloatArray;
        check(d.length === acc.length, 'internal: gradient terms of different sizes');
        for (let t = 0; t < acc.length; t++) acc[t]! += d[t];
      }
      out = { data: acc, shape: [...parts[0]!.shape] };
      break;
    }
    case 'rowsum': {
      const a = host(evaluate(root.arg, memo, override));
      const sh = a.shape;
      const n = sh[sh.length - 2]!;
      const d = sh[sh.length - 1]!;
      const B = sizeOf(sh.slice(0, -2));
      const src = a.data as FloatArray;
      const dst = new (src.constructor as { new (len: number): FloatArray })(B * d);
      for (let b = 0; b < B; b++) {
        for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) dst[b * d + c]! += src[(b * n + r) * d + c];
      }
      out = { data: dst, shape: [...sh.slice(0, -2), d] };
      break;
    }
    case 'sumTo':
      out = sumTo(host(evaluate(root.arg, memo, override)), root.shape);
      break;
    case 'expand': {
      const a = host(evaluate(root.arg, memo, override));
      const to = root.shape;
      out = { data: expandBatch(a.data as FloatArray, a.shape, to, 1), shape: [...to] };
      break;
    }
    case 'repeatRows': {
      const a = host(evaluate(root.arg, memo, override));
      const sh = root.shape;
      const n = sh[sh.length - 2]!;
      const d = sh[sh.length - 1]!;
      out = { data: repeatRows(a.data as FloatArray, sizeOf(sh.slice(0, -2)), n, d), shape: [...sh] };
      break;
    }
    case 'indexFloat': {
      const a = host(evaluate(root.arg, memo, override));
      out = markFlexible({ data: Float64Array.from(a.data as Int32Array), shape: [...a.shape] });
      break;
    }
  }
  memo.set(root, out);
  return out;
}

/**
 * Evaluates a reduction node's inputs (memoised in `memo`) and runs the reduction once, with both
 * of its outputs; `override` replaces options, `output: 'device'` keeps the result on the GPU.
 */
export function runReduceExpr(
  e: ReduceExpr,
  memo = new Map<HostExpr, InputArray>(),
  override: ReduceOptions = {},
  output: 'host' | 'device' = 'host',
): ReduceResult {
  return reduce(reduceRequest(e, memo, override, output));
}

/** The request of a reduction node, its inputs evaluated (memoised in `memo`). */
function reduceRequest(
  e: ReduceExpr,
  memo: Map<HostExpr, InputArray>,
  override: ReduceOptions,
  output: 'host' | 'device',
): ReduceRequest {
  const data = new Map<Node, InputArray>();
  for (const [v, h] of e.inputs) data.set(v, evaluate(h, memo, override));
  return { ...e.request, data, opts: { ...e.opts, ...override }, output };
}

/**
 * `evaluate` without blocking the calling thread: every reduction of the graph, inner ones
 * first, runs through reduceAsync (the backend's threads compute while the caller awaits), its
 * result memoised; the array operations between them then run as in `evaluate`.
 */
export async function evaluateAsync(root: HostExpr, override: ReduceOptions = {}): Promise<InputArray> {
  const memo = new Map<HostExpr, InputArray>();
  for (const e of reductionsInOrder(root)) {
    const res = await reduceAsync(reduceRequest(e, memo, override, 'host'));
    memo.set(e, e.take === 'values' ? res.values! : res.indices!);
  }
  return evaluate(root, memo, override);
}

/** The reduction nodes under `root`, each once, every one after those its inputs depend on. */
function reductionsInOrder(root: HostExpr): ReduceExpr[] {
  const order: ReduceExpr[] = [];
  const seen = new Set<HostExpr>();
  const visit = (e: HostExpr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    switch (e.kind) {
      case 'data':
        return;
      case 'reduce':
        for (const h of e.inputs.values()) visit(h);
        order.push(e);
        return;
      case 'add':
        for (const t of e.terms) visit(t);
        return;
      default:
        visit(e.arg);
    }
  };
  visit(root);
  return order;
}

/** Sums a [..from] array down to a broadcast-compatible `shape` (NumPy's unbroadcast). */
export function sumTo(a: NDArray, shape: readonly number[]): NDArray {
  const from = a.shape;
  if (from.length === shape.length && from.every((s, k) => s === shape[k])) return a;
  const src = a.data as FloatArray;
  const dst = new (src.constructor as { new (len: number): FloatArray })(sizeOf(shape));
  const rank = from.length;
  const tgt = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const strides = new Array<number>(rank).fill(0);
  let st = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = tgt[k] === 1 ? 0 : st;
    st *= tgt[k]!;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let t = 0; t < src.length; t++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += idx[k]! * strides[k]!;
    dst[off]! += src[t];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < from[k]!) break;
      idx[k] = 0;
    }
  }
  return { data: dst, shape: [...shape] };
}
