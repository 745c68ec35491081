// The portable CPU backend: the tensor operations (backends/tensor_ops.h) on fp32 matrices in memory, with weights
// read in their stored format by the kernels in cpu_kernels.h and a pool of worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/thread_pool.h"
#include "backends/tensor_ops.h"
#include "tensors/convolution.h"
#include "tensors/layer_norm.h"
#include "tensors/linear.h"
#include "tensors/weight_matrix.h"

namespace verbatim {

// A row-major fp32 matrix; or, made by CpuOps::key_cache or value_cache for attention alone, fp16 bits in `half`,
// laid out by cpu::to_key_cache or to_value_cache.
struct CpuTensor {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;
  std::vector<uint16_t> half;

  CpuTensor() = default;
  CpuTensor(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<std::size_t>(r * c)) {}
  float* row(int64_t i) { return data.data() + i * cols; }
  const float* row(int64_t i) const { return data.data() + i * cols; }
};

class CpuOps {
 public:
  using Tensor = CpuTensor;
  struct LinearParams {
    WeightMatrix weight;                  // as the kernels read it best (cpu::kernel_weights)
    std::vector<float> bias;              // empty when the layer has none
    std::shared_ptr<const void> storage;  // weight's bytes where they are a copy of the stored ones
  };
  struct NormParams {
    std::vector<float> weight, bias;
  };
  struct ConvParams {
    WeightMatrix weight;  // (out, kernel * in): MLX's (out, kernel, in) layout read as a matrix
    std::vector<float> bias;
    int kernel = 0;
  };
  using EmbeddingParams = LinearParams;  // without a bias
  using Conv2dParams = Conv2dWeights;
  struct DepthwiseParams {
    std::vector<float> taps;  // (kernel, channels): each tap's weights for every channel, read in order
    std::vector<float> bias;  // channels
    int kernel = 0;
  };

  explicit CpuOps(int threads);

  std::string name() const { return "cpu"; }

  // 4-bit matrices for decoding are copied into the integer kernels' row blocks (cpu::kernel_weights); the rest,
  // and every matrix for encoding (its products unpack tiles from any layout), stay as stored.
  LinearParams linear_params(const Linear& linear, MatrixUse use) const;
  NormParams norm_params(const LayerNormWeights& norm) const;
  ConvParams conv_params(const Conv1dWeights& conv) const;
  EmbeddingParams embedding_params(const WeightMatrix& embedding) const;
  Conv2dParams conv2d_params(const Conv2dWeights& conv) const { return conv; }
  DepthwiseParams depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias,
                                   int kernel) const;  // weight: (channels, kernel)

  Tensor from_host(DType dtype, const void* data, int64_t rows, int64_t cols) const;
  void to_host(const Tensor& t, float* out) const;
  void evaluate(const std::vector<const Tensor*>&) const {}  // every operation has run when it returns
  int64_t rows(const Tensor& t) const { return t.rows; }
  Tensor zeros(int64_t rows, int64_t cols) const { return Tensor(rows, cols); }
  Tensor transpose(const Tensor& t) const;
  Tensor slice_rows(const Tensor& t, int64_t first, int64_t count) const;
  void write_rows(Tensor& dst, int64_t first, const Tensor& src) const;
  Tensor append_rows(Tensor history, int64_t keep, const Tensor& rows) const;
  void copy_rows(Tensor& dst, const Tensor& src, int64_t count) const;

  Tensor linear(const Tensor& x, const LinearParams& params);
  Tensor layer_norm(const Tensor& x, const NormParams& params);
  Tensor gelu(Tensor x);
  Tensor add(Tensor a, const Tensor& b) const;
  Tensor conv1d(const Tensor& x, const ConvParams& params, int stride);
  Tensor embed(const EmbeddingParams& embedding, const int32_t* tokens, int count) const;
  Tensor project_to_vocab(const EmbeddingParams& embedding, const Tensor& x);
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
                   std::optional<Tensor>* weights);
  Tensor attention_per_row(const Tensor& q, const std::vector<const Tensor*>& keys,
                           const std::vector<const Tensor*>& values, int heads, int64_t count);
  // Keys, or values, of `heads` heads that attention() will read at every decoding step, held in fp16 (half the
  // bytes per step), each head's rows together (the keys in blocks read column by column: cpu::to_key_cache).
  Tensor key_cache(Tensor t, int heads) const;
  Tensor value_cache(Tensor t, int heads) const;

  // The conformer's and the LSTM's operations (cpu_conformer_ops.cpp).
  Tensor unary(Tensor x, Unary f);
  Tensor scale(Tensor x, float s) const;
  Tensor glu(const Tensor& x) const;
  Tensor depthwise_conv1d(const Tensor& x, const DepthwiseParams& params);
  Tensor conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams& params, int stride, int padding);
  Tensor planes_to_frames(const Tensor& x, int64_t height, int64_t width) const;
  Tensor relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos, const Tensor& bias_u,
                            const Tensor& bias_v, int heads);
  std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c) const;

 private:
  std::shared_ptr<ThreadPool> pool_;
};

// The operations on `threads` workers, counting the calling thread; 0 means one per hardware thread (on Apple
// silicon, one per performance core). OpenBLAS's own threads are switched off: the pool runs BLAS calls side by side.
CpuOps make_cpu_ops(int threads);

// The layout this backend's kernels multiply matrices packed at load in fastest (WeightPolicy::kernel_layout; 4-bit
// ones in row blocks, q4_row_blocks.h), laid out on `threads` workers as make_cpu_ops counts them.
std::function<KernelWeights(const WeightMatrix&)> cpu_kernel_layout(int threads);

}  // namespace verbatim
