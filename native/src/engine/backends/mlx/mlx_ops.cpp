#include "backends/mlx/mlx_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "backends/cpu/cpu_kernels.h"

namespace mx = mlx::core;

namespace verbatim {
namespace {

using mlx_checks::dim;
using mlx_checks::require;

mx::Dtype mlx_dtype(DType dtype) {
  switch (dtype) {
    case DType::F16:
      return mx::float16;
    case DType::BF16:
      return mx::bfloat16;
    default:
      return mx::float32;
  }
}

// An array of dtype `as` from stored F32, F16 or BF16 data: copied as it is when the types match (the mapped data
// is not aligned, so it is copied rather than wrapped), otherwise converted through fp32.
mx::array host_array(DType dtype, const void* data, mx::Shape shape, mx::Dtype as) {
  int64_t count = 1;
  for (const mx::ShapeElem d : shape) count *= d;
  if (mlx_dtype(dtype) == as && (dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32)) {
    mx::array out(mx::allocator::malloc(static_cast<std::size_t>(count) * dtype_size(dtype)), std::move(shape), as);
    std::memcpy(out.data<void>(), data, out.nbytes());
    return out;
  }
  mx::array floats(mx::allocator::malloc(static_cast<std::size_t>(count) * sizeof(float)), std::move(shape),
                   mx::float32);
  cpu::to_float(dtype, data, floats.data<float>(), count);
  if (as == mx::float32) return floats;
  mx::array converted = mx::astype(floats, as, mx::Device::cpu);
  mx::eval(converted);  // now, so that the fp32 copy is freed at once
  return converted;
}

}  // namespace

MlxOps::MlxOps(mx::Device device, mx::Dtype compute, DenseWeights dense)
    : stream_(mx::new_thread_unsafe_stream(device)), compute_(compute), dense_(dense) {}

mx::array MlxOps::scalar(float value) const { return mx::array(value, compute_); }

mx::array MlxOps::host(DType dtype, const void* data, mx::Shape shape) const {
  return host_array(dtype, data, std::move(shape), compute_);
}

MlxOps::WeightParams MlxOps::weight_params(const WeightMatrix& matrix) const {
  const mx::ShapeElem rows = dim(matrix.rows);
  if (matrix.format != WeightMatrix::Format::Quantized) {
    const DType stored = dense_dtype(matrix.format);
    const mx::Dtype as = dense_ == DenseWeights::AsStored ? mlx_dtype(stored) : compute_;
    return {host_array(stored, matrix.data, {rows, dim(matrix.cols)}, as), std::nullopt, std::nullopt, 0, 0};
  }
  const mx::ShapeElem words = dim(matrix.cols * matrix.bits / 32);
  mx::array packed(mx::allocator::malloc(static_cast<std::size_t>(rows) * words * sizeof(uint32_t)), {rows, words},
                   mx::uint32);
  std::memcpy(packed.data<uint32_t>(), matrix.data, packed.nbytes());
  const mx::Shape groups = {rows, dim(matrix.cols / matrix.group_size)};
  return {packed, host(matrix.scale_dtype, matrix.scales, groups), host(matrix.scale_dtype, matrix.biases, groups),
          matrix.bits, matrix.group_size};
}

MlxOps::LinearParams MlxOps::linear_params(const Linear& linear, MatrixUse) const {
  LinearParams params{weight_params(linear.weight), std::nullopt};
  if (linear.bias) params.bias = host(linear.bias->dtype, linear.bias->data, {dim(linear.bias->size)});
  return params;
}

MlxOps::NormParams MlxOps::norm_params(const LayerNormWeights& norm) const {  // fp32, as layer_norm computes
  return {host_array(norm.weight.dtype, norm.weight.data, {dim(norm.weight.size)}, mx::float32),
          host_array(norm.bias.dtype, norm.bias.data, {dim(norm.bias.size)}, mx::float32)};
}

MlxOps::ConvParams MlxOps::conv_params(const Conv1dWeights& conv) const {
  return {host(conv.dtype, conv.weight, {dim(conv.out_channels), dim(conv.kernel), dim(conv.in_channels)}),
          host(conv.bias.dtype, conv.bias.data, {dim(conv.bias.size)}), conv.kernel};
}

mx::array MlxOps::from_host(DType dtype, const void* data, int64_t rows, int64_t cols) const {
  return host(dtype, data, {dim(rows), dim(cols)});
}

void MlxOps::to_host(const Tensor& t, float* out) const {
  const mx::array rows = mx::contiguous(mx::astype(t, mx::float32, stream_), false, stream_);
  mx::eval(rows);
  std::copy(rows.data<float>(), rows.data<float>() + rows.size(), out);
}

void MlxOps::evaluate(const std::vector<const Tensor*>& tensors) const {
  std::vector<mx::array> outputs;
  outputs.reserve(tensors.size());
  for (const Tensor* t : tensors) outputs.push_back(*t);
  mx::eval(std::move(outputs));
}

mx::array MlxOps::zeros(int64_t rows, int64_t cols) const {
  return mx::zeros({dim(rows), dim(cols)}, compute_, stream_);
}

mx::array MlxOps::transpose(const Tensor& t) const { return mx::transpose(t, stream_); }

mx::array MlxOps::slice_rows(const Tensor& t, int64_t first, int64_t count) const {
  require(first >= 0 && count >= 0 && first + count <= t.shape(0), "row slice out of range");
  return mx::slice(t, {dim(first), 0}, {dim(first + count), t.shape(1)}, stream_);
}

void MlxOps::write_rows(Tensor& dst, int64_t first, const Tensor& src) const {
  require(src.shape(1) == dst.shape(1) && first >= 0 && first + src.shape(0) <= dst.shape(0),
          "row write out of range");
  dst = mx::slice_update(dst, src, mx::Shape{dim(first), 0}, mx::Shape{dim(first + src.shape(0)), dst.shape(1)},
                         stream_);
}

mx::array MlxOps::append_rows(Tensor history, int64_t keep, const Tensor& rows) const {
  require(history.shape(1) == rows.shape(1) && keep >= 0, "row append out of range");
  const int64_t held = history.shape(0), first = std::max<int64_t>(0, held - keep);
  return mx::concatenate({slice_rows(history, first, held - first), rows}, 0, stream_);
}

void MlxOps::copy_rows(Tensor& dst, const Tensor& src, int64_t count) const {
  write_rows(dst, 0, slice_rows(src, 0, count));
}

mx::array MlxOps::times_transposed(const Tensor& x, const WeightParams& w) const {
  if (!w.scales) return mx::matmul(x, mx::transpose(w.weight, stream_), stream_);
  return mx::quantized_matmul(x, w.weight, *w.scales, w.biases, true, w.group_size, w.bits, "affine", stream_);
}

mx::array MlxOps::linear(const Tensor& x, const LinearParams& params) const {
  if (params.bias && !params.weight.scales) {
    return mx::addmm(*params.bias, x, mx::transpose(params.weight.weight, stream_), 1.0f, 1.0f, stream_);
  }
  mx::array y = times_transposed(x, params.weight);
  return params.bias ? mx::add(y, *params.bias, stream_) : y;
}

mx::array MlxOps::layer_norm(const Tensor& x, const NormParams& params) const {
  const mx::array y = mx::fast::layer_norm(mx::astype(x, mx::float32, stream_), params.weight, params.bias, 1e-5f,
                                           stream_);
  return mx::astype(y, compute_, stream_);
}

mx::array MlxOps::gelu(const Tensor& x) const {
  const mx::array half_x = mx::multiply(x, scalar(0.5f), stream_);
  const mx::array erf = mx::erf(mx::multiply(x, scalar(static_cast<float>(M_SQRT1_2)), stream_), stream_);
  return mx::add(half_x, mx::multiply(half_x, erf, stream_), stream_);
}

mx::array MlxOps::add(const Tensor& a, const Tensor& b) const {
  require(a.shape() == b.shape(), "added tensors differ in shape");
  return mx::add(a, b, stream_);
}

mx::array MlxOps::conv1d(const Tensor& x, const ConvParams& params, int stride) const {
  require(x.shape(1) == params.weight.shape(2) && stride >= 1, "convolution input does not match the weights");
  const mx::array y = mx::conv1d(mx::expand_dims(x, 0, stream_), params.weight, stride, params.kernel / 2, 1, 1,
                                 stream_);  // (1, time, out)
  return mx::add(mx::squeeze(y, 0, stream_), params.bias, stream_);
}

mx::array MlxOps::embed(const EmbeddingParams& embedding, const int32_t* tokens, int count) const {
  for (int i = 0; i < count; ++i) {
    require(tokens[i] >= 0 && tokens[i] < embedding.weight.shape(0), "token outside the embedding");
  }
  const mx::array ids(tokens, {count}, mx::int32);
  const mx::array rows = mx::take(embedding.weight, ids, 0, stream_);
  if (!embedding.scales) return mx::astype(rows, compute_, stream_);
  return mx::dequantize(rows, mx::take(*embedding.scales, ids, 0, stream_),
                        mx::take(*embedding.biases, ids, 0, stream_), embedding.group_size, embedding.bits, "affine",
                        std::nullopt, compute_, stream_);
}

mx::array MlxOps::project_to_vocab(const EmbeddingParams& embedding, const Tensor& x) const {
  return times_transposed(x, embedding);
}

// One attention per row: MLX only records them here, and runs them when the step is evaluated.
mx::array MlxOps::attention_per_row(const Tensor& q, const std::vector<const Tensor*>& keys,
                                    const std::vector<const Tensor*>& values, int heads, int64_t count) const {
  require(keys.size() == static_cast<std::size_t>(q.shape(0)) && values.size() == keys.size(),
          "attention per row needs one cache of keys and values per row");
  std::vector<mx::array> rows;
  for (std::size_t r = 0; r < keys.size(); ++r) {
    rows.push_back(attention(slice_rows(q, static_cast<int64_t>(r), 1), *keys[r], *values[r], heads, count, true,
                             nullptr));
  }
  return mx::concatenate(rows, 0, stream_);
}

mx::array MlxOps::split_heads(const Tensor& t, int heads) const {
  const mx::ShapeElem rows = t.shape(0);
  return mx::transpose(mx::reshape(t, {1, rows, heads, t.shape(1) / heads}, stream_), {0, 2, 1, 3}, stream_);
}

mx::array MlxOps::attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
                            std::optional<Tensor>* weights) const {
  const mx::ShapeElem width = q.shape(1);
  require(heads > 0 && width % heads == 0 && k.shape(1) == width && v.shape(1) == width, "attention widths differ");
  require(keys > 0 && keys <= k.shape(0) && keys <= v.shape(0), "attention over more keys than given");
  const mx::ShapeElem queries = q.shape(0);
  const mx::ShapeElem n_keys = dim(keys);
  const mx::array qh = split_heads(q, heads);
  const mx::array kh = split_heads(mx::slice(k, {0, 0}, {n_keys, width}, stream_), heads);
  const mx::array vh = split_heads(mx::slice(v, {0, 0}, {n_keys, width}, stream_), heads);
  const float scale = 1.0f / std::sqrt(static_cast<float>(width / heads));

  mx::array out = [&] {
    if (weights == nullptr) {
#if MLX_VERSION_NUMERIC >= 32002  // MLX after 0.32.1 takes force_fused before the stream
      return mx::fast::scaled_dot_product_attention(qh, kh, vh, scale, causal ? "causal" : "", std::nullopt, {},
                                                    false, stream_);
#else
      return mx::fast::scaled_dot_product_attention(qh, kh, vh, scale, causal ? "causal" : "", std::nullopt, {},
                                                    stream_);
#endif
    }
    // The weights are wanted: the scores explicitly, softmax in fp32 (the fused kernel returns no weights).
    mx::array scores = mx::matmul(mx::multiply(qh, scalar(scale), stream_),
                                  mx::transpose(kh, {0, 1, 3, 2}, stream_), stream_);
    if (causal) {  // bottom-right aligned: query i sees keys [0, keys - queries + i]
      const mx::array query_pos = mx::expand_dims(mx::arange(n_keys - queries, n_keys, stream_), 1, stream_);
      const mx::array key_pos = mx::expand_dims(mx::arange(0, n_keys, stream_), 0, stream_);
      scores = mx::where(mx::greater_equal(query_pos, key_pos, stream_), scores,
                         scalar(-std::numeric_limits<float>::infinity()), stream_);
    }
    const mx::array probabilities = mx::softmax(scores, std::vector<int>{-1}, true, stream_);
    weights->emplace(mx::reshape(probabilities, {heads * queries, n_keys}, stream_));
    return mx::matmul(probabilities, vh, stream_);
  }();
  return mx::reshape(mx::transpose(out, {0, 2, 1, 3}, stream_), {queries, width}, stream_);
}

}  // namespace verbatim
