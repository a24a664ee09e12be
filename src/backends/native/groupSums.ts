import type { KernelSpec } from '../../kernel/spec.js';
import { GROUP_BLOCK_MIN, GROUP_PARTS } from '../../reduction/groupSums.js';
import type { CodeBuffer } from '../common/codebuffer.js';

/**
 * The group sums of an arg reduction (reduction/groupSums.ts, which defines their order) in C++:
 * a post-pass of the kernel function, after its parallel row loop, over the indices it just
 * wrote. Blocks of rows are summed in parallel (each into its own GROUP_PARTS tables, then into
 * its block value (t0 + t1) + (t2 + t3)); the block values are added in block order. The block
 * size comes from nJ alone (groupBlockRows), the working memory from nI, nJ and D, so the result
 * is the same for any thread count and equal, bit for bit, to groupSumsHost's.
 *
 * The products w·x of weighted sums pass through LT_IN_REGISTER (gemm.ts: an empty asm) so that
 * -ffp-contract=fast cannot fuse them into the additions (JavaScript rounds them apart).
 */

/** The extra parameters of a kernel with group sums (after `threads`), or ''. */
export function groupSumsParams(spec: KernelSpec): string {
  if (!spec.groupSums) return '';
  const T = spec.dtype === 'float32' ? 'float' : 'double';
  return `, const ${T}* __restrict gv, const double* __restrict gw, double* __restrict gs`;
}

/** The post-pass (emitted after the row loop, its buffers freed); returns -1 when memory ran out. */
export function emitGroupSums(buf: CodeBuffer, spec: KernelSpec): void {
  const g = spec.groupSums;
  if (!g) return;
  const D = g.dim;
  const R = D + 1;
  const P = GROUP_PARTS;
  buf.block('', () => {
    buf.stmt(`const int64_t GR = ${R};`);
    buf.stmt('const int64_t KR = nJ * GR;');
    buf.stmt(`int64_t GB = ${GROUP_BLOCK_MIN};`);
    buf.stmt(`while (GB < ${P} * nJ) GB *= 2;`);
    buf.stmt('const int64_t nbk = (nI + GB - 1) / GB;');
    // Per block: its tables (P·KR), then its value (KR).
    buf.stmt(`double* gt = (double*)malloc(sizeof(double) * (size_t)(nbk * ${P + 1} * KR + 1));`);
    buf.stmt('if (!gt) return -1;');
    buf.stmt(`double* gp = gt + nbk * ${P} * KR;`);
    buf.stmt('lt::parallel_for(nbk, threads, [&](int64_t b) {');
    buf.stmt(`double* __restrict t = gt + b * ${P} * KR;`);
    buf.stmt(`for (int64_t q = 0; q < ${P} * KR; q++) t[q] = 0.0;`);
    buf.stmt('const T* __restrict V = gv;');
    buf.stmt('const int32_t* __restrict I = outIdx;');
    buf.stmt('const int64_t i0 = b * GB, i1 = i0 + GB < nI ? i0 + GB : nI;');
    buf.block('for (int64_t i = i0; i < i1; i++)', () => {
      buf.stmt('const int32_t k = I[i];');
      buf.stmt('if (k < 0) continue;');
      buf.stmt(`double* r = t + ((int64_t)k * ${P} + (i & ${P - 1})) * GR;`);
      buf.stmt(`const T* __restrict x = V + i * ${D};`);
      if (g.weighted) {
        buf.stmt('const double wi = gw[i];');
        for (let c = 0; c < D; c++) {
          buf.stmt(`double p${c} = wi * (double)x[${c}];`);
          buf.stmt(`LT_IN_REGISTER(p${c});`);
          buf.stmt(`r[${c}] += p${c};`);
        }
        buf.stmt(`r[${D}] += wi;`);
      } else {
        for (let c = 0; c < D; c++) buf.stmt(`r[${c}] += (double)x[${c}];`);
        buf.stmt(`r[${D}] += 1.0;`);
      }
    });
    buf.stmt('double* __restrict v = gp + b * KR;');
    buf.block('for (int64_t k = 0; k < nJ; k++)', () => {
      buf.stmt(`const double* __restrict s = t + k * ${P} * GR;`);
      buf.block('for (int64_t c = 0; c < GR; c++)', () => {
        buf.stmt('v[k * GR + c] = (s[c] + s[c + GR]) + (s[c + 2 * GR] + s[c + 3 * GR]);');
      });
    });
    buf.stmt('});');
    buf.block('for (int64_t q = 0; q < KR; q++)', () => {
      buf.stmt('double a = 0.0;');
      buf.stmt('for (int64_t b = 0; b < nbk; b++) a += gp[b * KR + q];');
      buf.stmt('gs[q] = a;');
    });
    buf.stmt('free(gt);');
  });
}
