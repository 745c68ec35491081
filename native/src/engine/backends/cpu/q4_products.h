// Decoding's products with MLX affine 4-bit weights: y = x · wᵀ for a few rows of x, without dequantising a
// weight. Within a group w = scale · q + bias, so x · w = scale · (x · q) + bias · Σx: the nibbles are multiplied
// with x as they stream past, and each group's Σx is computed once per product, not once per weight row.
// With AVX-512 VNNI, x is split once per product into two signed bytes per column (base-256 digits of x in units
// of 1/32512 of its group's largest |x|, as q4_gemm rounds it) and the nibbles, in row blocks (q4_row_blocks.h),
// meet them in integer dot products, exact within a group; with AVX-512 alone the nibbles, as MLX stores them, are
// widened to fp32 against x in fp32; with AVX2, x is split into digits as for VNNI and meets the nibbles as MLX
// stores them in vpmaddubsw (pairs of products summed in 16 bits, exact, then widened).
#pragma once

#include <cstdint>
#include <vector>

#include "tensors/weight_matrix.h"

namespace verbatim {
namespace cpu {

// x laid out for q4_product, and per row each group's sum.
struct Q4Input {
  std::vector<float> group_sums;  // rows x (cols / group_size)
  // Integer and byte kernels: per group, the first digits of its columns, then the second (q4_gemm's round_row);
  // column c of row i is digit_scales[i][c / group_size] · (d1 · 256 + d2) (byte kernel: in the order of x below).
  std::vector<int8_t> digits;       // rows x cols x 2
  std::vector<float> digit_scales;  // rows x (cols / group_size)
  // Float and byte kernels: per 64 columns, the 32 even ones, then the 32 odd ones.
  std::vector<float> x;  // rows x cols
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t groups = 0;
};

// Whether this build has the kernel for w: 4 bits in row blocks (integer kernel), or as stored in groups of 64 or
// 128 (float kernel, AVX-512 builds without VNNI; byte kernel, AVX2, rows of at most 256 groups).
bool q4_product_supports(const WeightMatrix& w);

// Fills `in` with `m` rows of x (row stride ldx) for a product with w (q4_product_supports(w) must hold).
void prepare_q4_input(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, Q4Input& in);

// y[i * ldy + r] = x_i · w_r (+ bias[r]) for every row i of `in` and r in [first, first + count) (for row blocks,
// whole blocks: first a multiple of kRowBlock, and count one too unless the range ends at the last row).
void q4_product(const Q4Input& in, const WeightMatrix& w, int64_t first, int64_t count, const float* bias, float* y,
                int64_t ldy);

}  // namespace cpu
}  // namespace verbatim
