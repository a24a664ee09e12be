/**
 * Prelude part: pow_ for float (exp_/log_ in double) and double (log |x| and y log |x| as
 * double-doubles, exp by Taylor with gradual underflow), with C's sign and special-case rules as
 * selects. Uses exp_ and log_ of the exp-log part. Constant text.
 */
export const PRELUDE_POW = `// pow of float kernels: |x|^y = exp(y log|x|) evaluated in double (exp_/log_ above, ~1 double ulp
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

`;
