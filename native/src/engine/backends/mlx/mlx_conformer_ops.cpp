// The MLX backend's operations for the conformer encoder and the LSTM (backends/tensor_ops.h says what each computes).
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backends/mlx/mlx_ops.h"

namespace mx = mlx::core;

namespace verbatim {
namespace {

using mlx_checks::dim;
using mlx_checks::require;

}  // namespace

MlxOps::Conv2dParams MlxOps::conv2d_params(const Conv2dWeights& conv) const {
  const mx::Shape shape = {dim(conv.out_channels), dim(conv.kernel_h), dim(conv.kernel_w), dim(conv.in_per_group)};
  require(conv.weight.size() == static_cast<std::size_t>(conv.out_channels) * conv.kernel_h * conv.kernel_w *
                                      conv.in_per_group &&
              conv.bias.size() == static_cast<std::size_t>(conv.out_channels),
          "conv2d weights do not match their shape");
  return {host(DType::F32, conv.weight.data(), shape), host(DType::F32, conv.bias.data(), {dim(conv.out_channels)}),
          conv.in_per_group};
}

MlxOps::DepthwiseParams MlxOps::depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias,
                                                 int kernel) const {
  const auto channels = static_cast<int64_t>(bias.size());
  require(kernel > 0 && static_cast<int64_t>(weight.size()) == channels * kernel,
          "depthwise weights are not channels x kernel");
  return {host(DType::F32, weight.data(), {dim(channels), kernel, 1}), host(DType::F32, bias.data(), {dim(channels)}),
          kernel};
}

mx::array MlxOps::unary(const Tensor& x, Unary f) const {
  switch (f) {
    case Unary::Relu: return mx::maximum(x, scalar(0.0f), stream_);
    case Unary::Silu: return mx::multiply(x, mx::sigmoid(x, stream_), stream_);
    case Unary::Sigmoid: return mx::sigmoid(x, stream_);
    case Unary::Tanh: return mx::tanh(x, stream_);
  }
  throw std::invalid_argument("mlx backend: unknown elementwise function");
}

mx::array MlxOps::scale(const Tensor& x, float s) const { return mx::multiply(x, scalar(s), stream_); }

mx::array MlxOps::glu(const Tensor& x) const {
  require(x.ndim() == 2 && x.shape(1) % 2 == 0, "glu needs an even number of columns");
  const mx::ShapeElem rows = x.shape(0), half = x.shape(1) / 2;
  const mx::array a = mx::slice(x, {0, 0}, {rows, half}, stream_);
  const mx::array b = mx::slice(x, {0, half}, {rows, 2 * half}, stream_);
  return mx::multiply(a, mx::sigmoid(b, stream_), stream_);
}

mx::array MlxOps::depthwise_conv1d(const Tensor& x, const DepthwiseParams& params) const {
  const mx::ShapeElem channels = params.weight.shape(0);
  require(x.ndim() == 2 && x.shape(1) == channels, "depthwise weights do not match the input's channels");
  const mx::array y = mx::conv1d(mx::expand_dims(x, 0, stream_), params.weight, 1, params.kernel / 2, 1, channels,
                                 stream_);  // (1, time, channels)
  return mx::add(mx::squeeze(y, 0, stream_), params.bias, stream_);
}

mx::array MlxOps::conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams& params, int stride,
                         int padding) const {
  require(height > 0 && width > 0 && x.ndim() == 2 && x.shape(1) == height * width,
          "conv2d input is not height x width planes");
  require(params.in_per_group > 0 && x.shape(0) % params.in_per_group == 0,
          "conv2d input channels do not match the weights");
  const mx::ShapeElem channels = x.shape(0), h = dim(height), w = dim(width);
  const int groups = channels / params.in_per_group;
  require(params.weight.shape(0) % groups == 0, "conv2d groups do not divide the output channels");
  require(height + 2 * padding >= params.weight.shape(1) && width + 2 * padding >= params.weight.shape(2),
          "conv2d input is smaller than its kernel");
  // Planes (C, H*W) to MLX's (1, H, W, C) and back.
  const mx::array input =
      mx::expand_dims(mx::transpose(mx::reshape(x, {channels, h, w}, stream_), {1, 2, 0}, stream_), 0, stream_);
  // (1, H', W', out)
  const mx::array y = mx::conv2d(input, params.weight, {stride, stride}, {padding, padding}, {1, 1}, groups, stream_);
  const mx::ShapeElem out_channels = y.shape(3), oh = y.shape(1), ow = y.shape(2);
  const mx::array planes = mx::reshape(mx::transpose(mx::squeeze(y, 0, stream_), {2, 0, 1}, stream_),
                                       {out_channels, oh * ow}, stream_);
  return mx::add(planes, mx::expand_dims(params.bias, 1, stream_), stream_);
}

mx::array MlxOps::planes_to_frames(const Tensor& x, int64_t height, int64_t width) const {
  require(x.ndim() == 2 && x.shape(1) == height * width, "planes are not height x width");
  const mx::ShapeElem channels = x.shape(0), h = dim(height), w = dim(width);
  const mx::array frames = mx::transpose(mx::reshape(x, {channels, h, w}, stream_), {1, 0, 2}, stream_);
  return mx::reshape(frames, {h, channels * w}, stream_);
}

mx::array MlxOps::relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos,
                                     const Tensor& bias_u, const Tensor& bias_v, int heads) const {
  // T queries, the last T of L keys (the first L - T: a cache of earlier frames).
  const mx::ShapeElem T = q.shape(0), d = q.shape(1), L = k.shape(0);
  require(heads > 0 && d % heads == 0, "heads do not divide the width");
  require(L >= T && k.shape(1) == d && v.shape() == k.shape(), "q, k and v differ in shape");
  require(pos.shape(0) == 2 * L - 1 && pos.shape(1) == d, "positions are not 2L-1 rows of the width");
  const mx::ShapeElem hd = d / heads;
  require(bias_u.shape() == mx::Shape({heads, hd}) && bias_v.shape() == mx::Shape({heads, hd}),
          "position biases are not heads x head_dim");
  const auto split = [&](const mx::array& t) {  // (rows, d) -> (heads, rows, hd)
    return mx::transpose(mx::reshape(t, {t.shape(0), heads, hd}, stream_), {1, 0, 2}, stream_);
  };
  const mx::array qh = split(q), kh = split(k), vh = split(v), ph = split(pos);
  const mx::array qu = mx::add(qh, mx::expand_dims(bias_u, 1, stream_), stream_);
  const mx::array qv = mx::add(qh, mx::expand_dims(bias_v, 1, stream_), stream_);
  const mx::array ac = mx::matmul(qu, mx::transpose(kh, {0, 2, 1}, stream_), stream_);  // (heads, T, L)
  mx::array bd = mx::matmul(qv, mx::transpose(ph, {0, 2, 1}, stream_), stream_);        // (heads, T, 2L-1)
  // Transformer-XL's shift: query i (key L - T + i) reads key j at relative position L - T + i - j, pos row
  // T - 1 - i + j. With one zero column on the right, rows of 2L, that entry lies at flat index T - 1 + i(2L - 1) + j:
  // the flat rows from offset T - 1 read as T rows of 2L - 1, their first L columns.
  bd = mx::pad(bd, std::vector<std::pair<int, int>>{{0, 0}, {0, 0}, {0, 1}}, scalar(0.0f), "constant", stream_);
  bd = mx::reshape(bd, {heads, T * 2 * L}, stream_);
  bd = mx::slice(bd, {0, T - 1}, {heads, T - 1 + T * (2 * L - 1)}, stream_);
  bd = mx::slice(mx::reshape(bd, {heads, T, 2 * L - 1}, stream_), {0, 0, 0}, {heads, T, L}, stream_);
  const float inv_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const mx::array scores = mx::multiply(mx::add(ac, bd, stream_), scalar(inv_scale), stream_);
  const mx::array probabilities = mx::softmax(scores, std::vector<int>{-1}, true, stream_);
  const mx::array out = mx::matmul(probabilities, vh, stream_);  // (heads, T, hd)
  return mx::reshape(mx::transpose(out, {1, 0, 2}, stream_), {T, d}, stream_);
}

std::pair<mx::array, mx::array> MlxOps::lstm_cell(const Tensor& gates, const Tensor& c) const {
  const mx::ShapeElem rows = c.shape(0), H = c.shape(1);
  require(gates.shape(0) == rows && gates.shape(1) == 4 * H, "LSTM gates are not 4 x the state");
  const auto gate = [&](int i) { return mx::slice(gates, {0, i * H}, {rows, (i + 1) * H}, stream_); };
  const mx::array in = mx::sigmoid(gate(0), stream_), forget = mx::sigmoid(gate(1), stream_),
                  cell = mx::tanh(gate(2), stream_), output = mx::sigmoid(gate(3), stream_);
  mx::array next = mx::add(mx::multiply(forget, c, stream_), mx::multiply(in, cell, stream_), stream_);
  mx::array h = mx::multiply(output, mx::tanh(next, stream_), stream_);
  return {std::move(h), std::move(next)};
}

}  // namespace verbatim
