// The x86 SIMD intrinsics, where the build targets them, for the CPU backend's kernels. GCC 12 reports the
// deliberately undefined pass-through operands inside its own AVX-512 intrinsics (extracts, conversions) as
// uninitialized: that warning is off in the files that include this (and only those: no header includes it).
#pragma once

#if defined(__AVX512F__) || defined(__AVX2__) || defined(__F16C__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if defined(__AVX2__)
namespace verbatim {
namespace cpu {

// The sum of a vector's 8 lanes.
inline float reduce_add(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

}  // namespace cpu
}  // namespace verbatim
#endif
