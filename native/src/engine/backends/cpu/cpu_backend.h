// The portable CPU backend: the tensor operations WhisperModel needs, on fp32 matrices in memory, with weights
// read in their stored format by the kernels in cpu_kernels.h and a pool of worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/model_runner.h"
#include "backends/cpu/thread_pool.h"
#include "formats/weights.h"

namespace verbatim {

// A row-major fp32 matrix.
struct CpuTensor {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;

  CpuTensor() = default;
  CpuTensor(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<std::size_t>(r * c)) {}
  float* row(int64_t i) { return data.data() + i * cols; }
  const float* row(int64_t i) const { return data.data() + i * cols; }
};

class CpuOps {
 public:
  using Tensor = CpuTensor;
  struct LinearParams {
    WeightMatrix weight;
    std::vector<float> bias;  // empty when the layer has none
  };
  struct NormParams {
    std::vector<float> weight, bias;
  };
  struct ConvParams {
    WeightMatrix weight;  // (out, kernel * in): MLX's (out, kernel, in) layout read as a matrix
    std::vector<float> bias;
    int kernel = 0;
  };
  using EmbeddingParams = WeightMatrix;

  explicit CpuOps(int threads);

  std::string name() const { return "cpu"; }

  LinearParams linear_params(const Linear& linear) const;
  NormParams norm_params(const LayerNormWeights& norm) const;
  ConvParams conv_params(const Conv1dWeights& conv) const;
  EmbeddingParams embedding_params(const WeightMatrix& embedding) const { return embedding; }

  Tensor from_host(DType dtype, const void* data, int64_t rows, int64_t cols) const;
  void to_host(const Tensor& t, float* out) const;
  void evaluate(const std::vector<const Tensor*>&) const {}  // every operation has run when it returns
  int64_t rows(const Tensor& t) const { return t.rows; }
  Tensor zeros(int64_t rows, int64_t cols) const { return Tensor(rows, cols); }
  Tensor transpose(const Tensor& t) const;
  Tensor slice_rows(const Tensor& t, int64_t first, int64_t count) const;
  void write_rows(Tensor& dst, int64_t first, const Tensor& src) const;

  Tensor linear(const Tensor& x, const LinearParams& params);
  Tensor layer_norm(const Tensor& x, const NormParams& params);
  Tensor gelu(Tensor x);
  Tensor add(Tensor a, const Tensor& b) const;
  Tensor conv1d(const Tensor& x, const ConvParams& params, int stride);
  Tensor embed(const EmbeddingParams& embedding, const int32_t* tokens, int count) const;
  Tensor project_to_vocab(const EmbeddingParams& embedding, const Tensor& x);
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
                   std::optional<Tensor>* weights);

 private:
  std::shared_ptr<ThreadPool> pool_;
};

// A Whisper runner on the CPU backend. `threads` counts the calling thread; 0 means one per hardware thread.
// The weights stay shared (and memory-mapped): nothing is expanded.
std::unique_ptr<ModelRunner> make_cpu_runner(std::shared_ptr<const WhisperWeights> weights, int threads);

}  // namespace verbatim
