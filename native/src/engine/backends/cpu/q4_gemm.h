// Encoding's products with MLX affine 4-bit weights: y = x · wᵀ for many rows of x (a window's frames) in integer
// dot products, where the tiled path widens every weight to fp32 for BLAS.
//
// Within a group w = scale · q + bias, so x · w = scale · (x · q) + bias · Σx. Each row of x is rounded once per
// product to kQ4GemmDigits signed bytes per column, in units of its group's largest |x| over kQ4GemmUnits (as
// whisper.cpp rounds activations to 8 bits for its q4_0 encoder); vpdpbusd multiplies them with the nibbles exactly.
// The bias · Σx terms of every group, from the exact group sums, are one small BLAS product. Weight rows are
// unpacked in tiles (from row blocks or MLX's rows), four columns of a row as bytes per lane, so that one vpdpbusd
// meets 16 weight rows with four columns of one row of x, and each unpacked tile serves every row of x.
#pragma once

#include <cstdint>

#include "backends/cpu/thread_pool.h"
#include "tensors/weight_matrix.h"

namespace verbatim {
namespace cpu {

// Signed bytes per column of x: 2 hold x to 1/65024 of its group's largest |x|, finer than an fp16 weight holds
// itself. One, as whisper.cpp's activations (1.5x faster again), failed the parity gate: the 4-bit fixture model's
// tokens parted from PyTorch's away from any near-tie (beam-search-reference, heldout-07 at a margin of 0.0065),
// and random models' logits moved by up to 0.08.
constexpr int kQ4GemmDigits = 2;
// Units in a group's largest |x|: each x is within half a unit, largest |x| / (2 · kQ4GemmUnits), of its value.
constexpr double kQ4GemmUnits = 127.0 * 256.0;

// A group of x's largest |x| and its sum (n a multiple of 16, summed in 16 lanes): what both 4-bit kernels take of
// each group of x, to round it to digits and for its bias term. Only in builds with AVX-512 VNNI or AVX2.
struct GroupExtent {
  float largest, sum;
};
GroupExtent group_extent(const float* x, int64_t n);

// One row of x rounded to digits, as both kernels read it: per group, each digit's plane of group_size bytes (first
// digit first), the value of a unit of the last digit, and Σx. A NaN or infinity may be missed by the largest |x| or
// scramble the digits: Σx carries it to every product all the same. Only in builds with AVX-512 VNNI or AVX2.
void round_row(const float* x, int64_t cols, int64_t group_size, int8_t* digits, float* units, float* sums);

// Whether this build (AVX-512 VNNI) has the kernel for w: 4 bits in row blocks (q4_row_blocks.h), or in MLX's rows
// in groups of 32, 64 or 128 and a multiple of 64 columns.
bool q4_gemm_supports(const WeightMatrix& w);

// y[i * ldy + r] = x_i · w_r (+ bias[r]) for every row i < m and every weight row r.
void q4_gemm(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, const float* bias,
             float* y, int64_t ldy);

}  // namespace cpu
}  // namespace verbatim
