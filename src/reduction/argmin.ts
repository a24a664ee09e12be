import type { Node } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { splitByComponent } from './split.js';
import type { GradientCtx, PairGradient, ReductionDef, ReductionKind } from './types.js';

/**
 * The gradient of a selection (min, max, K-min) flows through the selected indices only:
 * dF = Σ_s E_s · [j == A_s] per component, A the indices given by reduction `indexKind`.
 */
export function throughSelectedIndex(g: GradientCtx, indexKind: ReductionKind): PairGradient {
  const { F, E, k } = g;
  const A = g.saved(indexKind, 'indices');
  const J = g.reducedIndex();
  let dF: Node | undefined;
  for (let s = 0; s < k; s++) {
    const Es = k === 1 ? E : op('Extract', [E], [s * F.dim, F.dim]);
    const As = k === 1 ? A : op('Extract', [A], [s * F.dim, F.dim]);
    const term = op('Mult', [Es, op('Equal', [J, As])]);
    dF = dF ? op('Add', [dF, term]) : term;
  }
  return { dF };
}

/**
 * Min / Max and their arg forms, per component. Ties go to the lowest index; NaN never wins.
 * State: dimF floats (the best values) and, for arg forms, dimF int32 indices (-1 = none yet).
 */
function make(kind: ReductionKind, better: '<' | '>', values: boolean, indices: boolean): ReductionDef {
  const worst = better === '<' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const eqOrBetter = `${better}=`;
  const indexKind: ReductionKind = better === '<' ? 'ArgMin' : 'ArgMax';
  return {
    kind,
    usesK: false,
    scalarF: false,
    weighted: false,
    outputs: values && indices ? 'both' : values ? 'values' : 'indices',
    ...(indices ? { undefinedOnEmpty: `the index of the ${better === '<' ? 'minimum' : 'maximum'}` } : {}),
    rowShape: (_r, n) => [n],
    split: (r, maxState) => splitByComponent(r, maxState, indices ? 2 : 1),
    // Index outputs are piecewise constant (zero gradient); values flow through the argmin.
    gradient: (g) => (values ? throughSelectedIndex(g, indexKind) : undefined),
    threshold: (_r, acc, c) => ({ slot: acc.f[c]!, cmp: better === '<' ? '<=' : '>=' }),
    best: better,
    stateSize: (r) => ({ f: r.dimF, i: indices ? r.dimF : 0 }),
    outDims: (r) => ({ values: values ? r.dimF : 0, indices: indices ? r.dimF : 0 }),
    init(ctx, _r, acc) {
      for (const m of acc.f) ctx.stmt(`${m} = ${ctx.d.lit(worst)};`);
      for (const a of acc.i) ctx.stmt(`${a} = -1;`);
    },
    accumulate(ctx, r, acc, v, j) {
      for (let c = 0; c < r.dimF; c++) {
        const m = acc.f[c]!;
        if (indices) {
          const a = acc.i[c]!;
          const x = ctx.let(v[c]!);
          ctx.stmt(
            `if (${x} ${better} ${m} || (${a} < 0 && ${x} ${eqOrBetter} ${m})) { ${m} = ${x}; ${a} = ${j}; }`,
          );
        } else {
          const x = ctx.let(v[c]!);
          ctx.stmt(`if (${x} ${better} ${m}) { ${m} = ${x}; }`);
        }
      }
    },
    merge(ctx, r, acc, o) {
      for (let c = 0; c < r.dimF; c++) {
        const m = acc.f[c]!;
        const om = o.f[c]!;
        if (indices) {
          const a = acc.i[c]!;
          const oa = o.i[c]!;
          ctx.stmt(
            `if (${oa} >= 0 && (${a} < 0 || ${om} ${better} ${m} || (${om} == ${m} && ${oa} < ${a}))) { ${m} = ${om}; ${a} = ${oa}; }`,
          );
        } else {
          ctx.stmt(`if (${om} ${better} ${m}) { ${m} = ${om}; }`);
        }
      }
    },
    finalize(ctx, r, acc, out, outIdx) {
      for (let c = 0; c < r.dimF; c++) {
        if (values) ctx.stmt(`${out(c)} = ${acc.f[c]};`);
        if (indices) ctx.stmt(`${outIdx(c)} = ${acc.i[c]};`);
      }
    },
  };
}

export const argReductions: ReductionDef[] = [
  make('Min', '<', true, false),
  make('Max', '>', true, false),
  make('ArgMin', '<', false, true),
  make('ArgMax', '>', false, true),
  make('Min_ArgMin', '<', true, true),
  make('Max_ArgMax', '>', true, true),
];
