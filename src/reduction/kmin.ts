import type { EmitCtx } from '../formula/dialect.js';
import { throughSelectedIndex } from './argmin.js';
import { plus } from './split.js';
import type { AccState, ReductionDef, ReductionKind, ReductionShape } from './types.js';

/**
 * K smallest values per component, kept sorted ascending in K scalar slots with their indices
 * (-1 = empty). Insertion is unrolled into nested ifs (slots are scalars, not arrays), so it
 * compiles to registers on every target. Ties keep the lowest index first.
 * State layout: f[c*K + s], i[c*K + s] for component c, slot s.
 */
function insert(
  ctx: EmitCtx,
  ds: readonly string[],
  is: readonly string[],
  v: string,
  j: string,
  breakTies: boolean,
): void {
  const K = ds.length;
  const before = (s: number) =>
    breakTies
      ? `(${v} < ${ds[s]} || (${v} == ${ds[s]} && (${is[s]} < 0 || ${j} < ${is[s]})))`
      : `(${v} < ${ds[s]} || (${is[s]} < 0 && ${v} <= ${ds[s]}))`;
  // Level s: v belongs at or before slot s; shift slot s-1 down if v also belongs before it.
  const level = (s: number): string => {
    if (s === 0) return `${ds[0]} = ${v}; ${is[0]} = ${j};`;
    return `if (${before(s - 1)}) { ${ds[s]} = ${ds[s - 1]}; ${is[s]} = ${is[s - 1]}; ${level(s - 1)} } else { ${ds[s]} = ${v}; ${is[s]} = ${j}; }`;
  };
  ctx.stmt(`if (${before(K - 1)}) { ${level(K - 1)} }`);
}

function slots(acc: AccState, r: ReductionShape, c: number) {
  return {
    ds: acc.f.slice(c * r.k, (c + 1) * r.k),
    is: acc.i.slice(c * r.k, (c + 1) * r.k),
  };
}

function make(kind: ReductionKind, values: boolean, indices: boolean): ReductionDef {
  return {
    kind,
    usesK: true,
    // ArgKMin ranks scalars only (its indices would not say which component they belong to).
    scalarF: values === false,
    weighted: false,
    outputs: values && indices ? 'both' : values ? 'values' : 'indices',
    rowShape: (r) => (r.dimF > 1 ? [r.k, r.dimF] : [r.k]),
    // Output layout [K, dimF]: output s*n + c of a pass is spec output s*dimF + c0 + c.
    split: (r, maxState) =>
      values
        ? {
            fixed: [],
            offset: 0,
            width: r.dimF,
            chunk: Math.max(1, Math.floor(maxState / (2 * r.k))),
            shape: (n) => ({ ...r, dimF: n }),
            outIndex: (k, n, c0) => plus(c0, Math.floor(k / n) * r.dimF + (k % n)),
            compOf: (k, n) => k % n,
          }
        : undefined,
    gradient: (g) => (values ? throughSelectedIndex(g, 'KMin_ArgKMin') : undefined),
    threshold: (r, acc, c) => ({ slot: acc.f[c * r.k + r.k - 1]!, cmp: '<=' }),
    stateSize: (r) => ({ f: r.k * r.dimF, i: r.k * r.dimF }),
    outDims: (r) => ({ values: values ? r.k * r.dimF : 0, indices: indices ? r.k * r.dimF : 0 }),
    init(ctx, _r, acc) {
      for (const d of acc.f) ctx.stmt(`${d} = ${ctx.d.lit(Number.POSITIVE_INFINITY)};`);
      for (const a of acc.i) ctx.stmt(`${a} = -1;`);
    },
    accumulate(ctx, r, acc, v, j) {
      for (let c = 0; c < r.dimF; c++) {
        const { ds, is } = slots(acc, r, c);
        insert(ctx, ds, is, ctx.let(v[c]!), j, false);
      }
    },
    merge(ctx, r, acc, o) {
      for (let c = 0; c < r.dimF; c++) {
        const { ds, is } = slots(acc, r, c);
        const od = slots(o, r, c);
        for (let s = 0; s < r.k; s++) {
          ctx.stmt(`if (${od.is[s]} >= 0) {`);
          insert(ctx, ds, is, od.ds[s]!, od.is[s]!, true);
          ctx.stmt('}');
        }
      }
    },
    finalize(ctx, r, acc, out, outIdx) {
      // Output layout [K, dimF]: slot s of component c goes to s*dimF + c.
      for (let c = 0; c < r.dimF; c++) {
        for (let s = 0; s < r.k; s++) {
          if (values) ctx.stmt(`${out(s * r.dimF + c)} = ${acc.f[c * r.k + s]};`);
          if (indices) ctx.stmt(`${outIdx(s * r.dimF + c)} = ${acc.i[c * r.k + s]};`);
        }
      }
    },
  };
}

export const kminReductions: ReductionDef[] = [
  make('KMin', true, false),
  make('ArgKMin', false, true),
  make('KMin_ArgKMin', true, true),
];
