import { type Node, varIndex, variablesOf } from '../../formula/node.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { dynamicSlots } from './chunk.js';

/**
 * Where each input slot is read from inside a kernel:
 *  - 'reg': loaded once into registers (small i- and p-variables);
 *  - 'shared': j-variables staged tile by tile in shared memory (the KeOps scheme);
 *  - 'global': read from global memory where used (large variables, and variables a component loop
 *    indexes at run time). Reads of a j-row are uniform across a warp (broadcast, L1-cached).
 */
export type SlotMode = 'reg' | 'shared' | 'global';

export interface SlotLayout {
  modes: SlotMode[];
  /** Offset of each shared slot inside one tile row (elements), -1 for others. */
  tileOffset: number[];
  /** Elements per tile row (sum of the shared slots' dims). */
  tileRow: number;
  /** Bytes per tile row. */
  tileRowBytes: number;
}

/** Most 32-bit registers of i- and p-variables held in registers per thread. */
export const MAX_REG_WORDS = 64;
/** Shared memory every CUDA GPU gives a block without opt-in. */
export const SHARED_BYTES = 48 * 1024;
/** Smallest tile (rows) that must fit in SHARED_BYTES for j-variables to be staged. */
export const MIN_TILE_ROWS = 64;

/**
 * Chooses the memory of each slot (static: depends only on the spec); `alsoDynamic` slots are
 * indexed at run time. `formula` is what the layout serves (default: the spec's): slots it does
 * not read take no registers and no tile space ('global', never read through the layout).
 */
export function slotLayout(
  spec: KernelSpec,
  alsoDynamic: readonly number[] = [],
  formula: Node = spec.formula,
): SlotLayout {
  const elem = spec.dtype === 'float32' ? 4 : 8;
  const dyn = dynamicSlots(formula);
  const used = new Set(variablesOf(formula).map(varIndex));
  for (const s of alsoDynamic) dyn.add(s);
  const modes: SlotMode[] = spec.slots.map(() => 'global');
  const tileOffset = spec.slots.map(() => -1);
  // Smallest slots first, so that many small variables win over one large one.
  const order = spec.slots.map((s, k) => ({ s, k })).sort((a, b) => a.s.dim - b.s.dim || a.k - b.k);
  let regs = 0;
  let tileRow = 0;
  const maxTileRow = Math.floor(SHARED_BYTES / (MIN_TILE_ROWS * elem));
  const maxRegs = MAX_REG_WORDS / (elem / 4);
  for (const { s, k } of order) {
    if (!used.has(k)) continue;
    if (s.cat === 'j') {
      if (tileRow + s.dim <= maxTileRow) {
        modes[k] = 'shared';
        tileRow += s.dim;
      }
    } else if (!dyn.has(k) && regs + s.dim <= maxRegs) {
      modes[k] = 'reg';
      regs += s.dim;
    }
  }
  // Tile offsets in slot order (stable layout).
  let off = 0;
  spec.slots.forEach((s, k) => {
    if (modes[k] === 'shared') {
      tileOffset[k] = off;
      off += s.dim;
    }
  });
  return { modes, tileOffset, tileRow, tileRowBytes: tileRow * elem };
}
