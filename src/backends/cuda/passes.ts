import type { Node } from '../../formula/node.js';
import { elementwiseTree } from '../../kernel/passes/elementwise.js';
import { gather } from '../../kernel/passes/gather.js';
import { type PassPlan, stateOf } from '../../kernel/passes/split.js';
import type { KernelSpec } from '../../kernel/spec.js';
import type { ReductionShape } from '../../reduction/index.js';
import type { CodeBuffer } from '../common/codebuffer.js';
import { emitCudaChunks, emitCudaComponentsAt, type SlotLoader, vectorSlots } from './chunk.js';

/**
 * One pass of the kernel over j: a single pass, or a run-time loop of identical passes over the
 * output chunks (`c0` = 0, chunk, 2 chunk, ...) when the split components are an elementwise
 * expression that can be evaluated at a run-time component index.
 */
export interface PassEmit {
  shape: ReductionShape;
  loop?: { count: number; chunk: number };
  /** Emits the value components this pass reduces; `pre`: values of sites computed otherwise (gemm.ts). */
  value(buf: CodeBuffer, ld: SlotLoader, pre?: ReadonlyMap<number, string>): string[];
  outIndex(k: number): string;
  /** For a loop whose last chunk is partial: the condition under which output k exists. */
  outGuard?(k: number): string;
  stateF: number;
  stateI: number;
  /** Offsets of this pass's state in a row of the 2-D scheme's partial state (expressions). */
  offF: string;
  offI: string;
}

export const range = (a: number, n: number) => Array.from({ length: n }, (_, k) => a + k);

/** The passes of a spec and the slots they read at run-time indices. */
export function passEmits(
  spec: KernelSpec,
  plan: PassPlan | undefined,
): { passes: PassEmit[]; dynamic: number[] } {
  const n = spec.slots.length;
  if (!plan) {
    const st = stateOf(spec.reduction);
    const pass: PassEmit = {
      shape: spec.reduction,
      value: (buf, ld, pre) => emitCudaChunks(buf, spec.formula, n, ld, pre),
      outIndex: (k) => String(k),
      stateF: st.f,
      stateI: st.i,
      offF: '0',
      offI: '0',
    };
    return { passes: [pass], dynamic: [] };
  }
  const { width, offset, fixed } = plan;
  const vec: Node = gather(spec.formula, range(offset, width));
  const nPass = Math.ceil(width / plan.chunk);
  const dyn = nPass >= 2 && vec.dim > 1 && elementwiseTree(vec);
  const passes: PassEmit[] = [];
  const fixedNode = fixed.length > 0 ? gather(spec.formula, fixed) : undefined;
  if (dyn) {
    // One run-time loop over balanced chunks; the last one may be partial: its loads are clamped
    // to the last component and its missing outputs are not written.
    const chunk = Math.ceil(width / nPass);
    const partial = chunk * nPass !== width;
    const st = stateOf(plan.shape(chunk));
    passes.push({
      shape: plan.shape(chunk),
      loop: { count: nPass, chunk },
      value: (buf, ld) => [
        ...(fixedNode ? emitCudaChunks(buf, fixedNode, n, ld) : []),
        ...emitCudaComponentsAt(
          buf,
          vec,
          n,
          ld,
          (u) =>
            partial ? `(c0 + ${u} < ${width} ? c0 + ${u} : ${width - 1})` : u === 0 ? 'c0' : `c0 + ${u}`,
          chunk,
        ),
      ],
      outIndex: (k) => plan.outIndex(k, chunk, 'c0'),
      outGuard: partial ? (k) => `c0 + ${plan.compOf(k, chunk)} < ${width}` : undefined,
      stateF: st.f,
      stateI: st.i,
      offF: `(c0 / ${chunk}) * ${st.f}`,
      offI: `(c0 / ${chunk}) * ${st.i}`,
    });
    return { passes, dynamic: vectorSlots(vec) };
  }
  const chunk = plan.chunk;
  let offF = 0;
  let offI = 0;
  for (let c0 = 0; c0 < width; c0 += chunk) {
    const w = Math.min(chunk, width - c0);
    const shape = plan.shape(w);
    const st = stateOf(shape);
    const f = gather(spec.formula, [...fixed, ...range(offset + c0, w)]);
    passes.push({
      shape,
      value: (buf, ld) => emitCudaChunks(buf, f, n, ld),
      outIndex: (k) => plan.outIndex(k, w, String(c0)),
      stateF: st.f,
      stateI: st.i,
      offF: String(offF),
      offI: String(offI),
    });
    offF += st.f;
    offI += st.i;
  }
  return { passes, dynamic: [] };
}
