// MLX 4-bit weights laid out for the CPU backend's integer kernels (q4_products.h for a few rows of x, which need
// it; q4_gemm.h for many, which also reads MLX's rows), made once when a model is prepared, for the matrices that
// decoding multiplies a step at a time (CpuOps::linear_params).
//
// WeightMatrix::Layout::RowBlocks: rows in blocks of kRowBlock, the last block's missing rows zero. Per block, per
// eight columns (an octet), one 64-byte vector: lane l holds row l's eight nibbles in four bytes, byte k holding
// column k low and column k + 4 high. One AND gives the 16 rows' first four columns as bytes, a shift and an AND
// the last four, each ready for vpdpbusd against four columns of x broadcast to every lane: the products of 16
// rows need no sums across lanes, and a pass over a block reads one stream of memory. The group parameters follow
// the blocks: per block and group, 16 values (one per row), in the stored type.
#pragma once

#include <cstdint>
#include <memory>

#include "backends/cpu/thread_pool.h"
#include "tensors/weight_matrix.h"

namespace verbatim {
namespace cpu {

constexpr int64_t kRowBlock = 16;

// Whether kernel_weights copies w into row blocks: a 4-bit matrix in groups of 32, 64 or 128, in a build with the
// integer kernels (AVX-512 VNNI).
bool packs_row_blocks(const WeightMatrix& w);

// For 4-bit matrices in builds with the integer kernels (AVX-512 VNNI; groups of 32, 64 or 128): a copy in
// row blocks, after which the original's pages are released where they are a mapped file's (read again should
// anything else touch them), so that the copy takes their place in memory. Any other matrix is returned as it is,
// without storage.
KernelWeights kernel_weights(ThreadPool& pool, const WeightMatrix& w);

// Row `row` of a RowBlocks matrix dequantised to fp32, as decode_rows does for MLX's layout.
void decode_row_blocks_row(const WeightMatrix& w, int64_t row, float* dst);

// A quantized matrix's group parameters (its scales or its biases) as fp32, row after row: rows x groups values,
// from either layout.
void group_params_by_row(const WeightMatrix& w, const void* params, float* dst);

}  // namespace cpu
}  // namespace verbatim
