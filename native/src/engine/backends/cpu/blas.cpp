#include "backends/cpu/blas.h"

#if defined(VERBATIM_ACCELERATE)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace verbatim {

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

std::string blas_name() {
#if defined(VERBATIM_ACCELERATE)
  return "Accelerate";
#else
  return "OpenBLAS";
#endif
}

}  // namespace verbatim
