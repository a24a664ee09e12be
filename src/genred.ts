/**
 * `genred`: KeOps' generic reduction from formula strings.
 *
 *   const gauss = genred('Exp(-SqDist(x,y)*g) * b',
 *     ['x = Vi(3)', 'y = Vj(3)', 'b = Vj(1)', 'g = Pm(1)'], 'Sum', { axis: 'j' });
 *   const out = gauss(x, y, b, 0.5);
 *
 * The strings are parsed once (src/syntax), never evaluated; each call validates its arguments and
 * runs the reduction through the same engine as LazyTensor (src/lazy/reduce).
 */
import { check, LazyTensorError } from './errors.js';
import type { Cat, Node } from './formula/node.js';
import { userOutputShape } from './kernel/spec.js';
import { asDtype, checkFiniteParam } from './lazy/data.js';
import type { Ranges } from './lazy/ranges.js';
import { reduce } from './lazy/reduce.js';
import { type DType, dtypeOf, type FloatArray, isNDArray, type NDArray, sizeOf } from './ndarray.js';
import {
  type AccumulatorKind,
  kindsWhere,
  REDUCTION_KINDS,
  type ReductionKind,
  type ReductionOutputsOf,
  reductionDef,
} from './reduction/index.js';
import { parseProgram } from './syntax/program.js';
import type { VariableInfo } from './syntax/variables.js';

/** What a genred function accepts for one variable. */
export type GenredArg = NDArray | number[][] | number[] | number | FloatArray;

/** Options of `genred` (KeOps' Genred arguments). */
export interface GenredOptions {
  /** The reduced index: 0 or 'i' (one result row per j; the default, as in KeOps), 1 or 'j'. */
  axis?: 0 | 1 | 'i' | 'j';
  /** K of KMin, ArgKMin, KMin_ArgKMin. */
  K?: number;
  /** KeOps' name for K. */
  optArg?: number;
  /** The weight formula G of SumSoftMaxWeight and LogSumExpWeight. */
  formula2?: string;
  /** 'auto' (default), 'js', 'native', 'cuda', ... */
  backend?: string;
  /** Force the dtype; arrays given as JS numbers are converted, typed arrays must match. */
  dtype?: DType;
  /** Block-sparse ranges (KeOps layout). */
  ranges?: Ranges;
  /** Accumulator of sums: the data dtype (default), float64 or Kahan. */
  accumulator?: AccumulatorKind;
}

/** The result type of a genred function for a reduction name. */
export type GenredResult<R extends string> = R extends ReductionKind
  ? ReductionOutputsOf[R] extends 'both'
    ? { values: NDArray<FloatArray>; indices: NDArray<Int32Array> }
    : ReductionOutputsOf[R] extends 'indices'
      ? NDArray<Int32Array>
      : NDArray<FloatArray>
  : NDArray<FloatArray>;

/** A compiled-on-first-use reduction: call it with one argument per variable index. */
export interface GenredFunction<R extends string> {
  (...args: GenredArg[]): GenredResult<R>;
  /** The formula as IR (variables numbered as in the aliases; literals are hidden parameters). */
  readonly formula: Node;
  /** The weight formula (formula2) as IR, for weighted reductions. */
  readonly weight?: Node;
  /** The reduction kind. */
  readonly reduction: ReductionKind;
  /** The reduced index. */
  readonly axis: 'i' | 'j';
  /** The number of arguments a call takes. */
  readonly nArgs: number;
  /** The user variables, by index. */
  readonly variables: readonly VariableInfo[];
}

/** 'a, b and c'. */
function listed(names: readonly string[]): string {
  return names.length <= 1
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function reductionKind(name: unknown): ReductionKind {
  if (typeof name === 'string') {
    const exact = REDUCTION_KINDS.find((k) => k === name);
    if (exact) return exact;
    const loose = REDUCTION_KINDS.find((k) => k.toLowerCase() === name.toLowerCase());
    if (loose) return loose;
  }
  throw new LazyTensorError(
    `genred: unknown reduction ${typeof name === 'string' ? `'${name.slice(0, 60)}'` : String(name)}: expected one of ${REDUCTION_KINDS.join(', ')}`,
  );
}

function axisOf(axis: unknown): 'i' | 'j' {
  if (axis === undefined || axis === 0 || axis === 'i') return 'i';
  if (axis === 1 || axis === 'j') return 'j';
  throw new LazyTensorError(`genred: axis must be 0, 1, 'i' or 'j', got ${String(axis)}`);
}

function describeVar(v: VariableInfo): string {
  const f = v.cat === 'i' ? 'Vi' : v.cat === 'j' ? 'Vj' : 'Pm';
  return `argument ${v.index}${v.name !== undefined ? ` ('${v.name}')` : ''}, ${f}(${v.index}, ${v.dim})`;
}

/** A float array and whether its dtype may adapt (it came from JS numbers). */
interface Input {
  readonly a: NDArray<FloatArray>;
  readonly flexible: boolean;
}

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

function numbers(x: readonly unknown[], what: string): Float64Array {
  const out = new Float64Array(x.length);
  x.forEach((v, k) => {
    check(typeof v === 'number', () => `${what}: entry ${k} is not a number (${typeof v})`);
    out[k] = v as number;
  });
  return out;
}

/** Converts one argument to a float NDArray of the shape its variable expects. */
function toInput(x: unknown, v: VariableInfo): Input {
  const what = `genred ${describeVar(v)}`;
  const rowShape = v.cat === 'p' ? `[${v.dim}]` : `[n, ${v.dim}]`;
  let a: NDArray<FloatArray>;
  let flexible = false;
  if (typeof x === 'number') {
    check(
      v.cat === 'p',
      () => `${what}: a number is only allowed for a parameter, expected shape ${rowShape}`,
    );
    a = { data: Float64Array.of(x), shape: [1] };
    flexible = true;
  } else if (isFloatArray(x)) {
    check(
      x.length % v.dim === 0,
      () => `${what}: a flat array of ${x.length} values does not split into rows of ${v.dim}`,
    );
    a = { data: x, shape: v.cat === 'p' ? [x.length] : [x.length / v.dim, v.dim] };
  } else if (isNDArray(x)) {
    check(
      isFloatArray(x.data),
      () => `${what}: expected float32 or float64 data, got ${x.data.constructor.name}`,
    );
    check(
      Array.isArray(x.shape) &&
        x.shape.every((s) => Number.isInteger(s) && s >= 0) &&
        sizeOf(x.shape) === x.data.length,
      () => `${what}: shape [${String(x.shape)}] does not match ${x.data.length} values`,
    );
    a = x as NDArray<FloatArray>;
    if (a.shape.length === 1 && v.cat !== 'p' && v.dim === 1) a = { data: a.data, shape: [a.shape[0]!, 1] };
  } else if (Array.isArray(x)) {
    flexible = true;
    if (x.length > 0 && Array.isArray(x[0])) {
      const rows = x as unknown[][];
      const cols = rows[0]!.length;
      const data = new Float64Array(rows.length * cols);
      rows.forEach((r, i) => {
        check(
          Array.isArray(r) && r.length === cols,
          () => `${what}: row ${i} has ${Array.isArray(r) ? r.length : 'no'} values, row 0 has ${cols}`,
        );
        data.set(numbers(r, `${what}, row ${i}`), i * cols);
      });
      a = { data, shape: [rows.length, cols] };
    } else {
      const data = numbers(x, what);
      a = { data, shape: v.cat === 'p' ? [data.length] : [data.length, 1] };
    }
  } else {
    throw new LazyTensorError(
      `${what}: expected an NDArray, number[][]${v.cat === 'p' ? ', number[] or a number' : ''}, got ${x === null ? 'null' : typeof x}`,
    );
  }
  const rank = v.cat === 'p' ? 1 : 2;
  check(
    a.shape.length >= rank && a.shape[a.shape.length - 1] === v.dim,
    () => `${what}: expected shape [...${v.cat === 'p' ? '' : ', n'}, ${v.dim}], got [${a.shape.join(', ')}]`,
  );
  // Parameters follow Pm's rule: finite values only (see checkFiniteParam).
  if (v.cat === 'p') checkFiniteParam(a.data, what);
  return { a, flexible };
}

/**
 * Builds a reduction from KeOps formula strings. `aliases` declare the variables ('x = Vi(3)',
 * 'y = Vj(0, 3)', 'g = Pm(1)', 'b = Var(3, 1, 1)'; without an index a variable takes its position
 * in the list). The returned function takes one argument per variable index, in index order: an
 * NDArray [..., n, dim] (batch dims allowed) or number[][] for Vi/Vj, an NDArray [..., dim], number[]
 * or number for Pm. Float literals of the formula are runtime parameters (no recompilation when
 * they change). Min_ArgMin, Max_ArgMax and KMin_ArgKMin return `{ values, indices }`; ArgMin,
 * ArgMax and ArgKMin return Int32 indices; K-min results are [..., n, K] (scalar formula) or
 * [..., n, K, dimF].
 */
export function genred<R extends string>(
  formula: string,
  aliases: readonly string[],
  reduction: R,
  opts: GenredOptions = {},
): GenredFunction<R> {
  check(
    typeof opts === 'object' && opts !== null,
    () => `genred: options must be an object, got ${String(opts)}`,
  );
  const kind = reductionKind(reduction);
  const def = reductionDef(kind);
  const axis = axisOf(opts.axis);
  const weighted = def.weighted;
  if (weighted) {
    check(
      typeof opts.formula2 === 'string',
      () => `genred: ${kind} needs the weight formula as opts.formula2`,
    );
  } else {
    check(opts.formula2 === undefined, () => `genred: ${kind} takes no weight formula (opts.formula2)`);
  }
  check(
    opts.K === undefined || opts.optArg === undefined || opts.K === opts.optArg,
    () => `genred: opts.K (${opts.K}) and opts.optArg (${opts.optArg}) disagree`,
  );
  const K = opts.K ?? opts.optArg;
  if (def.usesK) {
    check(
      typeof K === 'number' && Number.isInteger(K) && K >= 1,
      () => `genred: ${kind} needs an integer K >= 1 (opts.K), got ${String(K)}`,
    );
  } else {
    check(
      K === undefined,
      () => `genred: K is only used by ${listed(kindsWhere((d) => d.usesK))}, not ${kind}`,
    );
  }
  check(
    opts.dtype === undefined || opts.dtype === 'float32' || opts.dtype === 'float64',
    () => `genred: dtype must be 'float32' or 'float64', got ${String(opts.dtype)}`,
  );

  const program = parseProgram(weighted ? [formula, opts.formula2!] : [formula], aliases);
  const [F, G] = program.formulas as [Node, Node | undefined];
  if (def.scalarF) {
    check(F.dim === 1, () => `genred: ${kind} needs a scalar formula (dimension 1), got dimension ${F.dim}`);
  }
  const byIndex = new Map(program.variables.map((v) => [v.index, v]));
  for (let k = 0; k < program.nArgs; k++) {
    check(
      byIndex.has(k),
      () =>
        `genred: variable index ${k} is neither declared by an alias nor used in the formula; indices must be 0..${program.nArgs - 1} without gaps`,
    );
  }
  const nArgs = program.nArgs;
  const { backend, ranges, accumulator } = opts;
  const reduceOpts = {
    ...(backend !== undefined ? { backend } : {}),
    ...(ranges !== undefined ? { ranges } : {}),
    ...(accumulator !== undefined ? { accumulator } : {}),
  };

  const run = (...args: GenredArg[]): GenredResult<R> => {
    check(
      args.length === nArgs,
      () =>
        `genred: expected ${nArgs} argument(s) (one per variable: ${program.variables.map((v) => v.name ?? `#${v.index}`).join(', ')}), got ${args.length}`,
    );
    const inputs = program.variables.map((v) => toInput(args[v.index], v));
    // One dtype for everything: forced, or that of the typed arrays (JS numbers adapt).
    let dtype: DType | undefined = opts.dtype;
    let from = opts.dtype ? 'opts.dtype' : '';
    inputs.forEach((inp, k) => {
      if (inp.flexible) return;
      const d = dtypeOf(inp.a.data);
      if (dtype === undefined) {
        dtype = d;
        from = describeVar(program.variables[k]!);
      } else if (d !== dtype) {
        throw new LazyTensorError(
          `genred: mixed dtypes: ${describeVar(program.variables[k]!)} is ${d}, ${from} is ${dtype} (convert one of them)`,
        );
      }
    });
    const dt: DType = dtype ?? 'float64';
    const rows: Partial<Record<Cat, { n: number; who: string }>> = {};
    const data = new Map<Node, NDArray>();
    inputs.forEach((inp, k) => {
      const v = program.variables[k]!;
      if (v.cat !== 'p') {
        const n = inp.a.shape[inp.a.shape.length - 2]!;
        const prev = rows[v.cat];
        check(
          prev === undefined || prev.n === n,
          () =>
            `genred: ${describeVar(v)} has ${n} rows, ${prev!.who} has ${prev!.n} rows (all ${v.cat}-variables must agree)`,
        );
        rows[v.cat] = { n, who: describeVar(v) };
      }
      data.set(v.node, { data: asDtype(inp.a.data, dt), shape: inp.a.shape });
    });
    for (const lit of program.literals)
      data.set(lit.node, { data: asDtype(Float64Array.of(lit.value), dt), shape: [1] });

    const res = reduce({
      formula: F,
      ...(G ? { weight: G } : {}),
      kind,
      ...(K !== undefined ? { k: K } : {}),
      axis,
      data,
      opts: reduceOpts,
    });
    const shape = (a: NDArray): number[] =>
      userOutputShape({ formula: F, weight: G, kind, k: K, axis }, a.shape);
    const finish = <T extends FloatArray | Int32Array>(a: NDArray<T> | undefined): NDArray<T> => {
      if (!a) throw new Error('internal: reduce returned no result');
      return { data: a.data, shape: shape(a) };
    };
    if (def.outputs === 'both') {
      return { values: finish(res.values), indices: finish(res.indices) } as GenredResult<R>;
    }
    if (def.outputs === 'indices') return finish(res.indices) as GenredResult<R>;
    return finish(res.values) as GenredResult<R>;
  };
  return Object.assign(run, {
    formula: F,
    ...(G ? { weight: G } : {}),
    reduction: kind,
    axis,
    nArgs,
    variables: program.variables,
  }) as GenredFunction<R>;
}
