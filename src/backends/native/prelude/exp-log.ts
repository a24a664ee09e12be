/**
 * Prelude part: branch-free exp_ and log_ for float and double (Cody-Waite reduction and
 * polynomials, exponent bits built by hand) that the loop vectoriser inlines into SIMD code.
 * Constant text.
 */
export const PRELUDE_EXP_LOG = `// exp: x = n ln2 + r (Cody-Waite), Taylor polynomial on |r| <= ln2/2 with its coefficients
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

`;
