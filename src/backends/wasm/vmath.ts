import { Body, type FuncDef, T } from './encoder.js';

/**
 * Vector exp and log of float32 accuracy over f32x4 (SIMD128), as module functions
 * (v128) -> v128. Cephes-style: range reduction by powers of two, minimax polynomials of
 * float32 accuracy on the reduced range, exact scaling by exponent bits. Both follow IEEE special
 * values: exp(-inf) = 0, exp(+inf) = +inf, subnormal results; log(0) = -inf, log(x < 0) = NaN,
 * subnormal arguments; NaN in, NaN out.
 */

const V = T.v128;
const SHIFT = 12582912;
/**
 * The shifter's bias when the result is at most 1: 127 + 63, the exponent field of 2^(n + 63)
 * (see vexpF32Code). Even, as 254, so that the shifter rounds ties to the same n as f32x4.nearest.
 */
const NONPOS_BIAS = 190;

/** f32x4 helpers over a Body (opcodes of the SIMD proposal). */
class Vb {
  constructor(readonly b: Body) {}
  f(v: number): this {
    this.b.v128(new Uint8Array(new Float32Array(4).fill(v).buffer));
    return this;
  }
  i(v: number): this {
    this.b.v128(new Uint8Array(new Int32Array(4).fill(v).buffer));
    return this;
  }
  get(l: number): this {
    this.b.get(l);
    return this;
  }
  set(l: number): this {
    this.b.set(l);
    return this;
  }
  s(code: number): this {
    this.b.simd(code);
    return this;
  }
  add = () => this.s(0xe4);
  sub = () => this.s(0xe5);
  mul = () => this.s(0xe6);
  min = () => this.s(0xe8);
  max = () => this.s(0xe9);
  /** Pseudo-min/max (b < a ? b : a, a < b ? b : a): one x64 instruction each, NaN in a passes. */
  pmin = () => this.s(0xea);
  pmax = () => this.s(0xeb);
  /** Horner: acc = acc * x + c for each c (acc on the stack). */
  horner(x: number, cs: readonly number[]): this {
    for (const c of cs) this.get(x).mul().f(c).add();
    return this;
  }
}

/** Variants of the inlined vector exp. */
export interface ExpOptions {
  /** Computes exp(-x). */
  negate?: boolean;
  /** The argument (after the negation) is known to be <= 0 or NaN. */
  nonPositive?: boolean;
  /**
   * Uses relaxed SIMD's fused multiply-add (f32x4.relaxed_madd/nmadd): 8 instructions fewer; the
   * module then validates only where the runtime has relaxed SIMD (features.ts).
   */
  fma?: boolean;
}

/** exp(x) for f32x4 as a module function (v128) -> v128. */
export function vexpF32(): FuncDef {
  const body = new Body();
  body.get(0);
  vexpF32Code(body, [0, 1, 2, 3]);
  return { type: { params: [V], results: [V] }, locals: [V, V, V], body };
}

/**
 * Minimax coefficients of exp(r) = 1 + r + r^2 Q(r) on |r| <= ln(2) / 2, Q of degree 4 (relative
 * error 4.3e-9 before rounding; with rounding, exp is within 1.03 ulp of float32 at worst over a
 * 2e6-point grid of [-87, 88]). Highest degree first.
 */
const EXP_Q = [
  1.3893402647227049e-3, 8.370262570679188e-3, 4.1667088866233826e-2, 1.6666506230831146e-1,
  4.999999701976776e-1,
];

/**
 * Code of exp for f32x4: takes x from the stack, leaves exp(x) (or exp(-x) when `negate`, at no
 * extra cost: the signs fold into the constants, and the result is bitwise that of exp applied to
 * -x); uses four v128 locals (given), so a kernel inlines it (V8 does not inline wasm calls, and a
 * call per vector costs more than the polynomial). Branch-free, 28 SIMD instructions and 12
 * constants (V8 keeps loop constants in the 16 xmm registers or spills them).
 *
 * With `nonPositive` the caller knows that the argument (after the negation) is <= 0 or NaN, as
 * in Gaussian kernels exp(-|x - y|^2): the result is then bit for bit the same (checked once for
 * every float32 argument in [-104.5, 0]; the tests check every rounding tie and a grid) in 24
 * instructions with 2 fewer on the chain from x to the result:
 * one clamp, the polynomial scaled by 2^-63 and one product by the normal 2^(n + 63), instead of
 * two clamps and two computed factors. Kernel loops are latency-bound (a vector's chain of
 * dependent instructions is long and the out-of-order window holds few vectors), so every
 * instruction on or off the chain counts.
 */
export function vexpF32Code(
  body: Body,
  locals: readonly [number, number, number, number],
  opts: ExpOptions = {},
): void {
  const { negate = false, nonPositive = false, fma = false } = opts;
  const v = new Vb(body);
  const [x, r, n, z] = locals;
  const sg = negate ? -1 : 1;
  // q[k]: the coefficient of r^k in Q (odd degrees flip sign when negated).
  const q = EXP_Q.map((c, k) => (negate && (4 - k) % 2 === 1 ? -c : c)).reverse();
  body.set(x);
  // Clamp: below -104 the result is 0, above 88.8 it is +inf. pmin/pmax (a NaN x passes through)
  // rather than min/max, whose NaN and -0 rules cost V8 about seven x64 instructions each.
  // Negated: -x in [-104, 88.8] is x in [-88.8, 104].
  // Non-positive: only the lower clamp (the argument is <= 0 already, or NaN).
  if (negate && nonPositive) v.get(x).f(104).pmin().set(x);
  else if (nonPositive) v.get(x).f(-104).pmax().set(x);
  else if (negate) v.get(x).f(-88.8).pmax().f(104).pmin().set(x);
  else v.get(x).f(88.8).pmin().f(-104).pmax().set(x);
  // t = sg x / ln 2 (into z); n = round(t): as a float by f32x4.nearest (one instruction) and,
  // off the chain that leads to the result, as integer bits by a shifter: the float sum
  // t + 1.5 * 2^23 + 254 has the integer 1.5 * 2^23 + 254 + n, so its low 9 bits hold
  // m = n + 254 (both round to nearest even, so the two n agree).
  v.get(x)
    .f(sg * Math.LOG2E)
    .mul()
    .set(z);
  v.get(z)
    .f(SHIFT + (nonPositive ? NONPOS_BIAS : 254))
    .add()
    .set(n);
  v.get(z).s(0x6a).set(z);
  // r = sg x - n ln 2 (two-part constant); negated, r holds -r (Q's odd coefficients flip).
  // Non-positive: p 2^-63 (every coefficient, r and 1 times 2^-63: the same roundings, in the
  // normal range), so that one product by 2^(n + 63) below gives the result.
  const sc = nonPositive ? 2 ** -63 : 1;
  if (fma) {
    // r = x - z C1 - z C2 with z C2 unrounded; p = (A + B r^2) r^2 + r + 1 with A = q0 + q1 r,
    // B = q2 + q3 r + q4 r^2 (negated: 1 - (r - (A + B r^2) r^2)): 7 instructions for 13.
    const madd = () => v.s(0x105);
    const nmadd = () => v.s(0x106);
    v.get(z)
      .f(sg * -2.1219444e-4)
      .get(z)
      .f(sg * 0.693359375)
      .get(x);
    nmadd();
    nmadd();
    v.set(r);
    v.get(r).get(r).mul().set(z); // r^2
    v.get(z)
      .f(sc * q[4]!)
      .get(r)
      .f(sc * q[3]!)
      .f(sc * q[2]!);
    madd();
    madd(); // B
    v.get(z)
      .get(r)
      .f(sc * q[1]!)
      .f(sc * q[0]!);
    madd(); // A
    madd(); // A + B r^2
    v.get(z).get(r);
    if (sc !== 1) v.f(sc).mul();
    if (negate) {
      nmadd();
      v.set(x).f(sc).get(x).sub().set(x);
    } else {
      madd();
      v.f(sc).add().set(x);
    }
  } else {
    v.get(x)
      .get(z)
      .f(sg * 0.693359375)
      .mul()
      .sub()
      .get(z)
      .f(sg * -2.1219444e-4)
      .mul()
      .sub()
      .set(r);
    // p = Q(r) r^2 + r + 1 (negated: Q(-r') r'^2 - r' + 1), into x; Q r^2 by Estrin's scheme
    // (q0 + q1 r) r^2 + ((q2 + q3 r) + q4 r^2) r^4: a chain of 7 operations where Horner's has 10
    // (V8 does not schedule for latency: the CPU alone overlaps successive vectors, more when short).
    v.get(r).get(r).mul().set(z); // r^2
    v.get(r)
      .f(sc * q[1]!)
      .mul()
      .f(sc * q[0]!)
      .add()
      .get(z)
      .mul()
      .set(x); // (q0 + q1 r) r^2
    v.get(r)
      .f(sc * q[3]!)
      .mul()
      .f(sc * q[2]!)
      .add()
      .get(z)
      .f(sc * q[4]!)
      .mul()
      .add(); // q2 + q3 r + q4 r^2
    v.get(z).get(z).mul().mul().get(x).add().get(r); // ... r^4 + (q0 + q1 r) r^2
    if (nonPositive) v.f(sc).mul(); // off the chain: r is ready early
    if (negate) v.sub();
    else v.add();
    v.f(sc).add().set(x);
  }
  if (nonPositive) {
    // n in [-150, 0]: m = n + 190 in [40, 190] is the exponent field of 2^(n + 63), a normal
    // float; the product (p 2^-63) 2^(n + 63) rounds once, as the two factors below.
    body.get(x).get(n).i32c(23).simd(0xab);
    v.mul();
    return;
  }
  // Scale by 2^n = 2^(m - h - 127) 2^(h - 127), h = m >> 1: both factors are normal floats for
  // m = n + 254 in [104, 382] (x in [-104, 88.8]); the product rounds once into the subnormal
  // range (and overflows to inf above 88.72). Shifting the shifter's bits left by 23 keeps the
  // low 9 bits of m and of h, and the high bits of the shifter (and half of them) are zero there,
  // so no masking. Branch-free: cheaper than testing for the rare lanes that need two factors.
  body.get(n).i32c(1).simd(0xac).set(z); // h (plus half the shifter's high bits)
  body.get(x).get(n).get(z).simd(0xb1).i32c(23).simd(0xab); // (m - h) << 23
  v.mul();
  body.get(z).i32c(23).simd(0xab); // h << 23
  v.mul();
}

/** log(x) for f32x4. Locals: x=0 (param), xs=1, e=2, m=3, f=4, z=5, y=6, big=7. */
export function vlogF32(): FuncDef {
  const body = new Body();
  const v = new Vb(body);
  const [x, xs, e, m, f, z, y, big] = [0, 1, 2, 3, 4, 5, 6, 7];
  // Subnormal (and non-positive) arguments are scaled by 2^23 first; e corrects for it.
  v.get(x).f(8388608).mul().get(x).get(x).f(1.1754943508222875e-38).s(0x43).set(big).get(big).s(0x52).set(xs);
  v.get(big).i(23).s(0x4e).set(e); // 23 where scaled, else 0
  // e = ((bits >> 23) & 0xff) - 127 - scaled
  body.get(xs).i32c(23).simd(0xad);
  v.i(0xff).s(0x4e).i(127).s(0xb1).get(e).s(0xb1).set(e);
  // m = mantissa in [1, 2)
  v.get(xs).i(0x7fffff).s(0x4e).i(0x3f800000).s(0x50).set(m);
  // m > sqrt 2: m /= 2, e += 1
  v.get(m).f(Math.SQRT2).s(0x44).set(big);
  v.get(m).f(0.5).mul().get(m).get(big).s(0x52).set(m);
  v.get(e).get(big).s(0xb1).set(e);
  v.get(m).f(1).sub().set(f);
  v.get(f).get(f).mul().set(z);
  // y = f z P(f)
  v.f(7.0376836292e-2).horner(
    f,
    [
      -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1,
      -2.4999993993e-1, 3.3333331174e-1,
    ],
  );
  v.get(f).mul().get(z).mul().set(y);
  v.get(e).s(0xfa).set(e); // e as f32x4
  v.get(y).get(e).f(-2.1219444e-4).mul().add();
  v.get(z).f(0.5).mul().sub();
  v.get(f).add().get(e).f(0.693359375).mul().add().set(y);
  // Special values.
  v.f(Number.POSITIVE_INFINITY).get(y).get(x).f(Number.POSITIVE_INFINITY).s(0x41).s(0x52).set(y);
  v.f(Number.NEGATIVE_INFINITY).get(y).get(x).f(0).s(0x41).s(0x52).set(y);
  v.f(Number.NaN).get(y).get(x).f(0).s(0x43).get(x).get(x).s(0x42).s(0x50).s(0x52);
  return { type: { params: [V], results: [V] }, locals: [V, V, V, V, V, V, V], body };
}

/** f64x2 helpers. */
function f64s(b: Body, v: number): void {
  b.v128(new Uint8Array(new Float64Array(2).fill(v).buffer));
}
function i64s(b: Body, v: number): void {
  b.v128(new Uint8Array(new BigInt64Array(2).fill(BigInt(v)).buffer));
}

/**
 * Code of exp for f64x2 (double accuracy, Cephes-style rational form): takes x from the stack,
 * leaves exp(x) (exp(-x) when `negate`); four v128 scratch locals. Subnormal results and IEEE special values as for f32x4.
 */
export function vexpF64Code(
  body: Body,
  locals: readonly [number, number, number, number],
  opts: ExpOptions = {},
): void {
  const negate = opts.negate === true;
  const [x, n, r, z] = locals;
  if (negate) body.simd(0xed); // f64x2.neg
  const add = () => body.simd(0xf0);
  const sub = () => body.simd(0xf1);
  const mul = () => body.simd(0xf2);
  body.set(x);
  // Clamp: below -745.2 the result is 0, above 709.8 it is +inf (NaN passes through).
  body.get(x);
  f64s(body, 709.8);
  body.simd(0xf6); // pmin: one instruction (see vexpF32Code)
  f64s(body, -745.2);
  body.simd(0xf7).set(x); // pmax
  body.get(x);
  f64s(body, Math.LOG2E);
  mul();
  body.simd(0x94).set(n); // nearest
  body.get(x).get(n);
  f64s(body, 6.93145751953125e-1);
  mul();
  sub();
  body.get(n);
  f64s(body, 1.4286068203094173e-6);
  mul();
  sub();
  body.set(r);
  body.get(r).get(r);
  mul();
  body.set(z);
  // px = r P(z), into x
  f64s(body, 0.00012617719307481058);
  body.get(z);
  mul();
  f64s(body, 0.030299440770744195);
  add();
  body.get(z);
  mul();
  f64s(body, 1.0);
  add();
  body.get(r);
  mul();
  body.set(x);
  // e = 1 + 2 px / (Q(z) - px)
  body.get(x);
  f64s(body, 3.0019850513866446e-6);
  body.get(z);
  mul();
  f64s(body, 0.002524483403496841);
  add();
  body.get(z);
  mul();
  f64s(body, 0.22726554820815503);
  add();
  body.get(z);
  mul();
  f64s(body, 2.0);
  add();
  body.get(x);
  sub();
  body.simd(0xf3); // div
  f64s(body, 2);
  mul();
  f64s(body, 1);
  add();
  // Scale by 2^n = 2^(n>>1) 2^(n - (n>>1)).
  body.get(n).simd(0xfc).simd(0xc7).set(n); // n as i64x2
  body.get(n).i32c(1).simd(0xcc);
  i64s(body, 1023);
  body.simd(0xce).i32c(52).simd(0xcb);
  mul();
  body.get(n).get(n).i32c(1).simd(0xcc).simd(0xd1);
  i64s(body, 1023);
  body.simd(0xce).i32c(52).simd(0xcb);
  mul();
}
