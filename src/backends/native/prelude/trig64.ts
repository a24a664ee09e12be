/**
 * Prelude part: sin_ and cos_ of double kernels: the 2/pi table in 48-bit windows, the exact
 * reduction step red_add_, and the branch-free Payne-Hanek reduction to a double-double with the
 * Taylor series of sin and cos, valid for every double argument. Constant text.
 */
export const PRELUDE_TRIG64 = `// 2/pi in 48-bit windows: entry k holds bits 24k+1 .. 24k+48 after the binary point, as an integer
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

`;
