import type { Dialect } from '../../formula/dialect.js';
import { isVar, type Node, varCat, varIndex } from '../../formula/node.js';
import type { KernelSpec } from '../../kernel/spec.js';
import { CodeBuffer } from '../common/codebuffer.js';
import { emitFormula } from '../common/formula.js';
import { type PairedSite, pairedSites } from '../common/pairedSites.js';

/**
 * The GEMM-like path of the native backend: vector reductions that pair an i-variable with a
 * j-variable over a large feature dimension D (SqDist, scalar products, weighted distances: any
 * op with the `summand` trait whose elementwise vector is plain arithmetic of variables) are
 * computed for GEMM_ROWS rows × GEMM_VECS SIMD vectors of columns at a time, the partial sums held
 * in registers while the feature dimension streams through: per component k, one broadcast per
 * row and one vector load per column group feed GEMM_ROWS × GEMM_VECS independent accumulators
 * (a BLIS-style register micro-kernel, written with the compiler's generic vector types, so it
 * is portable C++ that the target's widest SIMD registers run). The results land in a small
 * buffer per site (`G<n>[row * TILE + t]`); the rest of the formula (exp, comparisons, the
 * reduction) then runs per row as before, reading the site's value from that buffer.
 *
 * Chosen from traits and the emitted code, never by op name: a site qualifies when its summand is
 * an elementwise tree whose leaves are variables (at least one i- and one j-variable) and whose
 * scalar code uses operators only (no math call, comparison or selection: the probe emission
 * below fails otherwise). The sums are accumulated directly, (x - y)^2 per component, not through
 * |x|^2 + |y|^2 - 2 x.y: no cancellation, values stay exact in float32. The one exception is
 * expand.ts: minimum-type selections of a squared distance use the expanded form to choose
 * candidates only (their selection fused into this micro-kernel), then recompute and certify them
 * with this direct arithmetic.
 */

/**
 * Definitions the micro-kernels use (in every translation unit, after the prelude):
 * `LT_IN_REGISTER(v)` makes the compiler materialise vector `v` in a register (an empty asm with
 * `v` as an in-out register operand) where it would otherwise fold the load into every use.
 */
export const GEMM_PRELUDE = `#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LT_IN_REGISTER(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(__aarch64__)
#define LT_IN_REGISTER(v) __asm__("" : "+w"(v))
#else
#define LT_IN_REGISTER(v) (void)(v)
#endif`;

/** Rows of one micro-kernel tile. */
export const GEMM_ROWS = 4;
/**
 * SIMD vectors of columns of one micro-kernel tile: the generated code has GEMM_VECS, of which
 * the prelude's LT_GEMM_VECS are compiled (4 where the target has 32 vector registers, AVX-512;
 * else 2, so that the GEMM_ROWS × LT_GEMM_VECS accumulators stay in 16 registers).
 */
export const GEMM_VECS = 4;
/** Vectors compiled on every target. */
const GEMM_VECS_ALWAYS = 2;
/** Smallest j-tile of a GEMM kernel: GEMM_VECS vectors of the widest (64-byte) SIMD type in float32. */
export const GEMM_MIN_TILE = 64;
/** At most this many sites take the GEMM path in one kernel (each has a GEMM_ROWS × TILE buffer). */
const MAX_GEMM_SITES = 4;

/** A vector reduction computed by the micro-kernel: a paired site whose summand is operators only. */
export type GemmSite = PairedSite;

class Unsupported extends Error {}

/** A dialect for the probe: operators only (anything else throws). */
function probeDialect(d: Dialect): Dialect {
  const no = (): never => {
    throw new Unsupported();
  };
  return {
    ...d,
    call: no,
    bool: no,
    select: no,
    declAcc: no,
    declInt: no,
    declVal: (n, e) => `const auto ${n} = ${e};`,
  };
}

/** Emission buffer of the micro-kernel: locals declared `auto` (scalar or vector), own name prefix. */
export class ProbeBuffer extends CodeBuffer {
  constructor(
    d: Dialect,
    private readonly prefix: string,
  ) {
    super(probeDialect(d));
  }
  override fresh(prefix = 't'): string {
    return super.fresh(`${this.prefix}${prefix}`);
  }
}

/** The vector reductions of a spec that take the GEMM path (empty: the kernel has none). */
export function gemmSites(spec: KernelSpec): GemmSite[] {
  const out: GemmSite[] = [];
  for (const site of pairedSites(spec.formula)) {
    if (out.length >= MAX_GEMM_SITES) break;
    if (probeLines(spec, site.scalar, () => 'z')) out.push(site);
  }
  return out;
}

/**
 * The probe emission of a site's scalar summand (operators only, locals `const auto n = e;`), with
 * `load(slot)` naming each variable: its lines and final expression, or undefined when the code
 * needs anything else (a math call, a comparison, a selection).
 */
export function probeLines(
  spec: KernelSpec,
  scalar: Node,
  load: (slot: number) => string,
): { lines: string[]; expr: string } | undefined {
  const vb = new ProbeBuffer({ ...probeDialectBase, dtype: spec.dtype }, 'p');
  try {
    const [expr] = emitFormula(vb, scalar, (s) => load(s));
    const lines = vb
      .toString()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    return { lines, expr: expr! };
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

/** A stand-in dialect for the probe: only its operators matter. */
const probeDialectBase: Dialect = {
  dtype: 'float32',
  lit: (v) => (Number.isFinite(v) ? String(v) : 'inf'),
  call: () => '',
  declVal: (n, e) => `${n} = ${e}`,
  declAcc: (n, e) => `${n} = ${e}`,
  declInt: (n, e) => `${n} = ${e}`,
  bool: (c) => c,
  select: (c, a, b) => `${c} ? ${a} : ${b}`,
};

/** How the micro-kernel reads the variables of a site. */
export interface GemmLoader {
  /** First SoA component of a j-slot in the tile buffer. */
  jColumn(slot: number): number;
  /** Expression of component `k` (a C++ int expression) of parameter slot `s`. */
  param(slot: number, k: string): string;
}

/**
 * A site computed in expanded form (src/backends/native/expand.ts): d~ = |x|^2 + |y|^2 - 2 x.y,
 * one FMA per pair and component; |y_j|^2 is SoA component `normColumn` of the tile buffer.
 */
export interface ExpandedSite {
  site: number;
  xSlot: number;
  ySlot: number;
  normColumn: number;
  /**
   * The row's selection, fused into the micro-kernel: `threshold(q)` is the value a column of chunk
   * row q must not exceed to be kept (an lvalue of the row state), `insert(q, v, j)` emits the
   * statements that fold value v of column j into that row's state. Per row and column group, one
   * vector comparison of the group's minimum against the threshold skips groups with no candidate.
   */
  threshold(q: string): string;
  /** |x|^2 of chunk row q (an expression). */
  rowNorm(q: string): string;
  insert(buf: CodeBuffer, q: string, v: string, j: string): void;
}

/**
 * Emits the micro-kernel: for the rows i4 + r (r < GEMM_ROWS, clamped to the work item's last
 * row) and the columns [g0, t1) of the current j-tile, rounded out to whole column groups (the
 * tile buffer has TILE columns, zero beyond nJ), `G<n>[r * TILE + t] = sum_k summand(i4 + r, o + t)[k]`
 * for each site n. Expects in scope: `T`, `TILE`, `yb`, `X<s>` (i-slots), `it`, `i4`, `t0`, `t1`.
 */
export function emitGemmTile(
  buf: CodeBuffer,
  spec: KernelSpec,
  sites: readonly GemmSite[],
  loader: GemmLoader,
  expanded?: ExpandedSite,
): void {
  const R = GEMM_ROWS;
  const C = GEMM_VECS;
  buf.stmt('typedef T VT __attribute__((vector_size(LT_VBYTES)));');
  buf.stmt('const int NW = (int)(sizeof(VT) / sizeof(T));');
  buf.stmt('const int CW = LT_GEMM_VECS * NW;');
  sites.forEach((site, n) => {
    const iSlots = new Set<number>();
    collectVars(site.scalar, 'i', iSlots);
    const rowPtr = (s: number, r: number) => `xr${n}_${s}_${r}`;
    for (let r = 0; r < R; r++)
      for (const s of iSlots) {
        const dim = spec.slots[s]!.dim;
        buf.stmt(
          `const T* __restrict ${rowPtr(s, r)} = X${s} + (i4 + ${r} < it.i1 ? i4 + ${r} : it.i1 - 1) * ${dim};`,
        );
      }
    const ex = expanded?.site === n ? expanded : undefined;
    buf.block('for (int c = t0 / CW * CW; c < t1; c += CW)', () => {
      const acc = (r: number, v: number) => `g${n}_${r}_${v}`;
      // Statements of the vectors v >= GEMM_VECS_ALWAYS compile only where LT_GEMM_VECS has them.
      const forVecs = (f: (v: number) => void) => {
        for (let v = 0; v < C; v++) {
          if (v === GEMM_VECS_ALWAYS) buf.stmt(`#if LT_GEMM_VECS > ${GEMM_VECS_ALWAYS}`);
          f(v);
        }
        if (C > GEMM_VECS_ALWAYS) buf.stmt('#endif');
      };
      for (let r = 0; r < R; r++) forVecs((v) => buf.stmt(`VT ${acc(r, v)} = {};`));
      buf.block(`for (int k = 0; k < ${site.dim}; k++)`, () => {
        const jLoads = new Map<string, string>();
        const iLoads = new Map<string, string>();
        const comp = (s: number) => (spec.slots[s]!.dim === 1 ? '0' : 'k');
        const load = (s: number, r: number, v: number): string => {
          const cat = spec.slots[s]!.cat;
          if (cat === 'p') return loader.param(s, comp(s));
          if (cat === 'i') {
            const key = `${s}_${r}`;
            if (!iLoads.has(key)) {
              const name = `xv${n}_${key}`;
              buf.stmt(`const T ${name} = ${rowPtr(s, r)}[${comp(s)}];`);
              iLoads.set(key, name);
            }
            return iLoads.get(key)!;
          }
          const key = `${s}_${v}`;
          if (!jLoads.has(key)) {
            const name = `yv${n}_${key}`;
            const at = `yb + (${loader.jColumn(s)} + ${comp(s)}) * TILE + c + ${v} * NW`;
            buf.stmt(`VT ${name};`);
            buf.stmt(`__builtin_memcpy(&${name}, ${at}, sizeof(VT));`);
            // Expanded sites: keep the column vector in a register for the GEMM_ROWS FMAs that use
            // it. Folded into each FMA as a memory operand, it is read GEMM_ROWS times per
            // component, and large-D tiles stream from L2 (D = 784 ran 30% slower).
            if (ex) buf.stmt(`LT_IN_REGISTER(${name});`);
            jLoads.set(key, name);
          }
          return jLoads.get(key)!;
        };
        if (ex) {
          for (let r = 0; r < R; r++)
            forVecs((v) => buf.stmt(`${acc(r, v)} += ${load(ex.ySlot, r, v)} * ${load(ex.xSlot, r, v)};`));
          return;
        }
        for (let r = 0; r < R; r++)
          forVecs((v) => {
            const vb = new ProbeBuffer(buf.d, `m${n}_${r}_${v}_`);
            const [e] = emitFormula(vb, site.scalar, (s) => load(s, r, v));
            for (const line of vb.toString().split('\n')) if (line.trim()) buf.stmt(line.trim());
            buf.stmt(`${acc(r, v)} += ${e};`);
          });
      });
      // Expanded: d~ = (|y|^2 + |x|^2) - (p + p). The row norms are read here, after the loop over
      // components, and no vector constant is needed: every vector register but the accumulators
      // and the broadcast stays free for the loop (a spilled accumulator cost a third at D = 784).
      if (ex)
        for (let r = 0; r < R; r++)
          buf.stmt(
            `const T nx${n}_${r} = ${ex.rowNorm(`(i4 + ${r} < it.i1 ? i4 + ${r} : it.i1 - 1) - it.i0`)};`,
          );
      if (ex)
        forVecs((v) => {
          buf.stmt(`VT ny${n}_${v};`);
          buf.stmt(
            `__builtin_memcpy(&ny${n}_${v}, yb + ${ex.normColumn} * TILE + c + ${v} * NW, sizeof(VT));`,
          );
          for (let r = 0; r < R; r++)
            buf.stmt(`${acc(r, v)} = (ny${n}_${v} + nx${n}_${r}) - (${acc(r, v)} + ${acc(r, v)});`);
        });
      if (ex) {
        for (let r = 0; r < R; r++) emitFusedSelect(buf, ex, r, (v) => acc(r, v), forVecs);
        return;
      }
      for (let r = 0; r < R; r++)
        forVecs((v) =>
          buf.stmt(`__builtin_memcpy(G${n} + ${r} * TILE + c + ${v} * NW, &${acc(r, v)}, sizeof(VT));`),
        );
    });
  });
}

/**
 * The selection of row i4 + r over the column group [c, c + CW) of an expanded site: the lanes'
 * minimum against the row's threshold (one comparison per group); only groups holding a candidate
 * store their values and fold the columns of [t0, t1) in, in increasing order.
 */
function emitFusedSelect(
  buf: CodeBuffer,
  ex: ExpandedSite,
  r: number,
  vec: (v: number) => string,
  forVecs: (f: (v: number) => void) => void,
): void {
  buf.block(`if (i4 + ${r} < it.i1)`, () => {
    buf.stmt(`const int64_t qr = i4 + ${r} - it.i0;`);
    buf.stmt(`VT mn = ${vec(0)};`);
    forVecs((v) => {
      if (v > 0) buf.stmt(`mn = ${vec(v)} < mn ? ${vec(v)} : mn;`);
    });
    // The group's minimum (no mask vector or constant to keep in a register).
    buf.stmt('T m = mn[0];');
    buf.stmt('for (int l = 1; l < NW; l++) m = mn[l] < m ? mn[l] : m;');
    buf.block(`if (m <= (T)${ex.threshold('qr')})`, () => {
      buf.stmt('alignas(64) T gr[CW];');
      forVecs((v) => buf.stmt(`__builtin_memcpy(gr + ${v} * NW, &${vec(v)}, sizeof(VT));`));
      buf.stmt('const int l0 = t0 > c ? t0 - c : 0;');
      buf.stmt('const int l1 = t1 - c < CW ? t1 - c : CW;');
      buf.stmt(`T th = (T)${ex.threshold('qr')};`);
      buf.block('for (int l = l0; l < l1; l++)', () => {
        buf.stmt('const T dv = gr[l];');
        // The state's own test admits a subset of these (NaN fails both).
        buf.block('if (dv <= th)', () => {
          buf.stmt('const int32_t jc = (int32_t)(o + c + l);');
          ex.insert(buf, 'qr', 'dv', 'jc');
          buf.stmt(`th = (T)${ex.threshold('qr')};`);
        });
      });
    });
  });
}

function collectVars(root: Node, cat: 'i' | 'j' | 'p', out: Set<number>): void {
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (isVar(n)) {
      if (varCat(n) === cat) out.add(varIndex(n));
    } else stack.push(...n.args);
  }
}
