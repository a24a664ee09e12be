import type { EmitCtx } from '../formula/dialect.js';
import { splitByComponent } from './split.js';
import type { ReductionDef } from './types.js';

/** One compensated (Kahan) addition of `term` into the sum `s` with compensation `c`. */
function kahanAdd(ctx: EmitCtx, s: string, c: string, term: string): void {
  const y = ctx.fresh('ky');
  const t = ctx.fresh('kt');
  ctx.stmt(
    `{ ${ctx.d.declAcc(y, `${term} - ${c}`)} ${ctx.d.declAcc(t, `${s} + ${y}`)} ${c} = (${t} - ${s}) - ${y}; ${s} = ${t}; }`,
  );
}

/** Sum, optionally Kahan-compensated (one compensation term per component, stored after the sums). */
export const sumReduction: ReductionDef = {
  kind: 'Sum',
  usesK: false,
  scalarF: false,
  weighted: false,
  outputs: 'values',
  rowShape: (_r, n) => [n],
  split: (r, maxState) => splitByComponent(r, maxState, r.accumulator === 'kahan' ? 2 : 1),
  gradient: (g) => ({ dF: g.E }),
  plainSum: (r) => r.accumulator !== 'kahan',
  stateSize: (r) => ({ f: r.accumulator === 'kahan' ? 2 * r.dimF : r.dimF, i: 0 }),
  outDims: (r) => ({ values: r.dimF, indices: 0 }),
  init(ctx, _r, acc) {
    for (const a of acc.f) ctx.stmt(`${a} = ${ctx.d.lit(0)};`);
  },
  accumulate(ctx, r, acc, v) {
    for (let k = 0; k < r.dimF; k++) {
      if (r.accumulator === 'kahan') kahanAdd(ctx, acc.f[k]!, acc.f[r.dimF + k]!, `${v[k]}`);
      else ctx.stmt(`${acc.f[k]} += ${v[k]};`);
    }
  },
  merge(ctx, r, acc, o) {
    for (let k = 0; k < r.dimF; k++) {
      // The other partial sum, net of its own compensation, goes in as one compensated addition.
      if (r.accumulator === 'kahan')
        kahanAdd(ctx, acc.f[k]!, acc.f[r.dimF + k]!, `(${o.f[k]} - ${o.f[r.dimF + k]})`);
      else ctx.stmt(`${acc.f[k]} += ${o.f[k]};`);
    }
  },
  finalize(ctx, r, acc, out) {
    for (let k = 0; k < r.dimF; k++) ctx.stmt(`${out(k)} = ${acc.f[k]};`);
  },
};
