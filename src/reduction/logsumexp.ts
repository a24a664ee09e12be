import type { EmitCtx } from '../formula/dialect.js';
import { op } from '../formula/opRegistry.js';
import { plus } from './split.js';
import type { AccState, GradientCtx, PairGradient, ReductionDef, ReductionShape } from './types.js';

/**
 * Log-sum-exp family, stabilised by a running maximum m: the state is (m, s_1..s_n) with
 * s_c = Σ exp(F - m)·G_c. A value of -Infinity contributes nothing (no NaN from -inf - -inf).
 *   LogSumExp:        n = 1, G = 1,  out = m + log s (+inf when m = +inf: s may be NaN = exp(inf - inf))
 *   LogSumExpWeight:  n = dimG,      out_c = m + log s_c
 *   SumSoftMaxWeight: n = 1 + dimG (s_0 = Σ exp(F - m)), out_c = s_c / s_0
 */
function weights(ctx: EmitCtx, r: ReductionShape, v: readonly string[]): string[] {
  const one = ctx.d.lit(1);
  if (r.kind === 'LogSumExp') return [one];
  const g = v.slice(r.dimF, r.dimF + r.dimG);
  return r.kind === 'SumSoftMaxWeight' ? [one, ...g] : g;
}

function nSums(r: ReductionShape): number {
  return r.kind === 'LogSumExp' ? 1 : r.kind === 'SumSoftMaxWeight' ? 1 + r.dimG : r.dimG;
}

function fold(ctx: EmitCtx, acc: AccState, mNew: string, terms: readonly string[], nonNeg: string): void {
  // acc <- acc ⊕ (mNew, terms): terms are the other side's sums expressed relative to mNew.
  const m = acc.f[0]!;
  const s = acc.f.slice(1);
  const d = ctx.d;
  const sc = ctx.fresh('sc');
  const ot = ctx.fresh('sc');
  ctx.stmt(`if (${mNew} > ${m}) {`);
  ctx.stmt(`${d.declAcc(sc, d.call('exp', [`${m} - ${mNew}`]))}`);
  s.forEach((sk, k) => ctx.stmt(`${sk} = ${sk} * ${sc} + ${terms[k]};`));
  ctx.stmt(`${m} = ${mNew};`);
  ctx.stmt(`} else if (${nonNeg}) {`);
  ctx.stmt(`${d.declAcc(ot, d.call('exp', [`${mNew} - ${m}`]))}`);
  s.forEach((sk, k) => ctx.stmt(`${sk} += ${ot} * ${terms[k]};`));
  ctx.stmt('}');
}

type LseKind = 'LogSumExp' | 'LogSumExpWeight' | 'SumSoftMaxWeight';

/** Pair cotangents, with O the saved output: w = exp(F - lse) is the softmax weight of the pair. */
function gradient(kind: LseKind, g: GradientCtx): PairGradient {
  const { F, E } = g;
  if (kind === 'LogSumExp') {
    const O = g.saved('LogSumExp', 'values');
    return { dF: op('Mult', [E, op('Exp', [op('Subtract', [F, O])])]) };
  }
  const G = g.G!;
  if (kind === 'LogSumExpWeight') {
    const O = g.saved('LogSumExpWeight', 'values');
    const W = op('Exp', [op('Subtract', [F, O])]);
    return { dF: op('Sum', [op('Mult', [op('Mult', [E, W]), G])]), dG: op('Mult', [E, W]) };
  }
  const L = g.saved('LogSumExp', 'values');
  const O = g.saved('SumSoftMaxWeight', 'values');
  const w = op('Exp', [op('Subtract', [F, L])]);
  const inner = op('Sum', [op('Mult', [op('Subtract', [G, O]), E])]);
  return { dF: op('Mult', [w, inner]), dG: op('Mult', [w, E]) };
}

function makeLse(kind: LseKind): ReductionDef {
  return {
    kind,
    usesK: false,
    scalarF: true,
    weighted: kind !== 'LogSumExp',
    ...(kind === 'LogSumExp' ? { withWeight: 'LogSumExpWeight' as const } : {}),
    ...(kind === 'SumSoftMaxWeight' ? { undefinedOnEmpty: 'a softmax-weighted average' } : {}),
    outputs: 'values',
    rowShape: (_r, n) => [n],
    // The sums of G's components share only the running maximum of F, which every pass recomputes.
    split: (r, maxState) =>
      kind === 'LogSumExp'
        ? undefined
        : {
            fixed: [0],
            offset: r.dimF,
            width: r.dimG,
            chunk: Math.max(1, maxState - (kind === 'SumSoftMaxWeight' ? 2 : 1)),
            shape: (n) => ({ ...r, dimG: n }),
            outIndex: (k, _n, c0) => plus(c0, k),
            compOf: (k) => k,
          },
    gradient: (g) => gradient(kind, g),
    expSums: (r) => {
      const g = Array.from({ length: r.dimG }, (_, c) => c);
      return kind === 'LogSumExp' ? ['one'] : kind === 'SumSoftMaxWeight' ? ['one', ...g] : g;
    },
    stateSize: (r) => ({ f: 1 + nSums(r), i: 0 }),
    outDims: (r) => ({ values: kind === 'LogSumExp' ? 1 : r.dimG, indices: 0 }),
    init(ctx, _r, acc) {
      ctx.stmt(`${acc.f[0]} = ${ctx.d.lit(Number.NEGATIVE_INFINITY)};`);
      for (const s of acc.f.slice(1)) ctx.stmt(`${s} = ${ctx.d.lit(0)};`);
    },
    accumulate(ctx, r, acc, v) {
      const f = ctx.let(v[0]!);
      fold(ctx, acc, f, weights(ctx, r, v), `${f} > ${ctx.d.lit(Number.NEGATIVE_INFINITY)}`);
    },
    merge(ctx, _r, acc, o) {
      fold(ctx, acc, o.f[0]!, o.f.slice(1), `${o.f[0]} > ${ctx.d.lit(Number.NEGATIVE_INFINITY)}`);
    },
    finalize(ctx, r, acc, out) {
      const m = acc.f[0]!;
      if (kind === 'SumSoftMaxWeight') {
        for (let c = 0; c < r.dimG; c++) ctx.stmt(`${out(c)} = ${acc.f[2 + c]} / ${acc.f[1]};`);
      } else if (kind === 'LogSumExp') {
        // Two values of +inf make s = exp(inf - inf) = NaN; the log-sum-exp is then +inf (per row, not per pair).
        const lse = `${m} + ${ctx.d.call('log', [acc.f[1]!])}`;
        ctx.stmt(
          `if (${m} == ${ctx.d.lit(Number.POSITIVE_INFINITY)}) { ${out(0)} = ${m}; } else { ${out(0)} = ${lse}; }`,
        );
      } else {
        for (let c = 0; c < r.dimG; c++)
          ctx.stmt(`${out(c)} = ${m} + ${ctx.d.call('log', [acc.f[1 + c]!])};`);
      }
    },
  };
}

export const logsumexpReductions: ReductionDef[] = [
  makeLse('LogSumExp'),
  makeLse('LogSumExpWeight'),
  makeLse('SumSoftMaxWeight'),
];
