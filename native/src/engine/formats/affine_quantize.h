// MLX's affine quantization (mx.quantize with mode "affine", as its Metal kernel computes it; native/PARAKEET.md
// "Quantization"): float matrices packed at load into the layout the CPU kernels multiply (cpu_kernels.h,
// q4_products.h) and MLX-quantized files store.
#pragma once

#include <cstdint>
#include <vector>

#include "tensors/weight_matrix.h"

namespace verbatim {

// A packed matrix's storage: `words` holds rows * cols * bits / 32 little-endian uint32 words, element j of a word in
// bits [j * bits, (j + 1) * bits); `scales` and `biases` hold rows * (cols / group_size) values of the source dtype.
struct PackedMatrix {
  std::vector<uint8_t> words, scales, biases;
  // The row-major index of the first NaN or infinity of the source matrix, -1 when every value is finite.
  int64_t first_non_finite = -1;
};

// Whether affine_quantize packs this width: 2, 4 or 8 bits.
bool packable_bits(int bits);

// Quantizes a dense F16 or BF16 matrix (its data may be unaligned) in groups of `group_size` columns: per group, in
// fp32, scale = max((max(w, 0) - min(w)) / (2^bits - 1), 1e-7); the edge is min(w) when |min| > |max| (else max, the
// scale negated); q0 = round(edge / scale); when q0 != 0, scale = edge / q0 and bias = edge, else bias = 0;
// q = clamp(round((w - bias) / scale), 0, 2^bits - 1), rounding halves away from zero (0 where a NaN or an infinity
// in the group makes it NaN, noted in first_non_finite); scales and biases are stored in the source dtype. Throws
// std::invalid_argument for another format, packable_bits false, or a width that is not a multiple of group_size.
PackedMatrix affine_quantize(const WeightMatrix& w, int bits, int group_size);

// The quantized WeightMatrix over `packed` (which must outlive it and not move its buffers).
WeightMatrix packed_matrix(const PackedMatrix& packed, int64_t rows, int64_t cols, int bits, int group_size,
                           DType scale_dtype);

}  // namespace verbatim
