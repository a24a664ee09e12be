/**
 * Prelude part: branch-free atan_, atan2_ (C's rules), asin_ and acos_ for double, as
 * near-minimax polynomials after region selection; the float versions go through double.
 * Constant text.
 */
export const PRELUDE_INVERSE_TRIG = `// atan of a >= 0 (+inf included): five regions cut at 7/16, 11/16, 19/16 and 39/16 (selects, no
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

`;
