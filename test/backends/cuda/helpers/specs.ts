import {
  encodeKron,
  encodeTensorDot,
  hasOp,
  type Node,
  op,
  opNames,
  Var,
} from '../../../../src/formula/index.js';
import { buildSpec, type KernelSpec } from '../../../../src/kernel/spec.js';
import type { DType } from '../../../../src/ndarray.js';
import type { AccumulatorKind, ReductionKind } from '../../../../src/reduction/index.js';

/** A named kernel spec for the CUDA codegen tests. */
export interface NamedSpec {
  name: string;
  spec: KernelSpec;
}

type Req = {
  formula: Node;
  weight?: Node;
  kind: ReductionKind;
  k?: number;
  axis?: 'i' | 'j';
  accumulator?: AccumulatorKind;
};

function mk(name: string, dtype: DType, r: Req): NamedSpec {
  const { spec } = buildSpec({ axis: 'j', ...r, dtype });
  return { name: `${name} ${dtype}${r.accumulator ? ` ${r.accumulator}` : ''}`, spec };
}

const gauss = (x: Node, y: Node) => op('Exp', [op('Minus', [op('SqDist', [x, y])])]);

/**
 * The conformance formulas (shared/conformance.md) that the ops available today can express, plus
 * every reduction kind, both dtypes, accumulators, large D (loops over components), large outputs
 * (several passes) and large K.
 */
export function conformanceSpecs(): NamedSpec[] {
  const out: NamedSpec[] = [];
  for (const dt of ['float32', 'float64'] as const) {
    const x = Var(0, 3, 'i');
    const y = Var(1, 3, 'j');
    const p = Var(2, 1, 'p');
    const a = Var(3, 1, 'j');
    const b1 = Var(4, 1, 'j');
    const F2 = op('Mult', [op('Square', [op('Subtract', [p, a])]), op('Exp', [op('Add', [x, y])])]);
    const F3 = op('Mult', [
      op('Square', [op('Subtract', [p, a])]),
      op('Exp', [op('Minus', [op('SqNorm2', [op('Subtract', [x, y])])])]),
    ]);
    out.push(
      mk('case1 SqNorm2(x-y) sum over i', dt, {
        formula: op('SqNorm2', [op('Subtract', [x, y])]),
        kind: 'Sum',
        axis: 'i',
      }),
    );
    out.push(mk('case2 vector sum', dt, { formula: F2, kind: 'Sum' }));
    out.push(mk('case3 logsumexp', dt, { formula: F3, kind: 'LogSumExp' }));
    out.push(mk('case4 softmax weight', dt, { formula: F3, weight: y, kind: 'SumSoftMaxWeight' }));
    out.push(mk('case7 argkmin', dt, { formula: op('SqDist', [x, y]), kind: 'ArgKMin', k: 3 }));
    const P = Var(5, 2, 'p');
    const xy = op('Sum', [op('Mult', [x, y])]);
    const F8 = op('Mult', [
      op('Square', [xy]),
      op('Add', [op('Mult', [op('Elem', [P], [0]), x]), op('Mult', [op('Elem', [P], [1]), y])]),
    ]);
    out.push(mk('case8 (x|y)^2 * (p0 x + p1 y)', dt, { formula: F8, kind: 'Sum' }));
    out.push(
      mk('case9 lse weight', dt, {
        formula: op('Mult', [op('SqDist', [x, y]), p]),
        weight: b1,
        kind: 'LogSumExpWeight',
      }),
    );
    out.push(
      mk('case12 softmax sqdist', dt, {
        formula: op('SqDist', [x, y]),
        weight: Var(6, 3, 'j'),
        kind: 'SumSoftMaxWeight',
      }),
    );
    // Large D: component loops.
    const X300 = Var(0, 300, 'i');
    const Y300 = Var(1, 300, 'j');
    out.push(mk('case18 gaussian D=300', dt, { formula: op('Mult', [gauss(X300, Y300), b1]), kind: 'Sum' }));
    const X990 = Var(0, 990, 'i');
    const Y990 = Var(1, 990, 'j');
    const F15 = op('Sum', [op('Exp', [op('Minus', [op('Square', [op('Add', [X990, Y990])])])])]);
    out.push(mk('case15 min-argmin D=990 over i', dt, { formula: F15, kind: 'Min_ArgMin', axis: 'i' }));
    // Wide outputs: several passes.
    const B300 = Var(7, 300, 'j');
    out.push(
      mk('case19 gaussian @ 300-wide b', dt, { formula: op('Mult', [gauss(x, y), B300]), kind: 'Sum' }),
    );
    out.push(
      mk('softmax with 300-wide weight', dt, {
        formula: op('Minus', [op('SqDist', [x, y])]),
        weight: B300,
        kind: 'SumSoftMaxWeight',
      }),
    );
    out.push(
      mk('lse with 300-wide weight', dt, {
        formula: op('Minus', [op('SqDist', [x, y])]),
        weight: B300,
        kind: 'LogSumExpWeight',
      }),
    );
    // Every other reduction kind.
    const V2 = op('Add', [op('Mult', [x, y]), op('Elem', [x], [0])]);
    for (const kind of ['Min', 'Max', 'ArgMin', 'ArgMax', 'Min_ArgMin', 'Max_ArgMax'] as const) {
      out.push(mk(`${kind} vector`, dt, { formula: V2, kind }));
    }
    out.push(mk('KMin vector K=4', dt, { formula: V2, kind: 'KMin', k: 4 }));
    out.push(mk('KMin_ArgKMin K=5', dt, { formula: op('SqDist', [x, y]), kind: 'KMin_ArgKMin', k: 5 }));
    out.push(mk('ArgKMin K=16', dt, { formula: op('SqDist', [x, y]), kind: 'ArgKMin', k: 16 }));
    out.push(
      mk('sum kahan', dt, { formula: op('Mult', [gauss(x, y), y]), kind: 'Sum', accumulator: 'kahan' }),
    );
    out.push(
      mk('sum float64 acc', dt, {
        formula: op('Mult', [gauss(x, y), y]),
        kind: 'Sum',
        accumulator: 'float64',
      }),
    );
    out.push(mk('parameter-only formula', dt, { formula: op('Mult', [p, p]), kind: 'Sum' }));
    // case 22: non-uniform DFT, complex x_i times exp(-2πi p_i f_j), summed over i.
    const phase = op('Mult', [op('Mult', [Var(0, 1, 'i'), Var(1, 1, 'j')]), Var(2, 1, 'p')]);
    out.push(
      mk('case22 complex NDFT over i', dt, {
        formula: op('ComplexMult', [Var(3, 2, 'i'), op('ComplexExp1j', [phase])]),
        kind: 'Sum',
        axis: 'i',
      }),
    );
    // case 17: Kron(x, y) with x (2,3) and y (2,2).
    out.push(
      mk('case17 kron', dt, {
        formula: op('Kron', [Var(0, 6, 'i'), Var(1, 4, 'j')], encodeKron([2, 3], [2, 2])),
        kind: 'Sum',
      }),
    );
  }
  // case 16 (float32 only: the float64 variant needs more than 255 registers and spills, see the report)
  const tdA = Var(0, 2 * 3 * 2 * 2 * 4, 'i');
  const tdB = Var(1, 2 * 4 * 2 * 3 * 2 * 3, 'j');
  const td = encodeTensorDot({
    dimsA: [2, 3, 2, 2, 4],
    dimsB: [2, 4, 2, 3, 2, 3],
    contA: [4, 0, 2],
    contB: [1, 4, 2],
    permute: [4, 3, 2, 0, 1],
  });
  out.push(mk('case16 tensordot', 'float32', { formula: op('TensorDot', [tdA, tdB], td), kind: 'Sum' }));
  out.push(
    mk('sum kahan 70-wide (2 passes)', 'float32', {
      formula: op('Mult', [gauss(Var(0, 3, 'i'), Var(1, 3, 'j')), Var(2, 70, 'j')]),
      kind: 'Sum',
      accumulator: 'kahan',
    }),
  );
  return out;
}

/** Leaves used to try every op: i-, j- and p-vectors of dimension 3 and scalars. */
function trialArgs(): Node[][] {
  const x = Var(0, 3, 'i');
  const y = Var(1, 3, 'j');
  const s = Var(2, 1, 'p');
  const m = Var(3, 9, 'j');
  return [[x], [y, x], [x, y, s], [m, x], [s, x, y], [x, y, x], [m, x, y]];
}

const PARAM_TRIALS: number[][] = [[], [2], [1], [0], [0, 2], [1, 2], [3, 0]];

/** The first way of building op `name` from the trial leaves and params that type-checks. */
function tryBuild(name: string): Node | undefined {
  for (const args of trialArgs()) {
    for (let n = 1; n <= args.length; n++) {
      for (const params of PARAM_TRIALS) {
        try {
          return op(name, args.slice(0, n), params);
        } catch {
          // not this shape
        }
      }
    }
  }
  return undefined;
}

/**
 * One formula that uses every registered op it can build (each op applied to small variables,
 * reduced to a scalar with Sum and added up), so a dialect gap in any op fails the compile check.
 * Returns the formula and the ops it covers.
 */
export function everyOpFormula(): { formula: Node; ops: string[] } {
  const terms: Node[] = [];
  const covered: string[] = [];
  for (const name of opNames()) {
    if (name === 'Var' || name === 'IntCst' || name === 'Zero' || !hasOp(name)) continue;
    const built = tryBuild(name);
    if (!built) continue;
    covered.push(name);
    terms.push(built.dim === 1 ? built : op('Sum', [built]));
  }
  let f = terms[0]!;
  for (let k = 1; k < terms.length; k++) f = op('Add', [f, terms[k]!]);
  return { formula: f, ops: covered };
}

/** Specs of the every-op formula, one per dtype. */
export function everyOpSpecs(): NamedSpec[] {
  const { formula } = everyOpFormula();
  return (['float32', 'float64'] as const).map((dt) => mk('every op', dt, { formula, kind: 'Sum' }));
}
