// Convolution weights in MLX's layouts, as the backends' conv1d and conv2d take them.
#pragma once

#include <vector>

#include "formats/tensor_file.h"
#include "tensors/weight_matrix.h"

namespace verbatim {

struct Conv1dWeights {
  DType dtype = DType::F32;  // F32, F16 or BF16
  int out_channels = 0, kernel = 0, in_channels = 0;
  const void* weight = nullptr;  // MLX layout (out, kernel, in)
  Vector bias;
};

struct Conv2dWeights {  // MLX layout (out, kh, kw, in / groups), converted to fp32
  int out_channels = 0, kernel_h = 0, kernel_w = 0, in_per_group = 0;
  std::vector<float> weight;
  std::vector<float> bias;  // out_channels
};

}  // namespace verbatim
