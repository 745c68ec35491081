// The one place the engine talks to BLAS (Accelerate on macOS, OpenBLAS elsewhere).
#pragma once

#include <string>

namespace verbatim {

// C = alpha * op(A) * op(B) + beta * C, all row-major float32.
void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

// Which BLAS the engine was built against, for status reports.
std::string blas_name();

}  // namespace verbatim
