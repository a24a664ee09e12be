/**
 * Prelude part: sin_ and cos_ of float kernels, computed in double with a table-free Payne-Hanek
 * reduction (2/pi in eight 24-bit hex chunks) valid for every float argument. Constant text.
 */
export const PRELUDE_TRIG32 = `// sin and cos of float kernels, in double, branch-free and table-free so that they vectorise, for
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

`;
