import type { KernelSpec } from '../../kernel/spec.js';
import { reductionDef } from '../../reduction/index.js';
import { orderExpansion, selectionSpec } from './expand.js';
import { GEMM_MIN_TILE, GEMM_ROWS, gemmSites } from './gemm.js';
import { jComponents } from './soa.js';
import { bufferedComponents } from './strategy.js';

/** Bytes the tile buffers of one row may use (they live on the stack of the calling thread). */
const TILE_BYTES = 64 * 1024;
/** Bytes of j-data one tile covers: a third of a typical 48 KiB L1, so rows re-read it from L1. */
const J_TILE_BYTES = 16 * 1024;
/**
 * The same for GEMM kernels: the micro-kernel reads a tile component by component, each a
 * contiguous run of TILE values, so the tile may stream from L2; a wider tile spreads the loads
 * and stores of the row states over more columns.
 */
const GEMM_J_TILE_BYTES = 64 * 1024;
/** Bytes the per-chunk row states may use. */
const STATE_BYTES = 32 * 1024;
/**
 * Rows per chunk of an expanded kernel (expand.ts), whose micro-kernel touches a row's state only
 * for column groups holding a candidate: more rows share each tile, so the j-data streams from
 * memory once per 256 rows instead of 64 (a model of the D = 50 kernel ran 14% faster).
 */
const EXPANDED_ROWS = 256;

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/** Tile width (columns per tile) and rows per chunk for a spec. */
export function blocking(spec: KernelSpec): { tile: number; rows: number } {
  const size = spec.dtype === 'float32' ? 4 : 8;
  const jBytes = jComponents(spec) * size;
  const gemm = gemmSites(spec).length;
  const expansion = orderExpansion(spec);
  const sel = selectionSpec(spec, expansion);
  const nv = bufferedComponents(sel) + GEMM_ROWS * gemm;
  // Keep a tile's j-data within L1/L2 and its value buffers within TILE_BYTES.
  let tile = Math.min(1024, floorPow2((gemm > 0 ? GEMM_J_TILE_BYTES : J_TILE_BYTES) / Math.max(jBytes, 1)));
  if (nv > 0) tile = Math.min(tile, floorPow2(TILE_BYTES / (nv * size)));
  // A GEMM tile needs whole micro-kernel column groups.
  tile = Math.max(gemm > 0 ? GEMM_MIN_TILE : 16, tile);
  const st = reductionDef(sel.reduction.kind).stateSize(sel.reduction);
  const stateBytes = st.f * 8 + st.i * 4;
  // Up to 64 rows share each tile while it is in L1: the j-data streams from memory once per chunk.
  const maxRows = expansion ? EXPANDED_ROWS : 64;
  const budget = expansion ? (EXPANDED_ROWS / 64) * STATE_BYTES : STATE_BYTES;
  const rows = Math.max(1, Math.min(maxRows, Math.floor(budget / Math.max(stateBytes, 1))));
  return { tile, rows };
}
