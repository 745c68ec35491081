// Products of a few rows of x (2 to 16: beams, best-of samples, forced prefixes, batched joint steps) with weights
// in their stored format: y = x · wᵀ, each weight converted to fp32 in registers once for all rows of x.
//
// Work is register-blocked (as said here for AVX-512; AVX2, with 16 registers of 8 lanes, takes two weight rows
// against up to six rows of x): four weight rows against up to six rows of x, 24 sums in registers, so a load of x
// serves four weight rows and a converted weight serves every row of x (the one-row kernels load x once per weight
// vector, which made five rows load-bound, from L2 once x outgrew L1). The weights stream past once; more than six
// rows of x take turns on each block of four weight rows while it is in cache. Column tiles that keep x in L1 across
// all the weight rows, adding each tile's sums to y, were tried and were slower here (turbo's 1280x5120 product,
// one core: 5 rows 1.30 against 1.15 ms, 16 rows 4.3 against 3.4 ms): x from L2 at a quarter of a load per FMA
// keeps up, and the tiles cost a reduction per tile and weights read in strides. The weights are prefetched into L2 a
// few blocks ahead (see kPrefetchBlocks). matmul takes the 4-bit integer kernel (q4_products.h) instead where it
// applies: with 2 bytes per x it does fewer operations per weight than widening nibbles to fp32.
#pragma once

#include <cstdint>

#include "tensors/weight_matrix.h"

namespace verbatim {
namespace cpu {

// The most rows of x one product takes (more: the caller splits them, or uses BLAS).
constexpr int64_t kFewRowsMax = 16;

// Whether this build has the kernel for w's format: fp32, fp16, bf16, or MLX affine 4- and 8-bit (AVX-512 and AVX2
// builds).
bool few_row_product_supports(const WeightMatrix& w);

// y[i * ldy + r] = x_i · w_r (+ bias[r]) for every row i < m (m <= kFewRowsMax) and r in [first, first + count).
void few_row_product(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, int64_t first, int64_t count,
                     const float* bias, float* y, int64_t ldy);

}  // namespace cpu
}  // namespace verbatim
