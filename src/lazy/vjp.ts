import { grad } from '../autodiff/index.js';
import { type Cat, type Node, varCat, variablesOf } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { Zero } from '../formula/ops/leaves.js';
import { allocFloat } from '../ndarray.js';
import { type GradientCtx, type PairGradient, type ReductionKind, reductionDef } from '../reduction/index.js';
import { markFlexible } from './data.js';
import { type HostExpr, leaf, type ReduceExpr, shapeOf } from './graph.js';
import { freshVar } from './vars.js';

/**
 * Vector-Jacobian products of reductions: d⟨R, E⟩/du for a variable u of R, as new host nodes.
 * The pair-level cotangent dF (and dG for weighted kinds) is a formula; the gradient is then
 * grad(F, u, dF) summed over the other index, a reduction like any other.
 */

function other(a: 'i' | 'j'): 'i' | 'j' {
  return a === 'i' ? 'j' : 'i';
}

function fresh(dim: number, cat: Cat): Node {
  return freshVar(dim, cat);
}

/** Splits a reduction's value formula into F and G (weighted kinds). */
function parts(R: ReduceExpr): { F: Node; G?: Node } {
  return { F: R.request.formula, G: R.request.weight };
}

interface PairCotangent extends PairGradient {
  extra: [Node, HostExpr][];
}

function arange(n: number): HostExpr {
  const a = allocFloat('float64', n);
  for (let t = 0; t < n; t++) a[t] = t;
  return leaf(markFlexible({ data: a, shape: [n, 1] }));
}

/** Size of the reduced index of R. */
function reducedSize(R: ReduceExpr): number {
  for (const [v, h] of R.inputs) {
    if (varCat(v) === R.request.axis) {
      const s = shapeOf(h);
      return s[s.length - 2]!;
    }
  }
  return 1;
}

/** The reduction's gradient rule (src/reduction), with its saved results bound to host nodes. */
function pairCotangent(R: ReduceExpr, Ev: Node, E: HostExpr): PairCotangent | undefined {
  const { F, G } = parts(R);
  const row = other(R.request.axis);
  const extra: [Node, HostExpr][] = [[Ev, E]];
  const ctx: GradientCtx = {
    F,
    G,
    k: R.request.k ?? 1,
    E: Ev,
    saved(kind: ReductionKind, take: 'values' | 'indices'): Node {
      const def = reductionDef(kind);
      const node: ReduceExpr =
        kind === R.request.kind && take === R.take
          ? R
          : {
              ...R,
              request: {
                ...R.request,
                kind,
                weight: def.weighted ? R.request.weight : undefined,
                k: def.usesK ? R.request.k : undefined,
              },
              take,
            };
      const v = fresh(shapeOf(node)[shapeOf(node).length - 1]!, row);
      extra.push([v, take === 'indices' ? { kind: 'indexFloat', arg: node } : node]);
      return v;
    },
    reducedIndex(): Node {
      const J = fresh(1, R.request.axis);
      extra.push([J, arange(reducedSize(R))]);
      return J;
    },
  };
  const pg = reductionDef(R.request.kind).gradient(ctx);
  return pg ? { ...pg, extra } : undefined;
}

/**
 * d⟨R, E⟩/du as a host node shaped like u's data (`uShape`), or undefined when it is zero.
 * E has R's output shape.
 */
export function reductionVjp(
  R: ReduceExpr,
  u: Node,
  E: HostExpr,
  uShape: readonly number[],
): HostExpr | undefined {
  if (R.take === 'indices') return undefined;
  const outDim = shapeOf(R)[shapeOf(R).length - 1]!;
  const row = other(R.request.axis);
  const Ev = fresh(outDim, row);
  const pc = pairCotangent(R, Ev, E);
  if (!pc) return undefined;
  const { F, G } = parts(R);
  let g: Node = pc.dF ? grad(F, u, pc.dF) : Zero(u.dim);
  if (G && pc.dG) g = op('Add', [g, grad(G, u, pc.dG)]);
  if (g.op === 'Zero') return undefined;
  // All of R's inputs (they set the sizes of both indices) plus the extra variables used by g.
  const inputs = new Map<Node, HostExpr>(R.inputs);
  const needed = new Set(variablesOf(g));
  for (const [v, h] of pc.extra) if (needed.has(v) || v === Ev) inputs.set(v, h);
  const cat = varCat(u);
  const sumAxis = cat === R.request.axis ? row : R.request.axis;
  const summed: ReduceExpr = {
    kind: 'reduce',
    request: { formula: g, kind: 'Sum', axis: sumAxis },
    inputs,
    opts: R.opts,
    take: 'values',
  };
  let out: HostExpr = summed;
  if (cat === 'p') {
    out = { kind: 'rowsum', arg: summed, shape: [] };
  }
  const s = shapeOf(out);
  if (s.length !== uShape.length || s.some((d, k) => d !== uShape[k])) {
    out = { kind: 'sumTo', arg: out, shape: [...uShape] };
  }
  return out;
}
