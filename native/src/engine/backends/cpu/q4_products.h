// Decoding's products with MLX affine 4-bit weights: y = x · wᵀ for a few rows of x, without dequantising a
// weight. Within a group w = scale · q + bias, so x · w = scale · (x · q) + bias · Σx: the nibbles are widened
// to fp32 and multiplied with x as they stream past, and each group's Σx is computed once per product, not once
// per weight row.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/weights.h"

namespace verbatim {
namespace cpu {

// x laid out for Q4Product: per 64 columns, the 32 even ones, then the 32 odd ones (a packed byte holds an even
// column's nibble low and the next odd column's high), and per row each group's sum.
struct Q4Input {
  std::vector<float> x;           // rows x cols
  std::vector<float> group_sums;  // rows x (cols / group_size)
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t groups = 0;
};

// Whether this build and w's layout have the kernel: 4 bits, groups of 64 or 128, columns a multiple of 64.
bool q4_product_supports(const WeightMatrix& w);

// Fills `in` with `m` rows of x (row stride ldx) for a product with w (q4_product_supports(w) must hold).
void prepare_q4_input(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, Q4Input& in);

// y[i * ldy + r] = x_i · w_r (+ bias[r]) for every row i of `in` and r in [first, first + count).
void q4_product(const Q4Input& in, const WeightMatrix& w, int64_t first, int64_t count, const float* bias, float* y,
                int64_t ldy);

}  // namespace cpu
}  // namespace verbatim
