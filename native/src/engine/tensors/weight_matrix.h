// Weights as a model file stores them, before any backend prepares them: matrices (dense or MLX-quantized) and
// vectors. Nothing expanded, nothing copied: every data pointer points into a mapped file (or a buffer its model's
// weights own) and is NOT ALIGNED in general (MLX and numpy write tensor data at arbitrary byte offsets): read
// elements with std::memcpy or convert the tensor, never through a float* / uint16_t* / uint32_t* cast.
#pragma once

#include <cstdint>
#include <memory>

#include "formats/tensor_file.h"

namespace verbatim {

// A (rows = out features, cols = in features) matrix in its stored format.
struct WeightMatrix {
  enum class Format { F32, F16, BF16, Quantized };
  Format format = Format::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;  // dense: rows*cols elements; quantized: uint32 words, rows * (cols*bits/32)

  // Quantized (MLX affine) only: w[r][c] = scales[r][c/group_size] * q + biases[r][c/group_size].
  int bits = 0;
  int group_size = 0;
  DType scale_dtype = DType::F32;  // F32, F16 or BF16
  const void* scales = nullptr;    // rows * (cols/group_size)
  const void* biases = nullptr;    // rows * (cols/group_size)

  // Quantized only. Rows: as MLX stores them (above), row after row. RowBlocks: as the CPU backend's 4-bit integer
  // kernels read them, 16 rows interleaved (backends/cpu/q4_row_blocks.h); made by that backend, never stored.
  enum class Layout { Rows, RowBlocks };
  Layout layout = Layout::Rows;
};

// The element type of a dense WeightMatrix format (F32 for anything else).
inline DType dense_dtype(WeightMatrix::Format format) {
  switch (format) {
    case WeightMatrix::Format::F16:
      return DType::F16;
    case WeightMatrix::Format::BF16:
      return DType::BF16;
    default:
      return DType::F32;
  }
}

struct Vector {  // a 1-D float tensor as stored (F32, F16 or BF16)
  DType dtype = DType::F32;
  int64_t size = 0;
  const void* data = nullptr;
};

// A matrix as a backend's kernels read it best, and what holds its bytes where they are not the original's (null:
// the matrix is the original).
struct KernelWeights {
  WeightMatrix matrix;
  std::shared_ptr<const void> storage;
};

// How a model multiplies a matrix, for a backend that lays weights out for one kind of product: Encoding, by whole
// windows (hundreds of rows of x at once: the encoders, and the decoder's products of the encoder's output); or
// Decoding, a step at a time (a few rows of x per call: tokens, beams, transducer steps).
enum class MatrixUse { Encoding, Decoding };

}  // namespace verbatim
