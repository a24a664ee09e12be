import { topoOrder } from '../../formula/node.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { reductionDef } from '../../reduction/index.js';

/**
 * Rough per-pair cost of a spec, in scalar operations: per operation node, the larger of its own
 * dimension and its widest operand's (a squared distance of D-vectors costs D, not 1), plus the
 * reduction's state update. Backends use it to decide when to use threads, and the
 * serving policy (../serving.ts) to estimate how long a call takes on a backend.
 */
export function pairOps(spec: KernelSpec): number {
  let ops = 0;
  for (const n of topoOrder(spec.formula)) {
    if (n.op !== 'Var') ops += n.args.reduce((w, a) => Math.max(w, a.dim), n.dim);
  }
  const st = reductionDef(spec.reduction.kind).stateSize(spec.reduction);
  return ops + st.f + st.i + 2;
}

/** Throughput model of a backend: a fixed start-up cost, then a cost per operation per pair. */
export interface ThroughputModel {
  /** Seconds a call costs whatever its size (code generation, warm-up, thread start). */
  fixedSeconds: number;
  /** Nanoseconds per scalar operation per pair, on one thread. */
  nsPerOp: number;
}

/** Estimated seconds of a call of `pairs` pairs of `spec` under a throughput model, on `threads` threads. */
export function estimateSeconds(
  model: ThroughputModel,
  spec: KernelSpec,
  pairs: number,
  threads: number,
): number {
  return model.fixedSeconds + (pairs * pairOps(spec) * model.nsPerOp * 1e-9) / Math.max(1, threads);
}
