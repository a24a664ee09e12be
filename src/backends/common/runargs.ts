import { check } from '../../errors.js';
import type { KernelSpec } from '../../kernel/spec.js';
import type { BufferDType, GroupSumsRun, KernelRanges } from '../types.js';
import { validateRanges } from './ranges.js';

/** What a run reads of one buffer: a host typed array, or (device backends) a device buffer. */
interface BufferView {
  readonly length: number;
  readonly dtype: BufferDType;
}

/** The arguments of one run, host or device (RunArgs is the host case). */
export interface RunArgsLike {
  inputs: readonly unknown[];
  nI: number;
  nJ: number;
  out?: unknown;
  outIdx?: unknown;
  ranges?: KernelRanges;
  groups?: GroupSumsRun;
}

/** How a backend takes its buffers. */
export interface RunArgsPolicy {
  /** Whether device buffers (objects with `dtype` and `length`) are accepted besides host arrays. */
  device?: boolean;
  /** Whether the outputs may be omitted (the backend then allocates them). */
  optionalOutputs?: boolean;
}

const CTOR: Record<BufferDType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int32: 'Int32Array',
};

function hostDType(a: ArrayBufferView): BufferDType | undefined {
  return a instanceof Float32Array
    ? 'float32'
    : a instanceof Float64Array
      ? 'float64'
      : a instanceof Int32Array
        ? 'int32'
        : undefined;
}

/** The length and dtype of a buffer, or a description of why it is none. */
function view(a: unknown, device: boolean): BufferView | string {
  if (ArrayBuffer.isView(a)) {
    const dtype = hostDType(a);
    return dtype ? { length: (a as Float64Array).length, dtype } : `a ${a.constructor.name}`;
  }
  if (device && typeof a === 'object' && a !== null) {
    const { length, dtype } = a as BufferView;
    if (typeof length === 'number' && (dtype === 'float32' || dtype === 'float64' || dtype === 'int32'))
      return { length, dtype };
  }
  return a === undefined ? 'nothing' : a === null ? 'null' : typeof a === 'object' ? 'an object' : typeof a;
}

function kindOf(dtype: BufferDType, device: boolean): string {
  return `a ${CTOR[dtype]}${device ? ` or a ${dtype} device buffer` : ''}`;
}

function checkBuffer(
  what: string,
  a: unknown,
  n: number,
  dtype: BufferDType,
  device: boolean,
  detail: () => string,
): void {
  // Host arrays (the hot case) are checked without allocating.
  const host = ArrayBuffer.isView(a) ? hostDType(a) : undefined;
  if (host === dtype && (a as Float64Array).length === n) return;
  const v = view(a, device);
  check(
    typeof v !== 'string',
    () => `${what} must be ${dtype}, got ${v as string} (must be ${kindOf(dtype, device)})`,
  );
  check(
    v.dtype === dtype,
    () => `${what} must be ${dtype}, got ${v.dtype} (must be ${kindOf(dtype, device)})`,
  );
  check(v.length === n, detail);
}

/**
 * THE check of a run's arguments, shared by every backend and run before any of them touches a
 * buffer (C++ and the GPU trust every size): nI and nJ integers in [0, 2^31); one input per slot
 * of the spec's dtype and of exactly the length its category implies; the outputs; the ranges
 * (see ranges.ts). Throws LazyTensorError.
 */
export function validateRunArgs(spec: KernelSpec, args: RunArgsLike, policy: RunArgsPolicy = {}): void {
  const { nI, nJ, inputs } = args;
  const device = policy.device === true;
  checkCount('nI', nI);
  checkCount('nJ', nJ);
  const ns = spec.slots.length;
  check(
    Array.isArray(inputs) && inputs.length === ns,
    () =>
      `expected ${ns} input arrays, got ${inputs?.length}: the kernel takes ${ns} input array(s), got ${inputs?.length} (one per variable slot)`,
  );
  for (let s = 0; s < ns; s++) {
    const slot = spec.slots[s]!;
    const rows = slot.cat === 'i' ? nI : slot.cat === 'j' ? nJ : 1;
    const need = rows * slot.dim;
    const a = inputs[s];
    // Host arrays of the right type and length (the hot case): no message closure made.
    if (ArrayBuffer.isView(a) && hostDType(a) === spec.dtype && (a as Float64Array).length === need) continue;
    checkBuffer(`input ${s}`, a, need, spec.dtype, device, () => {
      const got = (view(a, device) as BufferView).length;
      return `input ${s} (${slot.cat}-variable of dimension ${slot.dim}) needs ${need} values, got ${got}: it must hold ${rows} x ${slot.dim} = ${need} values, got ${got}`;
    });
  }
  checkOutput('out', args.out, nI * spec.outDim, spec.dtype, spec.outDim, device, policy);
  checkOutput('outIdx', args.outIdx, nI * spec.outIdxDim, 'int32', spec.outIdxDim, device, policy);
  if (args.ranges) validateRanges(args.ranges, nI, nJ);
  validateGroups(spec, args.groups, nI, nJ);
}

/** The group-sum arrays of a run: present exactly when the spec asks for them, of the right lengths. */
function validateGroups(spec: KernelSpec, g: GroupSumsRun | undefined, nI: number, nJ: number): void {
  const gs = spec.groupSums;
  if (!gs && !g) return;
  check(gs !== undefined, 'groups given to a kernel without groupSums');
  check(g !== undefined, 'a kernel with groupSums needs its groups arrays');
  const { dim, weighted } = gs;
  checkBuffer(
    'groups.values',
    g.values,
    nI * dim,
    spec.dtype,
    false,
    () => `groups.values needs ${nI} x ${dim} values, got ${g.values.length}`,
  );
  if (weighted)
    checkBuffer(
      'groups.weights',
      g.weights,
      nI,
      'float64',
      false,
      () => `groups.weights needs ${nI} values, got ${g.weights?.length}`,
    );
  else check(g.weights === undefined, 'groups.weights given to a kernel whose groupSums are not weighted');
  checkBuffer(
    'groups.out',
    g.out,
    nJ * (dim + 1),
    'float64',
    false,
    () => `groups.out needs ${nJ} x ${dim + 1} values, got ${g.out.length}`,
  );
}

function checkCount(n: string, v: number): void {
  if (Number.isInteger(v) && v >= 0 && v < 2 ** 31) return;
  check(false, () => `${n} must be an integer >= 0 (and < 2^31), got ${v}`);
}

function checkOutput(
  what: string,
  a: unknown,
  n: number,
  dtype: BufferDType,
  dim: number,
  device: boolean,
  policy: RunArgsPolicy,
): void {
  if (dim === 0 || (a === undefined && policy.optionalOutputs)) return;
  if (ArrayBuffer.isView(a) && hostDType(a) === dtype && (a as Int32Array).length === n) return;
  const v = view(a, device);
  check(
    typeof v !== 'string' && v.dtype === dtype && v.length === n,
    () =>
      `${what} must hold ${n} values: ${what} must be ${kindOf(dtype, device)} of ${n} values, got ${typeof v === 'string' ? v : `a ${v.dtype} buffer of ${v.length} values`}`,
  );
}
