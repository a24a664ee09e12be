/**
 * Prelude part: round_ with C's semantics (halves away from zero) as trunc and a select, NaN-aware
 * min_ and max_, and the 64-byte aligned allocator. Constant text.
 */
export const PRELUDE_HELPERS = `// C's round (halves away from zero, as KeOps and the JS backend's $round) as trunc and a select
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

`;
