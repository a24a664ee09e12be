import type { KernelSpec } from '../../kernel/spec.js';
import type { AccState, ReductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { CHUNK_MIN_DIM } from '../common/loops.js';
import type { OrderExpansion } from './expand.js';
import type { GemmSite } from './gemm.js';

/** One component of an i-slot (the row-vectorised path keeps it in an array of the chunk). */
export interface IComponent {
  s: number;
  k: number;
  dim: number;
}

/** What the parts of one kernel's work item (kernel.ts, rowStates.ts, tileWalk.ts) share. */
export interface KernelCtx {
  buf: CodeBuffer;
  spec: KernelSpec;
  /** The spec the j-loops reduce: `spec`, or an expanded kernel's candidate selection (expand.ts). */
  sel: KernelSpec;
  /** The reduction of `sel`. */
  red: ReductionDef;
  expansion: OrderExpansion | undefined;
  /** Slots a component loop indexes at run time (dynamicSlots). */
  dyn: ReadonlySet<number>;
  /** Columns per tile (blocking.ts). */
  tile: number;
  /** First blocked-SoA component of each j-slot (soa.ts). */
  cols: ReadonlyMap<number, number>;
  /** Vector reductions the GEMM micro-kernel computes (gemm.ts). */
  gemm: readonly GemmSite[];
  /** Names of the per-row states, kept in arrays `S_<name>[RB]` of the chunk between tiles. */
  states: AccState;
  /** Whether narrow tiles take the row-vectorised path (rowTile.ts rowVectorised). */
  byRows: boolean;
  /** Every component of the i-slots, in slot order. */
  iComponents: readonly IComponent[];
}

/**
 * Whether slot s is read through its pointer (`X<s>[i * dim + k]`, `Pp<s>[k]`) rather than from
 * one local per component: slots a component loop indexes at run time, and any large slot (so the
 * source stays bounded whatever the dimension).
 */
export function viaPointer(spec: KernelSpec, dyn: ReadonlySet<number>, s: number): boolean {
  return dyn.has(s) || spec.slots[s]!.dim >= CHUNK_MIN_DIM;
}
