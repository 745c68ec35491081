// The MLX backend's tensor operations (backends/tensor_ops.h): a lazy mlx::core graph that MLX evaluates on the
// Apple GPU (Metal), or on its CPU or CUDA backend, when the model hands data to the host. Weights stay as stored
// (fp16 dense weights in fp16; quantized ones packed, read as stored by quantized_matmul); activations are in the
// compute dtype a family chooses (fp16 ones as mlx_whisper runs them, with layer norms and softmax in fp32; fp32
// ones match the portable CPU backend up to the order of fp32 sums, bf16 weights converted at load), and dense
// matrices are converted to it at load or kept 16-bit as held (DenseWeights::AsStored), widened by each product, as
// the CPU backend's kernels read them.
//
// Only sources that use MLX include this header (the MLX backend's own, and each family's *_mlx.cpp): MLX's headers
// need C++20 (mlx_backend.h does not).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <mlx/mlx.h>

#include "backends/mlx/mlx_backend.h"
#include "backends/tensor_ops.h"
#include "tensors/convolution.h"
#include "tensors/layer_norm.h"
#include "tensors/linear.h"
#include "tensors/weight_matrix.h"

namespace verbatim {

// Checks both MLX sources make: a refusal names the backend; a size must fit MLX's 32-bit shapes.
namespace mlx_checks {
inline void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("mlx backend: ") + what);
}

inline mlx::core::ShapeElem dim(int64_t n) {
  require(n >= 0 && n <= std::numeric_limits<mlx::core::ShapeElem>::max(),
          "a tensor dimension exceeds MLX's 32-bit shapes");
  return static_cast<mlx::core::ShapeElem>(n);
}
}  // namespace mlx_checks

class MlxOps {
 public:
  using Tensor = mlx::core::array;

  // A weight matrix (rows = out features): dense fp32, or MLX affine-quantized when `scales` is present.
  struct WeightParams {
    mlx::core::array weight;                 // dense: (rows, cols); quantized: (rows, cols*bits/32) uint32
    std::optional<mlx::core::array> scales;  // (rows, cols/group_size)
    std::optional<mlx::core::array> biases;  // (rows, cols/group_size)
    int bits = 0;
    int group_size = 0;
  };
  struct LinearParams {
    WeightParams weight;
    std::optional<mlx::core::array> bias;  // absent for attention keys
  };
  struct NormParams {
    mlx::core::array weight, bias;  // fp32
  };
  struct ConvParams {
    mlx::core::array weight;  // (out, kernel, in), MLX's conv1d layout, as stored
    mlx::core::array bias;
    int kernel = 0;
  };
  using EmbeddingParams = WeightParams;
  struct Conv2dParams {
    mlx::core::array weight;  // (out, kh, kw, in / groups), MLX's conv2d layout, as stored
    mlx::core::array bias;
    int in_per_group = 0;
  };
  struct DepthwiseParams {
    mlx::core::array weight;  // (channels, kernel, 1): a grouped conv1d with one input channel per group
    mlx::core::array bias;
    int kernel = 0;
  };

  // Dense weight matrices converted to the compute dtype at load, or kept in their stored dtype (then each
  // product widens them: the model's memory stays as its weights are held).
  enum class DenseWeights { AsCompute, AsStored };

  // All work goes to one stream of `device`, made for this model. Such a stream may be used from any thread, one
  // at a time: the Engine's lock serialises jobs, and jobs run on threads of their own. Activations are `compute`
  // (mlx_compute_dtype).
  MlxOps(mlx::core::Device device, mlx::core::Dtype compute, DenseWeights dense = DenseWeights::AsCompute);

  std::string name() const { return "mlx"; }

  LinearParams linear_params(const Linear& linear, MatrixUse) const;
  NormParams norm_params(const LayerNormWeights& norm) const;
  ConvParams conv_params(const Conv1dWeights& conv) const;
  EmbeddingParams embedding_params(const WeightMatrix& embedding) const { return weight_params(embedding); }

  Tensor from_host(DType dtype, const void* data, int64_t rows, int64_t cols) const;
  void to_host(const Tensor& t, float* out) const;
  void evaluate(const std::vector<const Tensor*>& tensors) const;
  int64_t rows(const Tensor& t) const { return t.shape(0); }
  Tensor zeros(int64_t rows, int64_t cols) const;
  Tensor transpose(const Tensor& t) const;
  Tensor slice_rows(const Tensor& t, int64_t first, int64_t count) const;
  void write_rows(Tensor& dst, int64_t first, const Tensor& src) const;
  Tensor append_rows(Tensor history, int64_t keep, const Tensor& rows) const;
  void copy_rows(Tensor& dst, const Tensor& src, int64_t count) const;

  Tensor linear(const Tensor& x, const LinearParams& params) const;
  Tensor layer_norm(const Tensor& x, const NormParams& params) const;
  Tensor gelu(const Tensor& x) const;
  Tensor add(const Tensor& a, const Tensor& b) const;
  Tensor conv1d(const Tensor& x, const ConvParams& params, int stride) const;
  Tensor embed(const EmbeddingParams& embedding, const int32_t* tokens, int count) const;
  Tensor project_to_vocab(const EmbeddingParams& embedding, const Tensor& x) const;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
                   std::optional<Tensor>* weights) const;
  Tensor attention_per_row(const Tensor& q, const std::vector<const Tensor*>& keys,
                           const std::vector<const Tensor*>& values, int heads, int64_t count) const;
  // The CPU backend holds decoding's cross-attention keys and values in fp16; MLX keeps them as computed.
  Tensor key_cache(Tensor t, int /*heads*/) const { return t; }
  Tensor value_cache(Tensor t, int /*heads*/) const { return t; }

  // The conformer's and the LSTM's operations (mlx_conformer_ops.cpp).
  Conv2dParams conv2d_params(const Conv2dWeights& conv) const;
  DepthwiseParams depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias,
                                   int kernel) const;
  Tensor unary(const Tensor& x, Unary f) const;
  Tensor scale(const Tensor& x, float s) const;
  Tensor glu(const Tensor& x) const;
  Tensor depthwise_conv1d(const Tensor& x, const DepthwiseParams& params) const;
  Tensor conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams& params, int stride,
                int padding) const;
  Tensor planes_to_frames(const Tensor& x, int64_t height, int64_t width) const;
  Tensor relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos,
                            const Tensor& bias_u, const Tensor& bias_v, int heads) const;
  std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c) const;

 private:
  WeightParams weight_params(const WeightMatrix& matrix) const;
  Tensor scalar(float value) const;                                             // in the compute dtype
  Tensor host(DType dtype, const void* data, mlx::core::Shape shape) const;  // stored data as the compute dtype
  Tensor times_transposed(const Tensor& x, const WeightParams& w) const;  // x · wᵀ
  // (rows, heads * head_dim) -> (1, heads, rows, head_dim), the layout MLX's attention takes.
  Tensor split_heads(const Tensor& t, int heads) const;

  mlx::core::Stream stream_;
  mlx::core::Dtype compute_;
  DenseWeights dense_;
};

// MLX's device for `device`; std::invalid_argument for the GPU where MLX has none.
mlx::core::Device mlx_compute_device(MlxDevice device);

}  // namespace verbatim
