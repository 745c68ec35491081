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
