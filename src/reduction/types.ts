import type { EmitCtx } from '../formula/dialect.js';
import type { Node } from '../formula/node.js';

/**
 * Reduction names (KeOps' spelling), each with the outputs it returns to the user: the type-level
 * copy of the `outputs` trait (public result types read it; test/reduction checks they agree).
 */
export interface ReductionOutputsOf {
  Sum: 'values';
  LogSumExp: 'values';
  LogSumExpWeight: 'values';
  SumSoftMaxWeight: 'values';
  Min: 'values';
  Max: 'values';
  ArgMin: 'indices';
  ArgMax: 'indices';
  Min_ArgMin: 'both';
  Max_ArgMax: 'both';
  KMin: 'values';
  ArgKMin: 'indices';
  KMin_ArgKMin: 'both';
}

/** Reduction names (KeOps' spelling). */
export type ReductionKind = keyof ReductionOutputsOf;

/** Accumulator choice for sums: the data dtype, float64, or Kahan-compensated. */
export type AccumulatorKind = 'default' | 'float64' | 'kahan';

/** Static shape of one reduction. The value reduced per pair has dimF (+ dimG for weighted kinds). */
export interface ReductionShape {
  kind: ReductionKind;
  /** Dimension of F. */
  dimF: number;
  /** Dimension of the weight G (LogSumExpWeight, SumSoftMaxWeight), else 0. */
  dimG: number;
  /** K of the K-min reductions, else 0. */
  k: number;
  accumulator: AccumulatorKind;
}

/** Names (lvalues) of an accumulator's scalar state: floats and int32s. */
export interface AccState {
  f: readonly string[];
  i: readonly string[];
}

/** Which outputs a reduction returns to the user: float values, int32 indices, or both. */
export type ReductionOutputs = 'values' | 'indices' | 'both';

/**
 * How a reduction whose state is too large for registers is split into passes over j, each
 * reducing `chunk` components of the output with a narrower shape. Passes are exact: the split
 * components of the value (F, or F then G) do not interact. Every pass also reduces the `fixed`
 * components (F for weighted kinds) first.
 */
export interface OutputSplit {
  /** Components of the value every pass reduces first. */
  fixed: number[];
  /** First split component of the value, and how many there are. */
  offset: number;
  width: number;
  /** Components per pass (the last pass may have fewer). */
  chunk: number;
  /** The reduction shape of a pass over n components. */
  shape(n: number): ReductionShape;
  /**
   * Index (an expression) in the spec's output row of output k of a pass over n components starting
   * at split component `c0` (a number or a run-time expression). Same map for values and indices.
   */
  outIndex(k: number, n: number, c0: string): string;
  /** The split component (0..n-1, relative to the pass) that output k of a pass over n components belongs to. */
  compOf(k: number, n: number): number;
}

/**
 * What a gradient rule may ask of the layer that runs reductions (src/lazy implements it): the
 * formulas of the reduction and variables, of the kept index, bound to saved forward results.
 */
export interface GradientCtx {
  /** The reduced formula F and the weight G (weighted kinds). */
  readonly F: Node;
  readonly G?: Node;
  /** K of the K-min kinds, else 1. */
  readonly k: number;
  /** The cotangent of the output row (a variable of the kept index, dimension = output values). */
  readonly E: Node;
  /**
   * A variable of the kept index bound to output `take` of reduction `kind` of the same F over the
   * same index (with G when `kind` is weighted, with K when it uses K), indices as floats.
   * The reduction's own kind and 'values' give its own (saved) result.
   */
  saved(kind: ReductionKind, take: 'values' | 'indices'): Node;
  /** A variable of the reduced index whose value is the index itself (0, 1, ..., n-1). */
  reducedIndex(): Node;
}

/**
 * Pair-level cotangents of F and G: d⟨R, E⟩/du = Σ grad(F, u, dF) + grad(G, u, dG) over pairs.
 * Undefined parts are zero.
 */
export interface PairGradient {
  dF?: Node;
  dG?: Node;
}

/**
 * A reduction as a monoid, written once as scalar code generators that every backend reuses:
 * the inner loop (`accumulate`), the merge of partial results (tiles, threads, SIMD lanes, GPU
 * blocks) and the final step. No loops over j here: backends own the loops.
 * Float state is declared by the backend in the accumulator type, int state as int32.
 * The traits after `kind` are the one place every layer reads a kind's rules from.
 */
export interface ReductionDef {
  readonly kind: ReductionKind;
  /** True when the reduction takes a K (K-min kinds). */
  readonly usesK: boolean;
  /** True when F must be a scalar (dimension 1). */
  readonly scalarF: boolean;
  /** True when the reduction takes a weight G (the value is Concat(F, G)). */
  readonly weighted: boolean;
  /** The kind a request of this kind becomes when it comes with a weight (LogSumExp -> LogSumExpWeight). */
  readonly withWeight?: ReductionKind;
  /** The outputs the user gets. */
  readonly outputs: ReductionOutputs;
  /**
   * What the result would be over an empty reduced set, when it does not exist there (e.g. "the
   * index of the minimum"): such a request is an error. Undefined when the kind has an identity
   * (Sum 0, LogSumExp −inf, Min +inf, Max −inf) or needs K ≤ the reduced size anyway.
   */
  readonly undefinedOnEmpty?: string;
  /**
   * The shape of one output row as the user sees it, for an output of `n` components (values or
   * indices): `[n]`, or `[K]` / `[K, dimF]` for the K-min kinds.
   */
  rowShape(r: ReductionShape, n: number): number[];
  /** The output split for register pressure, given at most `maxState` scalars of state per pass; undefined when the output cannot be split. */
  split(r: ReductionShape, maxState: number): OutputSplit | undefined;
  /**
   * The gradient rule: the pair-level cotangents of F and G for an output cotangent `g.E`, or
   * undefined when the gradient is zero (index outputs are piecewise constant).
   */
  gradient(g: GradientCtx): PairGradient | undefined;
  /** True when `accumulate` is a plain `acc.f[k] += value[k]` (a vectorizer may run it as a SIMD sum). */
  plainSum?(r: ReductionShape): boolean;
  /**
   * For the log-sum-exp family, whose state is (m, s_1..s_n) with s_c = Σ exp(F - m)·w_c: the
   * weight of each sum, 'one' or the index of a component of G (a vectorizer may compute the
   * sums of a tile itself and fold them in with `merge`).
   */
  expSums?(r: ReductionShape): readonly ('one' | number)[];
  /**
   * For selections (min, max, K-min): the state slot that bounds component c, and the comparison
   * a value must pass against it to change the state (values that fail leave it unchanged).
   */
  threshold?(r: ReductionShape, acc: AccState, c: number): { slot: string; cmp: '<=' | '>=' };
  /**
   * For Min/Max and their arg forms: the comparison under which the state is, per component, the
   * best value and (arg forms) the lowest index holding it, -1 when none (NaN never wins). A
   * vectorizer may then reduce a tile to such a state itself and fold it in with `merge`.
   */
  best?: '<' | '>';
  /** Number of float and int scalars of state. */
  stateSize(r: ReductionShape): { f: number; i: number };
  /** Floats and int32s written per output row. */
  outDims(r: ReductionShape): { values: number; indices: number };
  /** Statements that set the state to the identity. */
  init(ctx: EmitCtx, r: ReductionShape, acc: AccState): void;
  /** Statements that fold one value (dimF + dimG components) of column `j` into the state. */
  accumulate(ctx: EmitCtx, r: ReductionShape, acc: AccState, value: readonly string[], j: string): void;
  /** Statements that fold state `other` into `acc` (other covers later or earlier columns; ties go to the lowest index). */
  merge(ctx: EmitCtx, r: ReductionShape, acc: AccState, other: AccState): void;
  /** Statements that write the result: `out(k)` and `outIdx(k)` are lvalues of the output row. */
  finalize(
    ctx: EmitCtx,
    r: ReductionShape,
    acc: AccState,
    out: (k: number) => string,
    outIdx: (k: number) => string,
  ): void;
}
