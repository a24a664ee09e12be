import type { Node } from '../../formula/node.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import {
  C_LOOP,
  CHUNK_MIN_DIM,
  CHUNK_UNROLL,
  emitComponentsAt,
  emitWithChunks,
  type LoopSyntax,
  type SlotLoader,
} from '../common/loops.js';

export {
  CHUNK_MIN_DIM,
  CHUNK_UNROLL,
  dynamicSlots,
  findChunkSites,
  type SlotLoader,
  vectorSlots,
} from '../common/loops.js';

/** CUDA's loops over components: `#pragma unroll 1` keeps nvcc from unrolling them again. */
const CUDA_LOOP: LoopSyntax = { ...C_LOOP, pragma: '#pragma unroll 1' };

/**
 * `emitWithChunks` (src/backends/common/loops.ts) with CUDA's loop syntax; `pre` gives the values
 * of sites computed otherwise (the tiled path, gemm.ts).
 */
export function emitCudaChunks(
  buf: CodeBuffer,
  root: Node,
  nSlots: number,
  loader: SlotLoader,
  pre?: ReadonlyMap<number, string>,
): string[] {
  return emitWithChunks(buf, root, nSlots, loader, CHUNK_MIN_DIM, CHUNK_UNROLL, CUDA_LOOP, pre);
}

/** `emitComponentsAt` (src/backends/common/loops.ts) with CUDA's loop syntax. */
export function emitCudaComponentsAt(
  buf: CodeBuffer,
  vec: Node,
  nSlots: number,
  loader: SlotLoader,
  index: (u: number) => string,
  count: number,
): string[] {
  return emitComponentsAt(buf, vec, nSlots, loader, index, count, CUDA_LOOP);
}
