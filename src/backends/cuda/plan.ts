import { rowSegments } from '../common/ranges.js';
import type { KernelRanges } from '../types.js';
import { MAX_BLOCK } from './codegen.js';

/** Threads per block of a kernel: bounded by the compiled function, by MAX_BLOCK and by the shared tile. */
export function blockSize(funcMaxThreads: number, tileRowBytes: number, sharedPerBlock: number): number {
  let bs = Math.min(MAX_BLOCK, funcMaxThreads);
  if (tileRowBytes > 0) bs = Math.min(bs, Math.floor(sharedPerBlock / tileRowBytes));
  const warps = Math.floor(bs / 32);
  return warps >= 1 ? warps * 32 : Math.max(1, bs);
}

/**
 * The block table of a block-sparse run: 3 ints per CUDA block (first row, end row, range block or
 * -1 for rows in no block). Row blocks are cut into pieces of at most `bs` rows, so every CUDA block
 * visits the same column intervals (the tiles stay block-uniform). Rows no block covers get the
 * reduction's identity. The rows come from the shared planner (common/ranges.ts rowSegments), so
 * no two CUDA blocks write the same row.
 */
export function buildSegments(ranges: KernelRanges, nI: number, bs: number): Int32Array {
  const out: number[] = [];
  for (const g of rowSegments(ranges, nI)) {
    for (let r = g.start; r < g.end; r += bs) out.push(r, Math.min(g.end, r + bs), g.block);
  }
  return Int32Array.from(out);
}

/** The 2-D scheme's shape: columns split in nSplit chunks of `chunk` columns. */
export interface SplitPlan {
  nSplit: number;
  chunk: number;
}

/**
 * Whether to split the columns across blocks: when one block per `bs` rows would leave most of the
 * GPU idle (few rows) and there are enough columns to share out. Undefined: use the 1-D scheme.
 */
export function splitPlan(nI: number, nJ: number, bs: number, smCount: number): SplitPlan | undefined {
  const blocks = Math.ceil(nI / bs);
  const resident = smCount * Math.max(1, Math.floor(2048 / bs));
  if (blocks === 0 || 2 * blocks > resident) return undefined;
  const maxSplit = Math.floor(nJ / (2 * bs));
  const want = Math.min(Math.ceil(resident / blocks), maxSplit);
  if (want < 2) return undefined;
  return forcedSplit(nJ, bs, want);
}

/** A split into about `n` chunks of whole tiles. */
export function forcedSplit(nJ: number, bs: number, n: number): SplitPlan {
  const chunk = Math.max(bs, Math.ceil(Math.ceil(nJ / n) / bs) * bs);
  return { nSplit: Math.max(1, Math.ceil(nJ / chunk)), chunk };
}
