import { isVar, mapDag, type Node, varIndex } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import { Var } from '../../formula/ops/leaves.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { type AccState, reductionDef } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { emitFormula } from '../common/formula.js';
import type { SlotLoader } from '../common/loops.js';
import { type PairedSite, pairedSites } from '../common/pairedSites.js';
import { SHARED_BYTES, type SlotLayout, slotLayout } from './layout.js';

/**
 * The GEMM-like scheme of the CUDA backend, the counterpart of the native register micro-kernel
 * (src/backends/native/gemm.ts), for the same sites (`pairedSites`: vector reductions over a large
 * feature dimension D pairing an i- with a j-variable, summand of variables only: SqDist, scalar
 * products, weighted distances).
 *
 * KeOps' layout is kept: one thread per output row. The columns go by tiles of GEMM_COLS; for each
 * tile, the feature dimension streams through in blocks of GEMM_DEPTH components: the block loads
 * the j-variables of the site for GEMM_COLS columns × GEMM_DEPTH components into shared memory
 * (coalesced, each column's block is contiguous), and each thread, with its row's GEMM_DEPTH
 * components in registers, updates GEMM_COLS running sums held in registers (a register array,
 * fully unrolled). Each shared value read (a broadcast: every thread of a warp reads the same
 * address) feeds one update, and each row value GEMM_COLS of them; the block costs two barriers
 * per GEMM_COLS × GEMM_DEPTH components instead of one column at a time. The rest of the formula
 * and the reduction then run per pair as in the untiled kernel, for the tile's columns, reading
 * the site's value from the register array. The sums are accumulated directly, component after
 * component as the untiled loop does (no |x|² + |y|² - 2 x·y: no cancellation, K-NN orders exact).
 *
 * The generated source does not grow with D (the blocks are run-time loops), and the shared memory
 * is a fixed amount per block (not per thread): the block size is bounded by registers only.
 */

/** Columns of one tile: the running sums each thread keeps in registers per site. */
export const GEMM_COLS = 16;
/** Components of the feature dimension per shared-memory block. */
export const GEMM_DEPTH = 32;
/** At most this many sites of one formula take the tiled path (each keeps GEMM_COLS registers). */
const MAX_SITES = 2;

/** One site's j-variable staged in shared memory: a GEMM_COLS × width block at `offset`. */
interface StagedSlot {
  slot: number;
  /** GEMM_DEPTH for a D-dimensional variable, 1 for a per-column scalar. */
  width: number;
  offset: number;
}

/** The tiled path of one spec. */
export interface CudaGemm {
  sites: PairedSite[];
  /** Shared blocks of the sites' j-variables (one per slot, reused by every site). */
  staged: StagedSlot[];
  /** Elements of shared memory before the rest of the formula's column tile. */
  restOffset: number;
  /** Slots the rest of the formula reads (with the sites' values given). */
  restSlots: Set<number>;
  /** Layout of the rest of the formula (its shared slots are tiled GEMM_COLS columns at a time). */
  layout: SlotLayout;
  /** Bytes of shared memory per block (fixed: independent of the block size). */
  sharedBytes: number;
}

function rebuild(name: string, args: Node[], params: readonly number[]): Node {
  return op(name, args, params);
}

function slotsOf(root: Node, out: Set<number>): Set<number> {
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.uid)) continue;
    seen.add(n.uid);
    if (isVar(n)) out.add(varIndex(n));
    else stack.push(...n.args);
  }
  return out;
}

/**
 * The tiled path of a spec, or undefined when it has no qualifying site (or the formula is split
 * into several passes over j: `single` false). Decided from the IR, before any code is emitted.
 */
export function cudaGemmPlan(spec: KernelSpec, single: boolean): CudaGemm | undefined {
  if (!single) return undefined;
  const sites = pairedSites(spec.formula).slice(0, MAX_SITES);
  if (sites.length === 0) return undefined;
  const elem = spec.dtype === 'float32' ? 4 : 8;
  const nSlots = spec.slots.length;
  const uids = new Set(sites.map((s) => s.node.uid));
  // The rest of the formula: each site replaced by a scalar stand-in (a slot index past the last).
  const rest = mapDag(spec.formula, (n) => (uids.has(n.uid) ? Var(nSlots, 1, 'p') : undefined), rebuild);
  const restSlots = slotsOf(rest, new Set<number>());
  restSlots.delete(nSlots);
  // Slots the sites read at run-time components never live in registers.
  const siteSlots = new Set<number>();
  for (const s of sites) slotsOf(s.vector, siteSlots);
  const wide = [...siteSlots].filter((s) => spec.slots[s]!.dim > 1);
  const layout = slotLayout(spec, wide, rest);
  const staged: StagedSlot[] = [];
  let offset = 0;
  for (const s of [...siteSlots].sort((a, b) => a - b)) {
    if (spec.slots[s]!.cat !== 'j') continue;
    const width = spec.slots[s]!.dim === 1 ? 1 : GEMM_DEPTH;
    staged.push({ slot: s, width, offset });
    offset += GEMM_COLS * width;
  }
  const sharedBytes = (offset + GEMM_COLS * layout.tileRow) * elem;
  if (sharedBytes > SHARED_BYTES / 2) return undefined;
  return { sites, staged, restOffset: offset, restSlots, layout, sharedBytes };
}

/** What the column loop of the tiled path needs from the kernel generator. */
export interface GemmEmit {
  spec: KernelSpec;
  T: string;
  gemm: CudaGemm;
  /** How the kernel reads slot components (i- and p-slots of the sites at run-time components). */
  ld: SlotLoader;
  /** Emits the rest of the formula for column `j` (tile row `yt`), the sites' values given. */
  value(buf: CodeBuffer, pre: ReadonlyMap<number, string>): string[];
}

/**
 * The reduction of one pass over columns [jb, je) (block-uniform) on the tiled path. Expects in
 * scope: `tile` (shared memory), `active`, the row loads, `jb`, `je`, and the pass's state `acc`.
 */
export function emitGemmColumnLoop(
  buf: CodeBuffer,
  e: GemmEmit,
  shape: KernelSpec['reduction'],
  acc: AccState,
): void {
  const { spec, T, gemm } = e;
  const TJ = GEMM_COLS;
  const KB = GEMM_DEPTH;
  const red = reductionDef(shape.kind);
  const sums = gemm.sites.map((_, n) => `gs${n}`);
  buf.block(`for (int jt = jb; jt < je; jt += ${TJ})`, () => {
    buf.stmt(`const int nt = je - jt < ${TJ} ? je - jt : ${TJ};`);
    gemm.sites.forEach((site, n) => {
      const g = sums[n]!;
      buf.stmt(`${T} ${g}[${TJ}];`);
      buf.stmt('#pragma unroll');
      buf.stmt(`for (int t = 0; t < ${TJ}; t++) ${g}[t] = 0;`);
      const used = slotsOf(site.vector, new Set<number>());
      const staged = gemm.staged.filter((s) => used.has(s.slot));
      buf.stmt('#pragma unroll 1');
      buf.block(`for (int kb = 0; kb < ${site.dim}; kb += ${KB})`, () => {
        buf.stmt(`const int kn = ${site.dim} - kb < ${KB} ? ${site.dim} - kb : ${KB};`);
        buf.stmt('__syncthreads();');
        for (const st of staged) emitStagedLoad(buf, spec, st);
        buf.stmt('__syncthreads();');
        buf.block('if (active)', () => {
          const body = () => {
            buf.stmt('#pragma unroll');
            buf.block(`for (int t = 0; t < ${TJ}; t++)`, () => {
              const [v] = emitFormula(buf, site.scalar, (s) => siteValue(e, s));
              buf.stmt(`${g}[t] += ${v};`);
            });
          };
          buf.block(`if (kn == ${KB})`, () => {
            buf.stmt('#pragma unroll');
            buf.block(`for (int c = 0; c < ${KB}; c++)`, body);
          });
          buf.block('else', () => {
            buf.stmt('#pragma unroll 1');
            buf.block('for (int c = 0; c < kn; c++)', body);
          });
        });
      });
    });
    if (gemm.layout.tileRow > 0) {
      buf.stmt('__syncthreads();');
      emitRestTileLoad(buf, spec, gemm);
      buf.stmt('__syncthreads();');
    }
    buf.block('if (active)', () => {
      buf.stmt('#pragma unroll');
      buf.block(`for (int t = 0; t < ${TJ}; t++)`, () => {
        buf.block('if (t < nt)', () => {
          buf.stmt('const int j = jt + t;');
          if (gemm.layout.tileRow > 0)
            buf.stmt(`const ${T}* __restrict__ yt = tile + ${gemm.restOffset} + t * ${gemm.layout.tileRow};`);
          for (const s of gemm.restSlots) {
            const slot = spec.slots[s]!;
            if (slot.cat === 'j' && gemm.layout.modes[s] === 'global')
              buf.stmt(`const ${T}* __restrict__ yr${s} = in${s} + (size_t)j * ${slot.dim};`);
          }
          const pre = new Map(gemm.sites.map((s, n) => [s.node.uid, `${sums[n]}[t]`] as const));
          red.accumulate(buf, shape, acc, e.value(buf, pre), 'j');
        });
      });
    });
  });
}

/** Component `c` of block `kb` of a site's slot, inside the tile's `for (t ...)` (t: the column). */
function siteValue(e: GemmEmit, s: number): string {
  const slot = e.spec.slots[s]!;
  const k = slot.dim === 1 ? '0' : 'kb + c';
  if (slot.cat !== 'j') return slot.dim === 1 ? e.ld.load(s, 0) : e.ld.loadAt(s, k);
  const st = e.gemm.staged.find((x) => x.slot === s)!;
  const at = st.width === 1 ? 't' : `t * ${st.width} + c`;
  return `tile[${st.offset === 0 ? at : `${st.offset} + ${at}`}]`;
}

/** Loads block `kb` of a j-slot for columns [jt, jt + nt) (zeros beyond: their sums are never read). */
function emitStagedLoad(buf: CodeBuffer, spec: KernelSpec, st: StagedSlot): void {
  const D = spec.slots[st.slot]!.dim;
  const src = `in${st.slot}`;
  const base = st.offset === 0 ? '' : `${st.offset} + `;
  if (st.width === 1) {
    buf.block(`for (int e = (int)threadIdx.x; e < ${GEMM_COLS}; e += (int)blockDim.x)`, () => {
      buf.stmt(`tile[${base}e] = e < nt ? ${src}[jt + e] : 0;`);
    });
    return;
  }
  const W = st.width;
  buf.block(`for (int e = (int)threadIdx.x; e < ${GEMM_COLS * W}; e += (int)blockDim.x)`, () => {
    buf.stmt(`const int t = e / ${W};`);
    buf.stmt(`const int c = e - t * ${W};`);
    buf.stmt(`tile[${base}e] = t < nt && c < kn ? ${src}[(size_t)(jt + t) * ${D} + kb + c] : 0;`);
  });
}

/** Loads the rest's shared j-slots for columns [jt, jt + nt) into rows of `tile + restOffset` (coalesced). */
function emitRestTileLoad(buf: CodeBuffer, spec: KernelSpec, gemm: CudaGemm): void {
  const { layout } = gemm;
  spec.slots.forEach((slot, s) => {
    if (layout.modes[s] !== 'shared') return;
    const D = slot.dim;
    const off = gemm.restOffset + layout.tileOffset[s]!;
    buf.block(`for (int e = (int)threadIdx.x; e < nt * ${D}; e += (int)blockDim.x)`, () => {
      const at = D === 1 ? `e * ${layout.tileRow}` : `(e / ${D}) * ${layout.tileRow} + e % ${D}`;
      buf.stmt(`tile[${off} + ${at}] = in${s}[(size_t)jt * ${D} + e];`);
    });
  });
}
