import { emitGemmTile, GEMM_ROWS } from './gemm.js';
import { type KernelCtx, viaPointer } from './kernelCtx.js';
import { loadStates, storeStates } from './rowStates.js';
import { emitRowTile, ROW_SIMD_MAX_COLS, ROW_SIMD_MIN_ROWS } from './rowTile.js';
import { jComponents } from './soa.js';
import { emitTile } from './strategy.js';

/**
 * Emits the j-loops of a work item: for each of its row blocks, the tiles of its column range,
 * and in each tile the vector reductions of the GEMM micro-kernel (gemm.ts) for GEMM_ROWS rows at
 * a time, then per row the vectorised tile body of its strategy (or, for narrow tiles, the
 * row-vectorised body), folding the columns into the chunk's row states.
 */
export function emitTileWalk(ctx: KernelCtx): void {
  const { buf, spec, sel, red, expansion, dyn, tile, cols, gemm, byRows, iComponents } = ctx;
  const stateF = ctx.states.f;
  const stateI = ctx.states.i;
  gemm.forEach((_, n) => buf.stmt(`alignas(64) T G${n}[${GEMM_ROWS} * TILE];`));
  buf.block('for (int64_t r = it.r0; r < it.r1; r++)', () => {
    buf.stmt('const int jA = it.cr[2 * r] > 0 ? it.cr[2 * r] : 0;');
    buf.stmt('const int jB = it.cr[2 * r + 1] < nJ ? it.cr[2 * r + 1] : (int)nJ;');
    buf.block('for (int jt = jA; jt < jB;)', () => {
      buf.stmt('const int o = jt / TILE * TILE;');
      buf.stmt('const int t0 = jt - o;');
      buf.stmt('const int t1 = jB - o < TILE ? jB - o : TILE;');
      buf.stmt('const T* __restrict yb = Ys + (size_t)(o / TILE) * (JD * TILE);');
      buf.stmt('(void)yb;');
      const perRow = () => {
        if (gemm.length > 0) {
          buf.stmt(`for (int64_t i4 = it.i0; i4 < it.i1; i4 += ${GEMM_ROWS}) {`);
          emitGemmTile(
            buf,
            spec,
            gemm,
            {
              jColumn: (s) => cols.get(s)!,
              param: (s, k) => (viaPointer(spec, dyn, s) ? `Pp${s}[${k}]` : `p${s}_${k}`),
            },
            expansion && {
              ...expansion,
              normColumn: jComponents(spec) - 1,
              threshold: (q) => `S_${stateF[stateF.length - 1]}[${q}]`,
              rowNorm: (q) => `NX[${q}]`,
              insert: (b, q, v, j) =>
                red.accumulate(
                  b,
                  sel.reduction,
                  { f: stateF.map((n) => `S_${n}[${q}]`), i: stateI.map((n) => `S_${n}[${q}]`) },
                  [v],
                  j,
                ),
            },
          );
          if (expansion) {
            // The rows' selection ran inside the micro-kernel.
            buf.stmt('}');
            return;
          }
          buf.stmt(`const int64_t iE = i4 + ${GEMM_ROWS} < it.i1 ? i4 + ${GEMM_ROWS} : it.i1;`);
        }
        buf.block(
          gemm.length > 0 ? 'for (int64_t i = i4; i < iE; i++)' : 'for (int64_t i = it.i0; i < it.i1; i++)',
          () => {
            buf.stmt('const int64_t q = i - it.i0;');
            spec.slots.forEach((slot, s) => {
              if (slot.cat !== 'i' || viaPointer(spec, dyn, s)) return;
              for (let k = 0; k < slot.dim; k++)
                buf.stmt(`const T x${s}_${k} = X${s}[i * ${slot.dim} + ${k}];`);
            });
            const at = (s: number, k: string, t: string): string => {
              const slot = spec.slots[s]!;
              if (slot.cat === 'p') return `Pp${s}[${k}]`;
              if (slot.cat === 'i') return `X${s}[i * ${slot.dim} + ${k}]`;
              return `yb[${cols.get(s)! * tile} + (${k}) * ${tile} + ${t}]`;
            };
            const acc = loadStates(buf, ctx.states);
            emitTile({
              buf,
              spec,
              acc,
              pre: (t) => new Map(gemm.map((g, n) => [g.node.uid, `G${n}[(i - i4) * TILE + ${t}]`])),
              loadAt: at,
              load: (s, k, t) => {
                const slot = spec.slots[s]!;
                if (viaPointer(spec, dyn, s) && slot.cat !== 'j') return at(s, String(k), t);
                if (slot.cat === 'p') return `p${s}_${k}`;
                if (slot.cat === 'i') return `x${s}_${k}`;
                return `yb[${(cols.get(s)! + k) * tile} + ${t}]`;
              },
            });
            storeStates(buf, acc);
          },
        );
        if (gemm.length > 0) buf.stmt('}');
      };
      if (byRows) {
        buf.block(`if (t1 - t0 <= ${ROW_SIMD_MAX_COLS} && it.i1 - it.i0 >= ${ROW_SIMD_MIN_ROWS})`, () =>
          emitRowTile({
            buf,
            spec,
            rows: { f: stateF, i: stateI },
            rowLocals: () => {
              for (const { s, k } of iComponents) buf.stmt(`const T x${s}_${k} = XS${s}_${k}[q];`);
            },
            load: (s, k, t) => {
              const slot = spec.slots[s]!;
              if (slot.cat === 'p') return viaPointer(spec, dyn, s) ? `Pp${s}[${k}]` : `p${s}_${k}`;
              if (slot.cat === 'i') return `x${s}_${k}`;
              return `yb[${(cols.get(s)! + k) * tile} + ${t}]`;
            },
          }),
        );
        buf.block('else', perRow);
      } else perRow();
      buf.stmt('jt = o + t1;');
    });
  });
}
