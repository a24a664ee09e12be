import { isDeviceBuffer } from '../backends/common/device.js';
import { getBackend, getDeviceBackend } from '../backends/registry.js';
import type { CompiledKernel, DeviceBuffer, KernelRanges, RunArgs } from '../backends/types.js';
import { check, LazyTensorError } from '../errors.js';
import { type Cat, isVar, mapDag, type Node, varCat, varIndex, variablesOf } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { VarLike } from '../formula/ops/leaves.js';
import type { KernelSpec, ReductionRequest } from '../kernel/spec.js';
import { specFor } from '../kernel/specCache.js';
import { allocFloat, type DType, type FloatArray, type NDArray, sizeOf } from '../ndarray.js';
import { type AccumulatorKind, type ReductionKind, reductionDef } from '../reduction/index.js';
import { broadcastShapes, expandBatch, repeatRows } from './batch.js';
import { asDtype, commonDtype, type InputArray } from './data.js';
import { finishGroupSums, groupSumsInput, groupSumsOutput } from './groupSumsOption.js';
import { blockDiagonalRanges, kernelRanges, type Ranges } from './ranges.js';

/** Options every reduction accepts. */
export interface ReduceOptions {
  /** 'auto' (default backend), 'js', 'native', 'cuda', ... */
  backend?: string;
  /** Block-sparse ranges (KeOps layout). */
  ranges?: Ranges;
  /** Accumulator of sums: the data dtype (default), float64 or Kahan. */
  accumulator?: AccumulatorKind;
}

/** A reduction request at the IR level, with its data. */
export interface ReduceRequest extends ReductionRequest {
  /**
   * Each Var node of formula/weight -> its data: Vi/Vj [..., n, dim], Pm [..., dim]. Extra entries
   * (variables not in the formula) only set sizes and batch shapes.
   */
  data: ReadonlyMap<Node, InputArray>;
  opts?: ReduceOptions;
  /** 'device': keep the result in a device backend's memory (cuda); default 'host'. */
  output?: 'host' | 'device';
  /**
   * Host arrays the results are written into (fresh ones when absent), so that iterative callers
   * (Lloyd iterations, solvers) reuse their buffers: values [rows·outDim] in the data dtype,
   * indices [rows·outIdxDim]. The result's NDArrays then wrap them.
   */
  into?: { values?: FloatArray; indices?: Int32Array; groups?: Float64Array };
  /**
   * Arg reductions over j (ArgMin, ArgMax, Min_ArgMin, Max_ArgMax): also sum, per column k, the
   * values of the rows whose selected column is k (weighted by `weights` when given), into
   * `groups` [nJ, D+1] of the result: row k = Σ w_i values_i, then Σ w_i (rows without a column,
   * index −1, add nothing). One call is the assignment and update steps of k-means. The sums are
   * float64 in one fixed order (reduction/groupSums.ts): the same bits on every backend and for
   * any thread count. Values [nI, D] (converted to the reduction's dtype), weights [nI].
   */
  groupSums?: { values: NDArray; weights?: NDArray };
}

/** Result of a reduction: values [..., n, outDim] and/or indices [..., n, outIdxDim]. */
export interface ReduceResult {
  values?: NDArray<FloatArray>;
  indices?: NDArray<Int32Array>;
  /** With output 'device': the results as device buffers (shapes as above). */
  device?: { values?: DeviceBuffer; indices?: DeviceBuffer };
  /** With `groupSums`: the sums [nJ, D+1] (float64). */
  groups?: NDArray<Float64Array>;
  /** Name of the backend that ran it. */
  backend: string;
}

/** Compiled kernels per spec (specs are cached per request, so this is an object lookup) and backend. */
const kernels = new WeakMap<KernelSpec, Map<string, CompiledKernel>>();

function describe(v: Node): string {
  const c = varCat(v);
  return `${c === 'i' ? 'Vi' : c === 'j' ? 'Vj' : 'Pm'} variable #${varIndex(v)} (dimension ${v.dim})`;
}

/**
 * The variables of a request in the order that sets sizes: those of the formula, of the weight,
 * then every other bound one (x - x is Zero, but the result still has one row per x_i).
 */
export function requestVars(req: ReductionRequest, bound: Iterable<Node>): Node[] {
  const vars = new Set<Node>(variablesOf(req.formula));
  if (req.weight) for (const v of variablesOf(req.weight)) vars.add(v);
  for (const v of bound) vars.add(v);
  return [...vars];
}

const NO_BATCH: readonly number[] = Object.freeze([]);

/** Rows of the i and j sides and batch shapes of a reduction's variables. */
export interface ReductionSizes {
  nI: number;
  nJ: number;
  /** Batch shape of each variable, in order. */
  batchShapes: (readonly number[])[];
  /** Their broadcast: the batch shape of the output. */
  bshape: number[];
}

/**
 * Validates the data shapes of a reduction's variables (`shapeOf(v)` gives one's, or throws) and
 * works out the sizes: the one source of a reduction's output shape [...bshape, rows, outDim],
 * for `reduce()` and for the host graph's static shapes.
 */
export function reductionSizes(
  vars: readonly Node[],
  shapeOf: (v: Node) => readonly number[],
): ReductionSizes {
  const sizes: Record<'i' | 'j', number | undefined> = { i: undefined, j: undefined };
  const batchShapes: (readonly number[])[] = [];
  for (const v of vars) {
    const shape = shapeOf(v);
    const cat = varCat(v);
    const rank = cat === 'p' ? 1 : 2;
    check(
      shape.length >= rank && shape[shape.length - 1] === v.dim,
      () =>
        `${describe(v)}: expected data of shape [${cat === 'p' ? '' : '..., n, '}${v.dim}], got [${shape.join(', ')}]`,
    );
    if (cat !== 'p') {
      const n = shape[shape.length - 2]!;
      const prev = sizes[cat];
      check(
        prev === undefined || prev === n,
        () =>
          `all ${cat}-indexed variables must have the same number of rows: got ${prev} and ${n} (${describe(v)})`,
      );
      sizes[cat] = n;
    }
    batchShapes.push(shape.length === rank ? NO_BATCH : shape.slice(0, shape.length - rank));
  }
  const bshape = batchShapes.every((b) => b.length === 0)
    ? []
    : broadcastShapes(batchShapes, () => 'between the variables of one reduction');
  return { nI: sizes.i ?? 1, nJ: sizes.j ?? 1, batchShapes, bshape };
}

/** Runs one reduction: validates shapes, broadcasts batches, builds the spec, runs the kernel. */
export function reduce(req: ReduceRequest): ReduceResult {
  const p = prepareReduce(req);
  if ('result' in p) return p.result;
  p.kernel.run(p.args);
  return p.finish();
}

/**
 * `reduce` without blocking the calling thread: the kernel runs on the backend's other threads
 * (its runAsync: js and wasm worker pools, native) while the caller awaits; backends without an
 * async path, and runs too small for threads, run synchronously. Errors reject.
 */
export async function reduceAsync(req: ReduceRequest): Promise<ReduceResult> {
  const p = prepareReduce(req);
  if ('result' in p) return p.result;
  if (p.kernel.runAsync) await p.kernel.runAsync(p.args);
  else p.kernel.run(p.args);
  return p.finish();
}

/** A reduction ready to run: its kernel and run arguments, and what makes the result once it ran. */
type PreparedReduce =
  | { result: ReduceResult }
  | { kernel: CompiledKernel; args: RunArgs; finish: () => ReduceResult };

/** Everything of `reduce` but the kernel's run (output 'device' runs here: device backends queue their work). */
function prepareReduce(req: ReduceRequest): PreparedReduce {
  const { axis } = req;
  check(axis === 'i' || axis === 'j', () => `axis must be 'i' or 'j', got ${String(axis)}`);
  const vars = requestVars(req, req.data.keys());
  const arrays: InputArray[] = [];
  const { nI, nJ, batchShapes, bshape } = reductionSizes(vars, (v) => {
    const a = req.data.get(v);
    if (!a) throw new LazyTensorError(`no data given for ${describe(v)}`);
    arrays.push(a);
    return a.shape;
  });
  const dtype = commonDtype(arrays);
  const B = sizeOf(bshape);
  const batched = bshape.length > 0;
  const rowCat: Cat = axis === 'j' ? 'i' : 'j';
  const [nRows, nCols] = axis === 'j' ? [nI, nJ] : [nJ, nI];

  // Batched parameters become row variables (one copy of the parameter per row of its batch).
  let formula = req.formula;
  let weight = req.weight;
  // Device buffers name the backend whose memory holds them: that backend runs the reduction.
  const owners: string[] = [];
  for (const a of arrays) if (isDeviceBuffer(a) && !owners.includes(a.backend)) owners.push(a.backend);
  const onDevice = owners.length > 0;
  if (onDevice) {
    check(
      !batched,
      'device arrays cannot be combined with batch dimensions (give non-batched [n, dim] arrays)',
    );
    check(
      owners.length === 1,
      () => `device arrays of different backends (${owners.join(', ')}) cannot be mixed in one reduction`,
    );
    const want = req.opts?.backend;
    check(
      want === undefined || want === 'auto' || want === owners[0],
      () => `device arrays need the '${owners[0]}' backend (the one holding them), got backend '${want}'`,
    );
  }
  const inputOf = new Map<Node, FloatArray | DeviceBuffer>();
  vars.forEach((v, k) => {
    const a = arrays[k]!;
    const cat = varCat(v);
    if (isDeviceBuffer(a)) {
      check(
        a.dtype === dtype,
        () => `mixed dtypes: a device array is ${a.dtype}, the other data is ${dtype}`,
      );
      inputOf.set(v, a);
      return;
    }
    const inner = cat === 'p' ? v.dim : a.shape[a.shape.length - 2]! * v.dim;
    let data = asDtype(a.data as FloatArray, dtype);
    if (batched) data = expandBatch(data, batchShapes[k]!, bshape, inner);
    if (cat === 'p' && batched) {
      const rowVar = VarLike(v, v.dim, rowCat);
      check(!req.data.has(rowVar), 'internal: batched parameter clashes with a row variable');
      const sub = (n: Node) => (n === v ? rowVar : undefined);
      const rebuild = (name: string, args: Node[], params: readonly number[]) => op(name, args, params);
      formula = mapDag(formula, sub, rebuild);
      if (weight) weight = mapDag(weight, sub, rebuild);
      inputOf.set(rowVar, repeatRows(data, B, nRows, v.dim));
    } else {
      inputOf.set(v, data);
    }
  });

  let ranges: KernelRanges | undefined;
  if (req.opts?.ranges) {
    check(
      !batched,
      'ranges cannot be combined with batch dimensions: flatten the batch and give block-diagonal ranges',
    );
    ranges = kernelRanges(req.opts.ranges, axis, nRows, nCols);
  } else if (batched && B > 1) {
    ranges = blockDiagonalRanges(B, nRows, nCols);
  }

  const gsIn = req.groupSums && groupSumsInput(req.groupSums, axis, nRows, dtype, batched || onDevice);
  const { spec, slotVars } = specFor({
    formula,
    weight,
    kind: req.kind,
    k: req.k,
    axis,
    dtype,
    accumulator: req.opts?.accumulator,
    groupSums: gsIn && { dim: gsIn.dim, weighted: gsIn.weights !== undefined },
  });
  if (spec.reduction.k > 0) {
    check(
      spec.reduction.k <= nCols,
      () => `${req.kind}: K = ${spec.reduction.k} is larger than the reduced size ${nCols} (over ${axis})`,
    );
  }
  checkNonEmpty(req.kind, nCols, axis);
  const backend = onDevice
    ? getBackend(owners[0])
    : req.output === 'device'
      ? getDeviceBackend(req.opts?.backend)
      : getBackend(req.opts?.backend);
  let byBackend = kernels.get(spec);
  if (!byBackend) {
    byBackend = new Map();
    kernels.set(spec, byBackend);
  }
  let kernel = byBackend.get(backend.name);
  if (!kernel) {
    kernel = backend.compile(spec);
    byBackend.set(backend.name, kernel);
  }
  const rowsTotal = B * nRows;
  const inputs = slotVars.map((v) => inputOf.get(v)!);
  if (req.output === 'device') {
    check(
      req.into === undefined,
      "reduce: into (host result arrays) cannot be combined with output 'device'",
    );
    check(req.groupSums === undefined, "reduce: groupSums cannot be combined with output 'device'");
    const { empty } = backend;
    check(
      kernel.runDevice !== undefined && empty !== undefined,
      () => `output 'device' needs a backend with device memory, got backend '${backend.name}'`,
    );
    const r = kernel.runDevice({
      inputs,
      nI: rowsTotal,
      nJ: B * nCols,
      ranges,
      out: spec.outDim > 0 ? empty.call(backend, dtype, [rowsTotal, spec.outDim]) : undefined,
      outIdx: spec.outIdxDim > 0 ? empty.call(backend, 'int32', [rowsTotal, spec.outIdxDim]) : undefined,
    });
    return { result: { backend: kernel.backend, device: { values: r.out, indices: r.outIdx } } };
  }
  const out =
    spec.outDim > 0 ? outputBuffer(req.into?.values, dtype, rowsTotal * spec.outDim, 'values') : undefined;
  const outIdx =
    spec.outIdxDim > 0
      ? outputBuffer(req.into?.indices, 'int32', rowsTotal * spec.outIdxDim, 'indices')
      : undefined;
  // Host typed arrays, or device buffers that their backend's kernel reads in place.
  const args: RunArgs = { inputs: inputs as FloatArray[], nI: rowsTotal, nJ: B * nCols, out, outIdx, ranges };
  if (gsIn) args.groups = groupSumsOutput(gsIn, nCols, req.into?.groups);
  return {
    kernel,
    args,
    finish: () => {
      const res = reduceResult(kernel.backend, spec, bshape, nRows, nCols, B, out, outIdx);
      if (gsIn && args.groups) res.groups = finishGroupSums(gsIn, args.groups, outIdx!, nCols);
      return res;
    },
  };
}

/** The result of a host run: outputs shaped [...bshape, nRows, dim], batch indices made local. */
function reduceResult(
  backend: string,
  spec: KernelSpec,
  bshape: number[],
  nRows: number,
  nCols: number,
  B: number,
  out: FloatArray | undefined,
  outIdx: Int32Array | undefined,
): ReduceResult {
  const batched = bshape.length > 0;
  const res: ReduceResult = { backend };
  if (out) res.values = { data: out, shape: [...bshape, nRows, spec.outDim] };
  if (outIdx) {
    if (batched && B > 1) {
      // Indices are local to each batch.
      for (let b = 1; b < B; b++) {
        const base = b * nCols;
        const s = b * nRows * spec.outIdxDim;
        for (let t = s; t < s + nRows * spec.outIdxDim; t++)
          if (outIdx[t]! >= 0) outIdx[t] = outIdx[t]! - base;
      }
    }
    res.indices = { data: outIdx, shape: [...bshape, nRows, spec.outIdxDim] };
  }
  return res;
}

/** The given output buffer after checking its type and length, or a fresh one. */
function outputBuffer<D extends DType | 'int32'>(
  given: FloatArray | Int32Array | undefined,
  dtype: D,
  n: number,
  what: string,
): D extends 'int32' ? Int32Array : FloatArray {
  type R = D extends 'int32' ? Int32Array : FloatArray;
  if (given === undefined) return (dtype === 'int32' ? new Int32Array(n) : allocFloat(dtype, n)) as R;
  const Want = dtype === 'int32' ? Int32Array : dtype === 'float32' ? Float32Array : Float64Array;
  check(
    given instanceof Want && given.length === n,
    () =>
      `reduce: into.${what} must be a ${Want.name} of ${n} values, got ${ArrayBuffer.isView(given) ? `a ${given.constructor.name} of ${given.length}` : typeof given}`,
  );
  return given as R;
}

/** Rejects a reduction over an empty index set (M = 0 over j, N = 0 over i) when its result is undefined. */
export function checkNonEmpty(kind: ReductionKind, nCols: number, axis: 'i' | 'j'): void {
  const what = reductionDef(kind).undefinedOnEmpty;
  check(
    nCols > 0 || what === undefined,
    () =>
      `${kind} over ${axis}: the reduced size is 0 (no ${axis}-indexed points), and ${what} of an empty set ` +
      `is undefined; Sum (0), LogSumExp (−inf), Min (+inf) and Max (−inf) accept an empty set`,
  );
}

/** True when `n` is a variable node (re-export for callers building data maps). */
export { isVar };
