#include "backends/cpu/cpu_backend.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/q4_row_blocks.h"

#if defined(VERBATIM_OPENBLAS)
#include <cblas.h>
#endif
#if defined(__APPLE__) && defined(__aarch64__)
#include <sys/sysctl.h>
#endif

namespace verbatim {
namespace {

// One worker per core that runs at full speed. On Apple silicon that is a performance core (macOS's
// hw.perflevel0.physicalcpu): every batch waits for its slowest worker, and one on an efficiency core holds it back.
// Elsewhere, one per hardware thread.
int default_threads() {
#if defined(__APPLE__) && defined(__aarch64__)
  int performance_cores = 0;
  std::size_t size = sizeof(performance_cores);
  if (sysctlbyname("hw.perflevel0.physicalcpu", &performance_cores, &size, nullptr, 0) == 0 && performance_cores > 0)
    return performance_cores;
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("cpu backend: ") + what);
}

WeightMatrix::Format matrix_format(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return WeightMatrix::Format::F32;
    case DType::F16:
      return WeightMatrix::Format::F16;
    case DType::BF16:
      return WeightMatrix::Format::BF16;
    default:
      throw std::invalid_argument(std::string("cpu backend: a ") + dtype_name(dtype) + " convolution is not supported");
  }
}

}  // namespace

CpuOps::CpuOps(int threads) : pool_(std::make_shared<ThreadPool>(std::max(threads, 1))) {}

CpuOps::LinearParams CpuOps::linear_params(const Linear& linear, MatrixUse use) const {
  KernelWeights weight =
      use == MatrixUse::Decoding ? cpu::kernel_weights(*pool_, linear.weight) : KernelWeights{linear.weight, {}};
  return {weight.matrix, linear.bias ? cpu::to_float(*linear.bias) : std::vector<float>(), std::move(weight.storage)};
}

CpuOps::EmbeddingParams CpuOps::embedding_params(const WeightMatrix& embedding) const {
  KernelWeights weight = cpu::kernel_weights(*pool_, embedding);
  return {weight.matrix, {}, std::move(weight.storage)};
}

CpuOps::NormParams CpuOps::norm_params(const LayerNormWeights& norm) const {
  return {cpu::to_float(norm.weight), cpu::to_float(norm.bias)};
}

CpuOps::ConvParams CpuOps::conv_params(const Conv1dWeights& conv) const {
  ConvParams params;
  params.weight.format = matrix_format(conv.dtype);
  params.weight.rows = conv.out_channels;
  params.weight.cols = static_cast<int64_t>(conv.kernel) * conv.in_channels;
  params.weight.data = conv.weight;
  params.bias = cpu::to_float(conv.bias);
  params.kernel = conv.kernel;
  return params;
}

CpuTensor CpuOps::from_host(DType dtype, const void* data, int64_t rows, int64_t cols) const {
  Tensor t(rows, cols);
  cpu::to_float(dtype, data, t.data.data(), rows * cols);
  return t;
}

void CpuOps::to_host(const Tensor& t, float* out) const { std::copy(t.data.begin(), t.data.end(), out); }

CpuTensor CpuOps::transpose(const Tensor& t) const {
  Tensor out(t.cols, t.rows);
  constexpr int64_t kBlock = 32;  // square blocks keep both reads and writes within a few cache lines
  for (int64_t r0 = 0; r0 < t.rows; r0 += kBlock) {
    for (int64_t c0 = 0; c0 < t.cols; c0 += kBlock) {
      for (int64_t r = r0; r < std::min(r0 + kBlock, t.rows); ++r) {
        for (int64_t c = c0; c < std::min(c0 + kBlock, t.cols); ++c) out.data[c * t.rows + r] = t.data[r * t.cols + c];
      }
    }
  }
  return out;
}

CpuTensor CpuOps::slice_rows(const Tensor& t, int64_t first, int64_t count) const {
  require(first >= 0 && count >= 0 && first + count <= t.rows, "row slice out of range");
  Tensor out;  // copied in, not zeroed first: the streaming encoder slices its caches every layer of every chunk
  out.rows = count;
  out.cols = t.cols;
  out.data.assign(t.row(first), t.row(first) + count * t.cols);
  return out;
}

void CpuOps::write_rows(Tensor& dst, int64_t first, const Tensor& src) const {
  require(src.cols == dst.cols && first >= 0 && first + src.rows <= dst.rows, "row write out of range");
  std::copy(src.data.begin(), src.data.end(), dst.row(first));
}

// In history's own buffer: the kept rows move to its front and the new rows go after them, within the room the
// rows dropped leave (the streaming encoder moves its attention and convolution windows on every layer of every chunk).
CpuTensor CpuOps::append_rows(Tensor history, int64_t keep, const Tensor& rows) const {
  require(history.cols == rows.cols && keep >= 0, "row append out of range");
  const int64_t drop = std::max<int64_t>(0, history.rows - keep);
  history.data.erase(history.data.begin(), history.data.begin() + drop * history.cols);
  history.data.insert(history.data.end(), rows.data.begin(), rows.data.end());
  history.rows += rows.rows - drop;
  history.half.clear();  // an fp16 attention-cache copy (key_cache, value_cache) no longer matches the rows
  return history;
}

// Beam search forks a beam by copying its self-attention caches (a few MB over a step's layers): in place, on every
// thread, not through slice_rows' new tensor.
void CpuOps::copy_rows(Tensor& dst, const Tensor& src, int64_t count) const {
  require(src.cols == dst.cols && count >= 0 && count <= src.rows && count <= dst.rows, "row copy out of range");
  const int64_t parts = pool_->threads();
  pool_->parallel_for(parts, [&](int64_t part, int) {
    const int64_t first = part * count / parts, end = (part + 1) * count / parts;
    std::copy(src.row(first), src.row(end), dst.row(first));
  });
}

CpuTensor CpuOps::linear(const Tensor& x, const LinearParams& params) {
  require(x.cols == params.weight.cols, "linear input width does not match the weights");
  Tensor y(x.rows, params.weight.rows);
  cpu::matmul(*pool_, x.data.data(), x.rows, x.cols, params.weight, params.bias.empty() ? nullptr : params.bias.data(),
              y.data.data(), y.cols);
  return y;
}

CpuTensor CpuOps::layer_norm(const Tensor& x, const NormParams& params) {
  require(x.cols == static_cast<int64_t>(params.weight.size()), "layer norm width does not match the weights");
  Tensor y(x.rows, x.cols);
  cpu::layer_norm(*pool_, x.data.data(), x.rows, x.cols, params.weight.data(), params.bias.data(), y.data.data());
  return y;
}

CpuTensor CpuOps::gelu(Tensor x) {
  cpu::gelu(*pool_, x.data.data(), static_cast<int64_t>(x.data.size()));
  return x;
}

CpuTensor CpuOps::add(Tensor a, const Tensor& b) const {
  require(a.rows == b.rows && a.cols == b.cols, "added tensors differ in shape");
  cpu::add(a.data.data(), b.data.data(), a.data.data(), static_cast<int64_t>(a.data.size()));
  return a;
}

// The (out, kernel, in) weights read as an (out, kernel*in) matrix, so the convolution is one matmul of the
// weights with the zero-padded input's windows of `kernel` consecutive rows.
CpuTensor CpuOps::conv1d(const Tensor& x, const ConvParams& params, int stride) {
  require(x.cols * params.kernel == params.weight.cols && stride >= 1, "convolution input does not match the weights");
  const int64_t pad = params.kernel / 2;
  const int64_t padded_rows = x.rows + 2 * pad;
  require(padded_rows >= params.kernel, "convolution input is shorter than the kernel");
  const int64_t out_rows = (padded_rows - params.kernel) / stride + 1;
  Tensor windows(out_rows, params.weight.cols);
  for (int64_t t = 0; t < out_rows; ++t) {
    for (int64_t k = 0; k < params.kernel; ++k) {
      const int64_t source = t * stride + k - pad;
      float* dst = windows.row(t) + k * x.cols;
      if (source < 0 || source >= x.rows) {
        std::fill(dst, dst + x.cols, 0.0f);
      } else {
        std::copy(x.row(source), x.row(source) + x.cols, dst);
      }
    }
  }
  Tensor y(out_rows, params.weight.rows);
  cpu::matmul(*pool_, windows.data.data(), out_rows, windows.cols, params.weight, params.bias.data(), y.data.data(),
              y.cols);
  return y;
}

CpuTensor CpuOps::embed(const EmbeddingParams& embedding, const int32_t* tokens, int count) const {
  Tensor out(count, embedding.weight.cols);
  for (int i = 0; i < count; ++i) {
    require(tokens[i] >= 0 && tokens[i] < embedding.weight.rows, "token outside the embedding");
    cpu::decode_rows(embedding.weight, tokens[i], 1, out.row(i));
  }
  return out;
}

CpuTensor CpuOps::project_to_vocab(const EmbeddingParams& embedding, const Tensor& x) {
  require(x.cols == embedding.weight.cols, "logits input width does not match the embedding");
  Tensor y(x.rows, embedding.weight.rows);
  cpu::matmul(*pool_, x.data.data(), x.rows, x.cols, embedding.weight, nullptr, y.data.data(), y.cols);
  return y;
}

CpuTensor CpuOps::attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
                            std::optional<Tensor>* weights) {
  require(heads > 0 && q.cols % heads == 0 && k.cols == q.cols && v.cols == q.cols, "attention widths differ");
  require(keys > 0 && keys <= k.rows && keys <= v.rows, "attention over more keys than given");
  const cpu::AttentionShape shape{q.rows, keys, heads, static_cast<int>(q.cols / heads), causal};
  Tensor out(q.rows, q.cols);
  float* weights_out = nullptr;
  if (weights != nullptr) weights_out = weights->emplace(heads * q.rows, keys).data.data();
  if (!k.half.empty() || !v.half.empty()) {
    require(!k.half.empty() && !v.half.empty(), "attention keys and values are held differently");
    require(k.rows == v.rows, "attention caches of keys and values differ in length");
    require(k.half.size() == static_cast<std::size_t>(cpu::key_cache_rows(k.rows) * k.cols) &&
                v.half.size() == static_cast<std::size_t>(v.rows * v.cols),
            "attention caches are not a key cache and a value cache");
    cpu::attention(*pool_, shape, q.data.data(), q.cols, k.half.data(), v.half.data(), k.rows, out.data.data(),
                   out.cols, weights_out);
  } else {
    cpu::attention(*pool_, shape, q.data.data(), q.cols, k.data.data(), v.data.data(), k.cols, out.data.data(),
                   out.cols, weights_out);
  }
  return out;
}

CpuTensor CpuOps::attention_per_row(const Tensor& q, const std::vector<const Tensor*>& keys,
                                     const std::vector<const Tensor*>& values, int heads, int64_t count) {
  require(keys.size() == static_cast<std::size_t>(q.rows) && values.size() == keys.size(),
          "attention per row needs one cache of keys and values per row");
  require(heads > 0 && q.cols % heads == 0, "attention widths differ");
  std::vector<const float*> k, v;
  for (std::size_t r = 0; r < keys.size(); ++r) {
    require(keys[r]->half.empty() && values[r]->half.empty(), "attention per row reads fp32 caches");
    require(keys[r]->cols == q.cols && values[r]->cols == q.cols, "attention widths differ");
    require(count > 0 && count <= keys[r]->rows && count <= values[r]->rows, "attention over more keys than given");
    k.push_back(keys[r]->data.data());
    v.push_back(values[r]->data.data());
  }
  const cpu::AttentionShape shape{1, count, heads, static_cast<int>(q.cols / heads), false};
  Tensor out(q.rows, q.cols);
  cpu::attention_batch(*pool_, shape, q.rows, q.data.data(), q.cols, k.data(), v.data(), q.cols, out.data.data(),
                       out.cols);
  return out;
}

CpuTensor CpuOps::key_cache(Tensor t, int heads) const {
  t.half.resize(static_cast<std::size_t>(cpu::key_cache_rows(t.rows) * t.cols));
  cpu::to_key_cache(t.data.data(), t.rows, t.cols, heads, t.half.data());
  std::vector<float>().swap(t.data);
  return t;
}

CpuTensor CpuOps::value_cache(Tensor t, int heads) const {
  t.half.resize(t.data.size());
  cpu::to_value_cache(t.data.data(), t.rows, t.cols, heads, t.half.data());
  std::vector<float>().swap(t.data);
  return t;
}

std::function<KernelWeights(const WeightMatrix&)> cpu_kernel_layout(int threads) {
  auto pool = std::make_shared<ThreadPool>(threads > 0 ? threads : default_threads());
  return [pool](const WeightMatrix& w) { return cpu::kernel_weights(*pool, w); };
}

CpuOps make_cpu_ops(int threads) {
  if (threads <= 0) threads = default_threads();
#if defined(VERBATIM_OPENBLAS)
  // Our pool runs BLAS calls side by side on its own threads; OpenBLAS's threads on top would oversubscribe.
  openblas_set_num_threads(1);
#endif
  return CpuOps(threads);
}

}  // namespace verbatim
