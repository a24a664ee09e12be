import { LazyTensorError } from '../errors.js';
import { hasOp, opDef } from '../formula/opRegistry.js';
import { decodeTensorDot, encodeTensorDot } from '../formula/ops/tensorparams.js';

/**
 * How KeOps writes the arguments of each operation: 'f' a formula, 'i' an integer literal, 't' a
 * tuple of integers `(2,3)`; a trailing '?' marks the last argument optional. IR names are KeOps
 * names, and integer IR params follow the order of the integer arguments in KeOps syntax (Pow(f, n),
 * Elem(f, k), ElemT(f, n, k), Extract(f, start, len), ExtractT(f, start, dim), SumT(f, d),
 * ClampInt(f, a, b), OneHot(f, d), Round(f, d)). Ops registered later that are not in this table
 * are written as their formula arguments followed by their integer params.
 */
const SYNTAX: Record<string, string> = {
  // elementwise, one formula
  Minus: 'f',
  Exp: 'f',
  Log: 'f',
  Sqrt: 'f',
  Rsqrt: 'f',
  Inv: 'f',
  Square: 'f',
  Abs: 'f',
  Sign: 'f',
  Step: 'f',
  ReLU: 'f',
  Sin: 'f',
  Cos: 'f',
  SinXDivX: 'f',
  Asin: 'f',
  Acos: 'f',
  Atan: 'f',
  Floor: 'f',
  XLogX: 'f',
  // vector reductions and norms
  Sum: 'f',
  Max: 'f',
  Min: 'f',
  ArgMax: 'f',
  ArgMin: 'f',
  SqNorm2: 'f',
  Norm2: 'f',
  Normalize: 'f',
  // two or three formulas
  Add: 'ff',
  Subtract: 'ff',
  Mult: 'ff',
  Divide: 'ff',
  Powf: 'ff',
  Atan2: 'ff',
  SqDist: 'ff',
  WeightedSqNorm: 'ff',
  Scalprod: 'ff',
  MatVecMult: 'ff',
  VecMatMult: 'ff',
  TensorProd: 'ff',
  Concat: 'ff',
  Clamp: 'fff',
  IfElse: 'fff',
  Mod: 'fff',
  WeightedSqDist: 'fff',
  // integer parameters
  Pow: 'fi',
  Elem: 'fi',
  ElemT: 'fii',
  Extract: 'fii',
  ExtractT: 'fii',
  SumT: 'fi',
  ClampInt: 'fii',
  OneHot: 'fi',
  Round: 'fi',
  // tuples: TensorDot(a, b, dimsA, dimsB, contA, contB, perm?), Kron(a, b, dimsA, dimsB)
  TensorDot: 'fftttt?t',
  Kron: 'fftt',
  // complex numbers (re/im interleaved)
  ComplexReal: 'f',
  ComplexImag: 'f',
  Real2Complex: 'f',
  Imag2Complex: 'f',
  ComplexExp1j: 'f',
  Conj: 'f',
  ComplexExp: 'f',
  ComplexAbs: 'f',
  ComplexSquareAbs: 'f',
  ComplexAngle: 'f',
  ComplexSum: 'f',
  ComplexSumT: 'fi',
  ComplexAdd: 'ff',
  ComplexSubtract: 'ff',
  ComplexMult: 'ff',
  ComplexScal: 'ff',
  ComplexDivide: 'ff',
  ComplexRealScal: 'ff',
};

/** An argument pattern: kinds in order and how many are required. */
export interface Signature {
  readonly kinds: readonly ('f' | 'i' | 't')[];
  readonly required: number;
}

function parseSig(s: string): Signature {
  const kinds: ('f' | 'i' | 't')[] = [];
  let required = -1;
  for (const c of s) {
    if (c === '?') required = kinds.length;
    else kinds.push(c as 'f' | 'i' | 't');
  }
  return { kinds, required: required < 0 ? kinds.length : required };
}

/** True for a KeOps operation name this parser knows, registered in the op table or not. */
export function isKnownKeOpsName(name: string): boolean {
  return Object.hasOwn(SYNTAX, name);
}

/** Every KeOps operation name of the syntax table. */
export function keopsNames(): string[] {
  return Object.keys(SYNTAX);
}

/**
 * The argument pattern of a registered op. Ops of the table use its pattern; other registered ops
 * take their formula arguments followed by their integer params. Undefined when the op is not
 * registered (or variadic, which KeOps syntax does not write).
 */
export function signatureOf(name: string): Signature | undefined {
  if (!hasOp(name)) return undefined;
  const own = Object.hasOwn(SYNTAX, name) ? SYNTAX[name] : undefined;
  if (own !== undefined) return parseSig(own);
  const def = opDef(name);
  if (def.arity < 0 || (def.nParams !== undefined && def.nParams < 0)) return undefined;
  return parseSig('f'.repeat(def.arity) + 'i'.repeat(def.nParams ?? 0));
}

/** Describes a pattern in words, for arity errors: "a formula and an integer". */
export function describeSignature(name: string, sig: Signature): string {
  const word = { f: 'a formula', i: 'an integer', t: 'a tuple of integers' } as const;
  const parts = sig.kinds.map((k, n) => (n >= sig.required ? `optionally ${word[k]}` : word[k]));
  const count =
    sig.required === sig.kinds.length ? `${sig.kinds.length}` : `${sig.required} to ${sig.kinds.length}`;
  return `${name} expects ${count} argument(s): ${parts.join(', ')}`;
}

/**
 * Encodes the integer and tuple arguments of an op as IR params: plain integers in order, a tuple
 * as its length followed by its items (Kron), except TensorDot, whose encoding is owned by the op
 * (`encodeTensorDot`: contracted axes of a and b share one length).
 */
export function encodeParams(name: string, ints: readonly (number | readonly number[])[]): number[] {
  if (name === 'TensorDot') {
    const [dimsA, dimsB, contA, contB, permute] = ints as (readonly number[])[];
    if (contA!.length !== contB!.length) {
      throw new LazyTensorError(
        `TensorDot: the contracted axes of a (${contA!.length}) and b (${contB!.length}) must be as many`,
      );
    }
    return encodeTensorDot({
      dimsA: [...dimsA!],
      dimsB: [...dimsB!],
      contA: [...contA!],
      contB: [...contB!],
      permute: [...(permute ?? [])],
    });
  }
  const out: number[] = [];
  for (const p of ints) {
    if (typeof p === 'number') out.push(p);
    else {
      out.push(p.length);
      for (const q of p) out.push(q);
    }
  }
  return out;
}

/** Splits IR params back into integer and tuple arguments following a signature. */
export function decodeParams(name: string, sig: Signature, params: readonly number[]): (number | number[])[] {
  if (name === 'TensorDot') {
    const s = decodeTensorDot(params);
    return s.permute.length > 0
      ? [s.dimsA, s.dimsB, s.contA, s.contB, s.permute]
      : [s.dimsA, s.dimsB, s.contA, s.contB];
  }
  const out: (number | number[])[] = [];
  let k = 0;
  for (const kind of sig.kinds) {
    if (kind === 'f') continue;
    if (k >= params.length) break;
    if (kind === 'i') out.push(params[k++]!);
    else {
      const n = params[k++]!;
      out.push(params.slice(k, k + n));
      k += n;
    }
  }
  return out;
}
