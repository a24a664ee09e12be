/**
 * The fixed C++ prelude of every generated translation unit: vectorisable exp, log, pow, sin, cos,
 * atan, atan2, asin and acos written as branch-free polynomials
 * (the loop vectoriser inlines them into SIMD code; no libm call, no -ffast-math needed), a few helpers with JavaScript semantics, the planner that turns dense or
 * block-sparse ranges into row chunks, and the parallel loop (OpenMP, or std::thread when the
 * compiler has no OpenMP). Constant text: nothing here depends on user input.
 */
export const PRELUDE = `#include <stdint.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#else
#include <thread>
#endif

#define LT_EXPORT extern "C" __attribute__((visibility("default")))
// The math functions of the pair loops: always inlined (a call would keep the loop scalar; GCC
// declines to inline the larger ones, e.g. double sin and pow, once a kernel grows).
#define LT_MATH __attribute__((always_inline)) static inline

// GEMM micro-kernels: bytes of their generic vector type (the target's widest registers) and
// vectors of columns per tile (4 with 32 registers, else 2: the accumulators stay in registers).
#if defined(__AVX512F__)
#define LT_VBYTES 64
#define LT_GEMM_VECS 4
#elif defined(__AVX__) || defined(__aarch64__)
#define LT_VBYTES 32
#define LT_GEMM_VECS 2
#else
#define LT_VBYTES 16
#define LT_GEMM_VECS 2
#endif

namespace lt {

template <class To, class From> static inline To bits(From x) {
  To y;
  __builtin_memcpy(&y, &x, sizeof(To));
  return y;
}

// exp: x = n ln2 + r (Cody-Waite), Taylor polynomial on |r| <= ln2/2 with its coefficients
// doubled, times 2^(n-1) built from the exponent bits: one multiply, valid for n in [-125, 128]
// (float) / [-1021, 1024] (double), i.e. up to the overflow threshold. Results below 2.4e-38
// (float) / 4.5e-308 (double) flush to 0 (no subnormals); NaN propagates, -inf gives 0.
LT_MATH float exp_(float x) {
  float xc = x < -86.9f ? -86.9f : x;
  xc = xc > 88.7228394f ? 88.7228394f : xc;
  const float n = __builtin_rintf(xc * 1.44269504088896341f);
  float r = __builtin_fmaf(n, -0.693145751953125f, xc);
  r = __builtin_fmaf(n, -1.428606765330187045e-06f, r);
  float p = 3.9682539683e-4f;
  p = __builtin_fmaf(p, r, 2.7777777778e-3f);
  p = __builtin_fmaf(p, r, 1.6666666667e-2f);
  p = __builtin_fmaf(p, r, 8.3333333333e-2f);
  p = __builtin_fmaf(p, r, 3.3333333333e-1f);
  p = __builtin_fmaf(p, r, 1.0f);
  p = __builtin_fmaf(p, r, 2.0f);
  p = __builtin_fmaf(p, r, 2.0f);
  float y = p * bits<float>((int32_t)(((int32_t)n + 126) << 23));
  y = x < -86.9f ? 0.0f : y;
  return x > 88.7228394f ? __builtin_inff() : y;
}

LT_MATH double exp_(double x) {
  double xc = x < -707.5 ? -707.5 : x;
  xc = xc > 709.782712893384 ? 709.782712893384 : xc;
  const double n = __builtin_rint(xc * 1.4426950408889634074);
  double r = __builtin_fma(n, -6.93147180369123816490e-01, xc);
  r = __builtin_fma(n, -1.90821492927058770002e-10, r);
  double p = 3.21180876736432291988e-10;
  p = __builtin_fma(p, r, 4.17535139757361979584e-09);
  p = __builtin_fma(p, r, 5.01042167708834375502e-08);
  p = __builtin_fma(p, r, 5.51146384479717813052e-07);
  p = __builtin_fma(p, r, 5.51146384479717813052e-06);
  p = __builtin_fma(p, r, 4.96031746031746031746e-05);
  p = __builtin_fma(p, r, 3.96825396825396825397e-04);
  p = __builtin_fma(p, r, 2.77777777777777777778e-03);
  p = __builtin_fma(p, r, 1.66666666666666666667e-02);
  p = __builtin_fma(p, r, 8.33333333333333333333e-02);
  p = __builtin_fma(p, r, 3.33333333333333333333e-01);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 2.0);
  p = __builtin_fma(p, r, 2.0);
  double y = p * bits<double>((int64_t)(((int64_t)n + 1022) << 52));
  y = x < -707.5 ? 0.0 : y;
  return x > 709.782712893384 ? __builtin_inf() : y;
}

// log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f), z = s^2:
// log m = f - (f^2/2 - s (f^2/2 + 2 z q(z))) with q the atanh series (fdlibm's arrangement).
// Subnormals are rescaled; 0 gives -inf, negatives and NaN give NaN, +inf gives +inf.
LT_MATH float log_(float x) {
  const bool sub = x < 1.17549435e-38f;
  const float xs = sub ? x * 16777216.0f : x;
  const int32_t ix = bits<int32_t>(xs) - 0x3f3504f3;
  const int32_t e = (ix >> 23) - (sub ? 24 : 0);
  const float m = bits<float>((int32_t)((ix & 0x007fffff) + 0x3f3504f3));
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  float q = 0.11111111f;
  q = __builtin_fmaf(q, z, 0.14285714f);
  q = __builtin_fmaf(q, z, 0.2f);
  q = __builtin_fmaf(q, z, 0.33333333f);
  const float hf = 0.5f * f * f;
  const float lm = f - (hf - s * (hf + 2.0f * z * q));
  const float fe = (float)e;
  float y = __builtin_fmaf(fe, 0.693145751953125f, __builtin_fmaf(fe, 1.428606765330187045e-06f, lm));
  y = x == 0.0f ? -__builtin_inff() : y;
  y = x < 0.0f ? __builtin_nanf("") : y;
  y = x == __builtin_inff() ? x : y;
  return x == x ? y : x;
}

LT_MATH double log_(double x) {
  const bool sub = x < 2.2250738585072014e-308;
  const double xs = sub ? x * 18014398509481984.0 : x;
  const int64_t ix = bits<int64_t>(xs) - 0x3fe6a09e667f3bcdLL;
  const int64_t e = (ix >> 52) - (sub ? 54 : 0);
  const double m = bits<double>((int64_t)((ix & 0x000fffffffffffffLL) + 0x3fe6a09e667f3bcdLL));
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double q = 1.0 / 23.0;
  q = __builtin_fma(q, z, 1.0 / 21.0);
  q = __builtin_fma(q, z, 1.0 / 19.0);
  q = __builtin_fma(q, z, 1.0 / 17.0);
  q = __builtin_fma(q, z, 1.0 / 15.0);
  q = __builtin_fma(q, z, 1.0 / 13.0);
  q = __builtin_fma(q, z, 1.0 / 11.0);
  q = __builtin_fma(q, z, 1.0 / 9.0);
  q = __builtin_fma(q, z, 1.0 / 7.0);
  q = __builtin_fma(q, z, 1.0 / 5.0);
  q = __builtin_fma(q, z, 1.0 / 3.0);
  const double hf = 0.5 * f * f;
  const double lm = f - (hf - s * (hf + 2.0 * z * q));
  const double fe = (double)e;
  double y = __builtin_fma(fe, 6.93147180369123816490e-01, __builtin_fma(fe, 1.90821492927058770002e-10, lm));
  y = x == 0.0 ? -__builtin_inf() : y;
  y = x < 0.0 ? __builtin_nan("") : y;
  y = x == __builtin_inf() ? x : y;
  return x == x ? y : x;
}

// pow of float kernels: |x|^y = exp(y log|x|) evaluated in double (exp_/log_ above, ~1 double ulp
// each, so the float result is within 1 float ulp), then C's rules for the sign and the special
// cases, all as selects: the loop vectoriser turns it into SIMD code (powf is a scalar libm call).
LT_MATH float pow_(float x, float y) {
  const double ax = (double)__builtin_fabsf(x);
  float f = (float)exp_((double)y * log_(ax));
  const bool yint = __builtin_rintf(y) == y;  // false for NaN, true for +-inf
  const float h = y * 0.5f;
  const bool odd = yint && __builtin_rintf(h) != h;
  const bool neg = bits<int32_t>(x) < 0;  // sign bit: -0 too
  f = neg && odd ? -f : f;
  f = x < 0.0f && !yint ? __builtin_nanf("") : f;
  f = x == -__builtin_inff() && !yint && y == y ? (y > 0.0f ? __builtin_inff() : 0.0f) : f;
  f = (x == -1.0f && (y == __builtin_inff() || y == -__builtin_inff())) ? 1.0f : f;
  f = y == 0.0f ? 1.0f : f;
  return x == 1.0f ? 1.0f : f;
}

// log |x| of double pow as hi + lo (~2^-62 relative): x = m 2^e with m in [sqrt(1/2), sqrt(2)),
// m near c, one of 3/4, 7/8, 1, 9/8, 5/4, 11/8 (selects), s = (m - c) / (m + c) as a
// double-double (m - c exact, m + c by two-sum, the quotient's residual by fma), |s| < 0.044:
// log m = log c + 2 s + s z Q(z) with z = s^2 and Q the atanh series to z^7 (its share is below
// 2^-10, so a double suffices); log c and e ln2 in two parts (e ln2's high part exact).
LT_MATH void log2x_(double x, double* hi, double* lo) {
  const bool sub = x < 2.2250738585072014e-308;
  const double xs = sub ? x * 18014398509481984.0 : x;
  const int64_t ix = bits<int64_t>(xs) - 0x3fe6a09e667f3bcdLL;
  const double e = (double)((ix >> 52) - (sub ? 54 : 0));
  const double m = bits<double>((int64_t)((ix & 0x000fffffffffffffLL) + 0x3fe6a09e667f3bcdLL));
  double c = 0.75, ch = -0.2876820724517809, cl = -2.607160616442564e-17;
  c = m >= 0.8125 ? 0.875 : c;
  ch = m >= 0.8125 ? -0.13353139262452263 : ch;
  cl = m >= 0.8125 ? 3.664457663660085e-18 : cl;
  c = m >= 0.9375 ? 1.0 : c;
  ch = m >= 0.9375 ? 0.0 : ch;
  cl = m >= 0.9375 ? 0.0 : cl;
  c = m >= 1.0625 ? 1.125 : c;
  ch = m >= 1.0625 ? 0.11778303565638346 : ch;
  cl = m >= 1.0625 ? -1.1971685747593677e-18 : cl;
  c = m >= 1.1875 ? 1.25 : c;
  ch = m >= 1.1875 ? 0.22314355131420976 : ch;
  cl = m >= 1.1875 ? -9.091270597324799e-18 : cl;
  c = m >= 1.3125 ? 1.375 : c;
  ch = m >= 1.3125 ? 0.3184537311185346 : ch;
  cl = m >= 1.3125 ? 2.7114779367326236e-17 : cl;
  const double f = m - c;
  const double th = m + c;
  const double tb = th - m;
  const double tl = (m - (th - tb)) + (c - tb);
  const double sh = f / th;
  const double sl = (__builtin_fma(-sh, th, f) - sh * tl) / th;
  const double z = sh * sh;
  double q = 2.0 / 17.0;
  q = __builtin_fma(q, z, 2.0 / 15.0);
  q = __builtin_fma(q, z, 2.0 / 13.0);
  q = __builtin_fma(q, z, 2.0 / 11.0);
  q = __builtin_fma(q, z, 2.0 / 9.0);
  q = __builtin_fma(q, z, 2.0 / 7.0);
  q = __builtin_fma(q, z, 2.0 / 5.0);
  q = __builtin_fma(q, z, 2.0 / 3.0);
  const double a = e * 0.6931471803691238;  // exact: 32-bit ln2 times |e| <= 1100
  const double h1 = a + ch;
  const double b1 = h1 - a;
  const double e1 = (a - (h1 - b1)) + (ch - b1);
  const double b = 2.0 * sh;
  const double h = h1 + b;
  const double b2 = h - h1;
  const double e2 = (h1 - (h - b2)) + (b - b2);
  const double t = (e1 + e2) + (cl + __builtin_fma(e, 1.9082149292705877e-10, __builtin_fma(sh * z, q, 2.0 * sl)));
  const double nh = h + t;  // renormalised: |lo| <= ulp(hi) / 2
  const bool special = !(x > 0.0) || x == __builtin_inf();  // 0, inf, NaN: log_'s value
  *hi = special ? log_(x) : nh;
  *lo = special ? 0.0 : t - (nh - h);
}

// pow of double kernels: |x|^y = exp(y log|x|) with log|x| and the product y log|x| as
// double-doubles (so |y log x| up to 745 keeps ~2^-53 absolute), exp of the sum by n ln2 + r,
// Taylor to r^13 on |r| <= ln2/2, times 2^n in two factors (gradual underflow); then C's rules
// for the sign and the special cases as selects (the same as the float pow_ above).
LT_MATH double pow_(double x, double y) {
  double lh, ll;
  log2x_(__builtin_fabs(x), &lh, &ll);
  const double ph = y * lh;
  double pl = __builtin_fma(y, lh, -ph) + y * ll;
  const bool fin = ph - ph == 0.0;
  pl = fin ? pl : 0.0;
  const double pc = ph < -746.0 ? -746.0 : (ph > 710.0 ? 710.0 : (fin ? ph : 0.0));
  const double n = __builtin_rint(pc * 1.4426950408889634);
  const double r = (__builtin_fma(-n, 0.6931471803691238, pc) - n * 1.9082149292705877e-10) + pl;
  double p = 1.0 / 6227020800.0;
  p = __builtin_fma(p, r, 1.0 / 479001600.0);
  p = __builtin_fma(p, r, 1.0 / 39916800.0);
  p = __builtin_fma(p, r, 1.0 / 3628800.0);
  p = __builtin_fma(p, r, 1.0 / 362880.0);
  p = __builtin_fma(p, r, 1.0 / 40320.0);
  p = __builtin_fma(p, r, 1.0 / 5040.0);
  p = __builtin_fma(p, r, 1.0 / 720.0);
  p = __builtin_fma(p, r, 1.0 / 120.0);
  p = __builtin_fma(p, r, 1.0 / 24.0);
  p = __builtin_fma(p, r, 1.0 / 6.0);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p * r, r, r) + 1.0;
  const int64_t n1 = (int64_t)n >> 1;
  double f = p * bits<double>((n1 + 1023) << 52) * bits<double>(((int64_t)n - n1 + 1023) << 52);
  f = ph > 709.782712893384 ? __builtin_inf() : f;
  f = ph < -745.2 ? 0.0 : f;
  f = ph != ph ? ph : f;
  const bool yint = __builtin_rint(y) == y;  // false for NaN, true for +-inf
  const double hy = y * 0.5;
  const bool odd = yint && __builtin_rint(hy) != hy;
  const bool neg = bits<int64_t>(x) < 0;  // sign bit: -0 too
  f = neg && odd ? -f : f;
  f = x < 0.0 && !yint ? __builtin_nan("") : f;
  f = x == -__builtin_inf() && !yint && y == y ? (y > 0.0 ? __builtin_inf() : 0.0) : f;
  f = (x == -1.0 && (y == __builtin_inf() || y == -__builtin_inf())) ? 1.0 : f;
  f = y == 0.0 ? 1.0 : f;
  return x == 1.0 ? 1.0 : f;
}

// atan of a >= 0 (+inf included): five regions cut at 7/16, 11/16, 19/16 and 39/16 (selects, no
// branch), u = (p a - q) / (s a + d) = tan(atan a - atan c) for c = 0, 1/2, 1, 3/2 and u = -1/a
// past 39/16, so |u| <= 7/16; atan u = u + u z P(z), z = u^2, P a degree-11 near-minimax
// polynomial (Chebyshev fit of (atan(sqrt z)/sqrt z - 1)/z, error < 4e-18); plus atan c in two
// parts. Within 1 ulp.
LT_MATH double atan_pos_(double a) {
  const bool r1 = a >= 0.4375, r2 = a >= 0.6875, r3 = a >= 1.1875, r4 = a >= 2.4375;
  double p = r1 ? 2.0 : 1.0, q = r1 ? 1.0 : 0.0, s = r1 ? 1.0 : 0.0, d = r1 ? 2.0 : 1.0;
  double bh = r1 ? 0.4636476090008061 : 0.0, bl = r1 ? 2.2698777452961687e-17 : 0.0;
  p = r2 ? 1.0 : p;
  d = r2 ? 1.0 : d;
  bh = r2 ? 0.7853981633974483 : bh;
  bl = r2 ? 3.061616997868383e-17 : bl;
  q = r3 ? 1.5 : q;
  s = r3 ? 1.5 : s;
  bh = r3 ? 0.982793723247329 : bh;
  bl = r3 ? 1.3903311031230998e-17 : bl;
  bh = r4 ? 1.5707963267948966 : bh;
  bl = r4 ? 6.123233995736766e-17 : bl;
  const double u = r4 ? -1.0 / a : (p * a - q) / (s * a + d);
  const double z = u * u;
  double P = 0.014773184616983806;
  P = __builtin_fma(P, z, -0.033128134256069586);
  P = __builtin_fma(P, z, 0.04492259293193656);
  P = __builtin_fma(P, z, -0.05216679739313656);
  P = __builtin_fma(P, z, 0.05876946456755061);
  P = __builtin_fma(P, z, -0.06666241923359964);
  P = __builtin_fma(P, z, 0.07692285554889286);
  P = __builtin_fma(P, z, -0.09090908355602592);
  P = __builtin_fma(P, z, 0.11111111096645038);
  P = __builtin_fma(P, z, -0.14285714285566806);
  P = __builtin_fma(P, z, 0.1999999999999941);
  P = __builtin_fma(P, z, -0.3333333333333333);
  return bh + (u + __builtin_fma(u * z, P, bl));
}

LT_MATH double atan_(double x) { return __builtin_copysign(atan_pos_(__builtin_fabs(x)), x); }
LT_MATH float atan_(float x) { return (float)atan_((double)x); }

// atan2(y, x) by C's rules: t = min(|x|, |y|) / max(|x|, |y|) in [0, 1] (0 when both are 0, 1
// when both are infinite), atan t, then pi/2 - . when |y| > |x|, pi - . when x has its sign bit
// set (-0 too), and the sign of y. NaN in, NaN out.
LT_MATH double atan2_(double y, double x) {
  const double ax = __builtin_fabs(x), ay = __builtin_fabs(y);
  const bool swap = ay > ax;
  const double hi = swap ? ay : ax, lo = swap ? ax : ay;
  double t = lo / hi;
  t = hi == 0.0 ? 0.0 : t;
  t = lo == __builtin_inf() ? 1.0 : t;
  double th = atan_pos_(t);
  th = swap ? (1.5707963267948966 - th) + 6.123233995736766e-17 : th;
  th = bits<int64_t>(x) < 0 ? (3.141592653589793 - th) + 1.2246467991473532e-16 : th;
  th = __builtin_copysign(th, y);
  return x != x || y != y ? x + y : th;
}
LT_MATH float atan2_(float y, float x) { return (float)atan2_((double)y, (double)x); }

// asin and acos: asin v = v + v z R(z), z = v^2, for |v| <= 1/2 (R a degree-12 near-minimax
// polynomial of (asin(sqrt z)/sqrt z - 1)/z, error < 2e-17); beyond, with w = (1 - |x|)/2 (exact)
// and s + c = sqrt(w) to double-double (c from the fma residual), asin |x| = pi/2 - 2 asin s,
// acos x = 2 asin s (x > 1/2) or pi - 2 asin s (x < -1/2). |x| > 1 gives NaN.
LT_MATH double asin_r_(double z) {
  double R = 0.028757851367421566;
  R = __builtin_fma(R, z, -0.014851887071247204);
  R = __builtin_fma(R, z, 0.01740087944269402);
  R = __builtin_fma(R, z, 0.005457506718640358);
  R = __builtin_fma(R, z, 0.01032281435018578);
  R = __builtin_fma(R, z, 0.011479177415184906);
  R = __builtin_fma(R, z, 0.013971212973552933);
  R = __builtin_fma(R, z, 0.017352392720869973);
  R = __builtin_fma(R, z, 0.02237217294214989);
  R = __builtin_fma(R, z, 0.030381944138531247);
  R = __builtin_fma(R, z, 0.04464285714635543);
  R = __builtin_fma(R, z, 0.07499999999998433);
  return __builtin_fma(R, z, 0.16666666666666669);
}

// 2 asin s for the large branch, as s2 + c2 (s2 = 2 s exact; c2 the rest).
LT_MATH double asin_tail_(double w, double s, double R) {
  const double c = s == 0.0 ? 0.0 : __builtin_fma(-s, s, w) / (s + s);
  return 2.0 * __builtin_fma(s * w, R, c);
}

LT_MATH double asin_(double x) {
  const double a = __builtin_fabs(x);
  const bool big = a > 0.5;
  const double w = __builtin_fma(-0.5, a, 0.5);
  const double s = __builtin_sqrt(big ? w : 0.0);
  const double z = big ? w : a * a;
  const double R = asin_r_(z);
  const double ys = __builtin_fma(a * z, R, a);
  const double yb = (1.5707963267948966 - 2.0 * s) - (asin_tail_(w, s, R) - 6.123233995736766e-17);
  const double y = __builtin_copysign(big ? yb : ys, x);
  return a > 1.0 ? __builtin_nan("") : y;
}

LT_MATH double acos_(double x) {
  const double a = __builtin_fabs(x);
  const bool big = a > 0.5;
  const double w = __builtin_fma(-0.5, a, 0.5);
  const double s = __builtin_sqrt(big ? w : 0.0);
  const double z = big ? w : x * x;
  const double R = asin_r_(z);
  const double ys = 1.5707963267948966 - (x + __builtin_fma(x * z, R, -6.123233995736766e-17));
  const double two = 2.0 * s + asin_tail_(w, s, R);
  const double yn = (3.141592653589793 - two) + 1.2246467991473532e-16;
  const double y = big ? (x > 0.0 ? two : yn) : ys;
  return a > 1.0 ? __builtin_nan("") : y;
}
LT_MATH float asin_(float x) { return (float)asin_((double)x); }
LT_MATH float acos_(float x) { return (float)acos_((double)x); }

// sin and cos of float kernels, in double, branch-free and table-free so that they vectorise, for
// every float argument (no threshold, no scalar fallback): |x| 2/pi mod 4 from 2/pi cut into 8
// chunks of 24 bits c_k (hex literals below), each product |x| c_k exact in double and reduced mod
// 4 exactly, summed with their rounding errors kept (x up to 3.4e38 needs 2/pi to 2^-192); then
// r = frac * pi/2 in [-pi/4, pi/4], the Taylor series of sin r and cos r to r^13 / r^14, and the
// quadrant. Inf and NaN give NaN.
LT_MATH void red_step_(double ax, double c, double* s, double* err) {
  const double p = ax * c;
  const double f = __builtin_fma(-4.0, __builtin_floor(p * 0.25), p);
  const double t = *s + f;
  const double b = t - *s;
  *err += (*s - (t - b)) + (f - b);
  *s = t;
}

LT_MATH float sincos_(float x, bool cosine) {
  const double ax = __builtin_fabs((double)x);
  double s = 0.0, err = 0.0;
  red_step_(ax, 0xA2F983p-24, &s, &err);
  red_step_(ax, 0x6E4E44p-48, &s, &err);
  red_step_(ax, 0x1529FCp-72, &s, &err);
  red_step_(ax, 0x2757D1p-96, &s, &err);
  red_step_(ax, 0xF534DDp-120, &s, &err);
  red_step_(ax, 0xC0DB62p-144, &s, &err);
  red_step_(ax, 0x95993Cp-168, &s, &err);
  red_step_(ax, 0x439041p-192, &s, &err);
  double n = __builtin_rint(s);
  const double r = ((s - n) + err) * 1.57079632679489661923;
  n = n == n ? n : 0.0;
  const int32_t q = (int32_t)n + (cosine ? 1 : 0);
  const double z = r * r;
  double ps = 1.0 / 6227020800.0;
  ps = __builtin_fma(ps, z, -1.0 / 39916800.0);
  ps = __builtin_fma(ps, z, 1.0 / 362880.0);
  ps = __builtin_fma(ps, z, -1.0 / 5040.0);
  ps = __builtin_fma(ps, z, 1.0 / 120.0);
  ps = __builtin_fma(ps, z, -1.0 / 6.0);
  const double sr = __builtin_fma(r * z, ps, r);
  double pc = 1.0 / 87178291200.0;
  pc = __builtin_fma(pc, z, -1.0 / 479001600.0);
  pc = __builtin_fma(pc, z, 1.0 / 3628800.0);
  pc = __builtin_fma(pc, z, -1.0 / 40320.0);
  pc = __builtin_fma(pc, z, 1.0 / 720.0);
  pc = __builtin_fma(pc, z, -1.0 / 24.0);
  pc = __builtin_fma(pc, z, 0.5);
  const double cr = __builtin_fma(-z, pc, 1.0);
  double y = (q & 1) ? cr : sr;
  y = (q & 2) ? -y : y;
  y = !cosine && bits<int32_t>(x) < 0 ? -y : y;  // sin is odd (the reduction used |x|), cos even
  return (float)y;
}
LT_MATH float sin_(float x) { return sincos_(x, false); }
LT_MATH float cos_(float x) { return sincos_(x, true); }

// 2/pi in 48-bit windows: entry k holds bits 24k+1 .. 24k+48 after the binary point, as an integer
// (exact in double); windows k, k+2, k+4, k+6 are 192 consecutive bits.
static const double two_over_pi_48_[48] = {
    0xA2F9836E4E44p0, 0x6E4E441529FCp0, 0x1529FC2757D1p0, 0x2757D1F534DDp0,
    0xF534DDC0DB62p0, 0xC0DB6295993Cp0, 0x95993C439041p0, 0x439041FE5163p0,
    0xFE5163ABDEBBp0, 0xABDEBBC561B7p0, 0xC561B7246E3Ap0, 0x246E3A424DD2p0,
    0x424DD2E00649p0, 0xE006492EEA09p0, 0x2EEA09D1921Cp0, 0xD1921CFE1DEBp0,
    0xFE1DEB1CB129p0, 0x1CB129A73EE8p0, 0xA73EE88235F5p0, 0x8235F52EBB44p0,
    0x2EBB4484E99Cp0, 0x84E99C7026B4p0, 0x7026B45F7E41p0, 0x5F7E413991D6p0,
    0x3991D6398353p0, 0x39835339F49Cp0, 0x39F49C845F8Bp0, 0x845F8BBDF928p0,
    0xBDF9283B1FF8p0, 0x3B1FF897FFDEp0, 0x97FFDE05980Fp0, 0x05980FEF2F11p0,
    0xEF2F118B5A0Ap0, 0x8B5A0A6D1F6Dp0, 0x6D1F6D367ECFp0, 0x367ECF27CB09p0,
    0x27CB09B74F46p0, 0xB74F463F669Ep0, 0x3F669E5FEA2Dp0, 0x5FEA2D7527BAp0,
    0x7527BAC7EBE5p0, 0xC7EBE5F17B3Dp0, 0xF17B3D0739F7p0, 0x0739F78A5292p0,
    0x8A5292EA6BFBp0, 0xEA6BFB5FB11Fp0, 0x5FB11F8D5D08p0, 0x8D5D08560330p0,
};
// Adds t to the fraction s + c (two-sum, error kept in c) after taking out its integer part,
// whose residue mod 4 goes to n (exact: every operand is an exact double, t up to 2^78).
LT_MATH void red_add_(double t, double* n, double* s, double* c) {
  const double i = __builtin_rint(t);
  const double f = t - i;
  *n += __builtin_fma(-4.0, __builtin_floor(i * 0.25), i);
  const double u = *s + f;
  const double b = u - *s;
  *c += (*s - (u - b)) + (f - b);
  *s = u;
}

// sin and cos of double kernels, branch-free so that they vectorise, for every double argument:
// |x| = M 2^(E-52) with M a 53-bit integer; |x| 2/pi mod 4 takes the 192 bits of 2/pi that
// matter at that exponent (earlier bits give multiples of 4; a gather from the table above),
// M times each 48-bit window exact as a product and its fma error, the pieces summed with their
// rounding errors kept. r = frac pi/2 in [-pi/4, pi/4] as a double-double, the Taylor series of
// sin and cos (to r^19 / r^20) with the low part's first-order term, and the quadrant. |x| < pi/4
// skips the reduction. Inf and NaN give NaN.
LT_MATH double sincos_(double x, bool cosine) {
  const double ax = __builtin_fabs(x);
  const int64_t bx = bits<int64_t>(ax);
  int32_t E = (int32_t)(bx >> 52) - 1023;
  E = E < -1 ? -1 : (E > 1023 ? 1023 : E);
  const int32_t k = E < 54 ? 0 : (E - 54) / 24;
  const double M = bits<double>((bx & 0x000fffffffffffffLL) | 0x4330000000000000LL);
  double g = bits<double>((int64_t)(E - 100 - 24 * k + 1023) << 52);
  double n = 0.0, s = 0.0, c = 0.0;
  const double w0 = two_over_pi_48_[k], w1 = two_over_pi_48_[k + 2];
  const double w2 = two_over_pi_48_[k + 4], w3 = two_over_pi_48_[k + 6];
  const double h0 = M * w0, l0 = __builtin_fma(M, w0, -h0);
  const double h1 = M * w1, l1 = __builtin_fma(M, w1, -h1);
  const double h2 = M * w2, l2 = __builtin_fma(M, w2, -h2);
  const double h3 = M * w3, l3 = __builtin_fma(M, w3, -h3);
  const double g1 = g * 0x1p-48, g2 = g * 0x1p-96, g3 = g * 0x1p-144;
  red_add_(h0 * g, &n, &s, &c);
  red_add_(h1 * g1, &n, &s, &c);
  red_add_(l0 * g, &n, &s, &c);
  red_add_(h2 * g2, &n, &s, &c);
  red_add_(l1 * g1, &n, &s, &c);
  red_add_(h3 * g3, &n, &s, &c);
  red_add_(l2 * g2, &n, &s, &c);
  red_add_(l3 * g3, &n, &s, &c);
  const double i = __builtin_rint(s);
  n += i;
  s -= i;
  const double fh = s + c;
  const double fl = c - (fh - s);
  const double P1 = 1.5707963267948966, P2 = 6.123233995736766e-17;
  double rh = fh * P1;
  double rl = __builtin_fma(fh, P1, -rh) + __builtin_fma(fh, P2, fl * P1);
  const bool small = ax < 0.7853981633974483;
  double r = rh + rl;
  rl = rl - (r - rh);
  r = small ? ax : r;
  rl = small ? 0.0 : rl;
  n = small ? 0.0 : n;
  const int32_t q = (int32_t)n + (cosine ? 1 : 0);
  const double z = r * r;
  double ps = -1.0 / 121645100408832000.0;
  ps = __builtin_fma(ps, z, 1.0 / 355687428096000.0);
  ps = __builtin_fma(ps, z, -1.0 / 1307674368000.0);
  ps = __builtin_fma(ps, z, 1.0 / 6227020800.0);
  ps = __builtin_fma(ps, z, -1.0 / 39916800.0);
  ps = __builtin_fma(ps, z, 1.0 / 362880.0);
  ps = __builtin_fma(ps, z, -1.0 / 5040.0);
  ps = __builtin_fma(ps, z, 1.0 / 120.0);
  ps = __builtin_fma(ps, z, -1.0 / 6.0);
  const double sr = r + __builtin_fma(r * z, ps, rl * __builtin_fma(-0.5, z, 1.0));
  double pc = 1.0 / 2432902008176640000.0;
  pc = __builtin_fma(pc, z, -1.0 / 6402373705728000.0);
  pc = __builtin_fma(pc, z, 1.0 / 20922789888000.0);
  pc = __builtin_fma(pc, z, -1.0 / 87178291200.0);
  pc = __builtin_fma(pc, z, 1.0 / 479001600.0);
  pc = __builtin_fma(pc, z, -1.0 / 3628800.0);
  pc = __builtin_fma(pc, z, 1.0 / 40320.0);
  pc = __builtin_fma(pc, z, -1.0 / 720.0);
  pc = __builtin_fma(pc, z, 1.0 / 24.0);
  const double hz = 0.5 * z;
  const double wc = 1.0 - hz;
  const double cr = wc + (((1.0 - wc) - hz) + __builtin_fma(z * z, pc, -r * rl));
  double y = (q & 1) ? cr : sr;
  y = (q & 2) ? -y : y;
  y = !cosine && bits<int64_t>(x) < 0 ? -y : y;  // sin is odd, cos even
  return ax == __builtin_inf() ? __builtin_nan("") : (x == x ? y : x);
}
LT_MATH double sin_(double x) { return sincos_(x, false); }
LT_MATH double cos_(double x) { return sincos_(x, true); }

// C's round (halves away from zero, as KeOps and the JS backend's $round) as trunc and a select
// (GCC calls libm's round for doubles, which keeps the loop scalar); -0, infinities, NaN and
// values past 2^52 come back unchanged. min and max (NaN wins).
LT_MATH float round_(float x) {
  const float t = __builtin_truncf(x);
  return __builtin_fabsf(x - t) >= 0.5f ? t + __builtin_copysignf(1.0f, x) : t;
}
LT_MATH double round_(double x) {
  const double t = __builtin_trunc(x);
  return __builtin_fabs(x - t) >= 0.5 ? t + __builtin_copysign(1.0, x) : t;
}
template <class T> static inline T min_(T a, T b) { return a != a ? a : (b < a ? b : a); }
template <class T> static inline T max_(T a, T b) { return a != a ? a : (b > a ? b : a); }

static inline void* alloc(size_t bytes) {
  const size_t n = (bytes + 63) / 64 * 64;
  return aligned_alloc(64, n == 0 ? 64 : n);
}

// One unit of parallel work: rows [i0, i1) of one range block, its column intervals
// cr[2r], cr[2r+1] for r in [r0, r1) (r0 == r1: rows covered by no block, identity output).
struct Item {
  int64_t i0, i1;
  const int32_t* cr;
  int64_t r0, r1;
};

struct Plan {
  Item* items;
  int64_t n;
  int32_t full[2];
};

static inline bool push(Plan* p, int64_t* cap, int64_t i0, int64_t i1, const int32_t* cr, int64_t r0, int64_t r1,
                        int64_t chunk) {
  for (int64_t a = i0; a < i1; a += chunk) {
    if (p->n == *cap) {
      *cap = *cap * 2 + 16;
      Item* grown = (Item*)realloc(p->items, (size_t)*cap * sizeof(Item));
      if (!grown) return false;
      p->items = grown;
    }
    p->items[p->n++] = Item{a, a + chunk < i1 ? a + chunk : i1, cr, r0, r1};
  }
  return true;
}

// nb < 0: dense (every row visits [0, nJ)). Otherwise rows of one block share column intervals;
// a row in several blocks belongs to the last one (as in the JavaScript backend); rows in none
// get the identity.
static inline bool plan(Plan* p, int64_t nI, int64_t nJ, const int32_t* rr, const int32_t* sl, const int32_t* cr,
                        int64_t nb, int64_t chunk) {
  p->items = nullptr;
  p->n = 0;
  p->full[0] = 0;
  p->full[1] = (int32_t)nJ;
  int64_t cap = 0;
  if (nb < 0) return push(p, &cap, 0, nI, p->full, 0, 1, chunk);
  int32_t* owner = (int32_t*)malloc((size_t)(nI > 0 ? nI : 1) * sizeof(int32_t));
  if (!owner) return false;
  for (int64_t i = 0; i < nI; i++) owner[i] = -1;
  for (int64_t b = 0; b < nb; b++) {
    const int64_t s = rr[2 * b] > 0 ? rr[2 * b] : 0;
    const int64_t e = rr[2 * b + 1] < nI ? rr[2 * b + 1] : nI;
    for (int64_t i = s; i < e; i++) owner[i] = (int32_t)b;
  }
  bool ok = true;
  for (int64_t i = 0; i < nI && ok;) {
    const int32_t b = owner[i];
    int64_t e = i + 1;
    while (e < nI && owner[e] == b) e++;
    if (b < 0) ok = push(p, &cap, i, e, cr, 0, 0, chunk);
    else ok = push(p, &cap, i, e, cr, b == 0 ? 0 : sl[b - 1], sl[b], chunk);
    i = e;
  }
  free(owner);
  return ok;
}

template <class F> static inline void parallel_for(int64_t n, int threads, const F& f) {
  if (threads < 1) threads = 1;
  if (threads > n) threads = (int)(n > 0 ? n : 1);
  if (threads == 1) {
    for (int64_t k = 0; k < n; k++) f(k);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t k = 0; k < n; k++) f(k);
#else
  std::thread* pool = new std::thread[threads - 1];
  int64_t next = 0;
  auto work = [&]() {
    for (;;) {
      const int64_t k = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
      if (k >= n) return;
      f(k);
    }
  };
  for (int t = 0; t < threads - 1; t++) pool[t] = std::thread(work);
  work();
  for (int t = 0; t < threads - 1; t++) pool[t].join();
  delete[] pool;
#endif
}

}  // namespace lt
`;
