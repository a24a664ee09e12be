/**
 * The head of the C++ prelude: the headers (OpenMP or std::thread), the export and always-inline
 * macros, the GEMM micro-kernels' vector width and tile size per target, the opening of namespace
 * lt and its bit-cast helper. {@link PRELUDE_TAIL} closes the namespace. Constant text.
 */
export const PRELUDE_HEAD = `#include <stdint.h>
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

`;

/** The end of the C++ prelude: closes namespace lt. */
export const PRELUDE_TAIL = `}  // namespace lt
`;
