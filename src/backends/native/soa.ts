import type { KernelSpec } from '../../kernel/spec.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { CHUNK_MIN_DIM } from '../common/loops.js';
import { type OrderExpansion, orderExpansion } from './expand.js';
import { gemmSites } from './gemm.js';

/**
 * The j-side of a kernel call: copied once per call into a tile-blocked structure-of-arrays
 * buffer. Block b holds columns [b TILE, (b+1) TILE), and in it component c (over all j-slots, in
 * slot order, then |y|^2 of an expanded kernel) occupies TILE consecutive values.
 */

/** Blocked-SoA components per column: the j-slots', then |y|^2 of an expanded kernel. */
export function jComponents(spec: KernelSpec): number {
  const jd = spec.slots.reduce((n, s) => n + (s.cat === 'j' ? s.dim : 0), 0);
  return jd + (orderExpansion(spec) ? 1 : 0);
}

/** First blocked-SoA component of each j-slot. */
export function jColumns(spec: KernelSpec): Map<number, number> {
  const cols = new Map<number, number>();
  let c = 0;
  spec.slots.forEach((slot, s) => {
    if (slot.cat !== 'j') return;
    cols.set(s, c);
    c += slot.dim;
  });
  return cols;
}

/** Copies the j-slots into the tile-blocked SoA buffer `soa` (JD components per column). */
export function emitSoa(buf: CodeBuffer, spec: KernelSpec, expansion: OrderExpansion | undefined): void {
  const cols = jColumns(spec);
  const jd = jComponents(spec);
  const plain = spec.slots.reduce((n, s) => n + (s.cat === 'j' ? s.dim : 0), 0);
  buf.stmt(`const int64_t JD = ${jd};`);
  buf.stmt('T* soa = nullptr;');
  // Expanded kernels: the largest |y_j| (float64) bounds every row's certificate.
  if (expansion) buf.stmt('double ymax = 0;');
  if (jd === 0) return;
  buf.stmt('const int64_t nBlk = (nJ + TILE - 1) / TILE;');
  buf.block('if (nJ > 0)', () => {
    buf.stmt('soa = (T*)lt::alloc(sizeof(T) * (size_t)(nBlk * JD * TILE));');
    buf.stmt('if (!soa) return -1;');
    // GEMM micro-kernels read whole column groups: the columns of the last block past nJ are zeros.
    if (gemmSites(spec).length > 0)
      buf.stmt(
        'if (nJ % TILE) __builtin_memset(soa + (nBlk - 1) * JD * TILE, 0, sizeof(T) * (size_t)(JD * TILE));',
      );
    buf.stmt('T* __restrict dst0 = soa;');
    if (expansion) {
      buf.stmt('double* ymb = (double*)lt::alloc(sizeof(double) * (size_t)nBlk);');
      buf.block('if (!ymb)', () => {
        buf.stmt('free(soa);');
        buf.stmt('return -1;');
      });
    }
    buf.stmt('lt::parallel_for(nBlk, nBlk * JD * TILE > 262144 ? threads : 1, [&](int64_t b) {');
    buf.stmt('T* __restrict dst = dst0 + b * JD * TILE;');
    buf.stmt('const int64_t j0 = b * TILE;');
    buf.stmt('const int n = nJ - j0 < TILE ? (int)(nJ - j0) : TILE;');
    buf.block('for (int t = 0; t < n; t++)', () => {
      spec.slots.forEach((slot, s) => {
        if (slot.cat !== 'j') return;
        if (slot.dim >= CHUNK_MIN_DIM) {
          buf.stmt(
            `for (int k = 0; k < ${slot.dim}; k++) dst[(${cols.get(s)!} + k) * TILE + t] = in${s}[(j0 + t) * ${slot.dim} + k];`,
          );
          return;
        }
        for (let k = 0; k < slot.dim; k++) {
          buf.stmt(`dst[${cols.get(s)! + k} * TILE + t] = in${s}[(j0 + t) * ${slot.dim} + ${k}];`);
        }
      });
    });
    if (expansion) {
      const D = expansion.dim;
      const y0 = cols.get(expansion.ySlot)!;
      buf.stmt('double ym = 0;');
      buf.block('for (int t = 0; t < n; t++)', () => {
        buf.stmt('T ny = 0;');
        buf.stmt('double nd = 0;');
        buf.block(`for (int k = 0; k < ${D}; k++)`, () => {
          buf.stmt(`const T v = dst[(${y0} + k) * TILE + t];`);
          buf.stmt('ny += v * v;');
          buf.stmt('nd += (double)v * (double)v;');
        });
        buf.stmt(`dst[${plain} * TILE + t] = ny;`);
        // NaN propagates (a NaN norm fails every certificate).
        buf.stmt('ym = nd > ym || nd != nd ? nd : ym;');
      });
      buf.stmt('ymb[b] = ym;');
    }
    buf.stmt('});');
    if (expansion) {
      buf.stmt(
        'for (int64_t b = 0; b < nBlk; b++) ymax = ymb[b] > ymax || ymb[b] != ymb[b] ? ymb[b] : ymax;',
      );
      buf.stmt('free(ymb);');
      buf.stmt('ymax = __builtin_sqrt(ymax) * (1 + 1e-10);');
    }
  });
}
