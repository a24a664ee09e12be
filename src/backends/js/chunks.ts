import { blockColumns, rowSegments } from '../common/ranges.js';
import type { KernelRanges } from '../types.js';

/**
 * Row boundaries [0 = b_0 < b_1 < ... < b_C = nI] that split the rows into at most `nChunks`
 * chunks of about equal work. Dense runs cost nJ per row; with block-sparse ranges a row costs the
 * number of columns of its block (plus 1, so empty rows still count), so threads that grab chunks
 * dynamically stay balanced.
 */
export function chunkBounds(
  nI: number,
  nJ: number,
  ranges: KernelRanges | undefined,
  nChunks: number,
): Int32Array {
  nChunks = Math.max(1, Math.min(nChunks, nI));
  const segs = ranges ? costSegments(nI, ranges) : [{ s: 0, e: nI, c: nJ + 1 }];
  let total = 0;
  for (const g of segs) total += (g.e - g.s) * g.c;
  const bounds = [0];
  const step = total / nChunks;
  let cum = 0;
  let target = step;
  for (const g of segs) {
    let s = g.s;
    while (s < g.e && bounds.length < nChunks) {
      // First row r in [s, e] with cum + (r - s) * c >= target.
      const need = Math.ceil((target - cum) / g.c);
      if (need > g.e - s) break;
      const r = s + Math.max(1, need);
      if (r >= nI) break;
      cum += (r - s) * g.c;
      s = r;
      if (r > bounds[bounds.length - 1]!) bounds.push(r);
      target = step * bounds.length;
    }
    cum += (g.e - s) * g.c;
  }
  bounds.push(nI);
  return Int32Array.from(bounds);
}

interface Segment {
  s: number;
  e: number;
  c: number;
}

/** Rows [0, nI) as ordered segments of equal per-row cost (from the shared planner). */
function costSegments(nI: number, ranges: KernelRanges): Segment[] {
  return rowSegments(ranges, nI).map((g) => ({
    s: g.start,
    e: g.end,
    c: g.block < 0 ? 1 : blockColumns(ranges, g.block) + 1,
  }));
}
