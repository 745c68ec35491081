// The FastConformer encoder (NeMo's ConformerEncoder: dw_striding subsampling by 8, then macaron feed-forward,
// relative-position self-attention and convolution modules), written once against the tensor operations each
// backend provides (backends/tensor_ops.h). Parakeet TDT runs it whole over a window; the cache-aware streaming
// families build on the same layers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

#include "backends/tensor_ops.h"
#include "conformer/conformer_weights.h"

namespace verbatim {

// Relative positional encodings for T frames: 2T-1 rows (relative positions T-1 down to -(T-1)) of d values,
// interleaved sin/cos of r * 10000^(-2k/d), the frequencies and products in fp32 as transformers computes them.
std::vector<float> relative_positions(int frames, int d_model);

template <class Ops>
class ConformerEncoder {
 public:
  using Tensor = typename Ops::Tensor;

  // The subsampling's block, in output rows (80 ms each): see subsample().
  static constexpr int kSubsamplingBlockRows = 128;

  // Prepares the weights for `ops`, which must outlive the encoder.
  ConformerEncoder(const ConformerConfig& config, const ConformerWeights& w, Ops& ops,
                   int subsampling_block_rows = kSubsamplingBlockRows)
      : config_(config), ops_(ops), subsampling_block_rows_(subsampling_block_rows) {
    if (subsampling_block_rows < 1) throw std::invalid_argument("the subsampling's block needs at least one row");
    conv0_.emplace(ops_.conv2d_params(w.conv0));
    depthwise1_.emplace(ops_.conv2d_params(w.depthwise1));
    pointwise1_.emplace(ops_.conv2d_params(w.pointwise1));
    depthwise2_.emplace(ops_.conv2d_params(w.depthwise2));
    pointwise2_.emplace(ops_.conv2d_params(w.pointwise2));
    auto encoding = [&](const Linear& linear) { return ops_.linear_params(linear, MatrixUse::Encoding); };
    subsampling_out_.emplace(encoding(w.subsampling_out));
    const int head_dim = config.d_model / config.n_heads;
    for (const ConformerLayerWeights& l : w.layers) {
      layers_.push_back(Layer{ops_.norm_params(l.norm_ff1), ops_.norm_params(l.norm_att), ops_.norm_params(l.norm_conv),
                              ops_.norm_params(l.norm_ff2), ops_.norm_params(l.norm_out), encoding(l.ff1_in),
                              encoding(l.ff1_out), encoding(l.ff2_in), encoding(l.ff2_out), encoding(l.query),
                              encoding(l.key), encoding(l.value), encoding(l.out), encoding(l.pos),
                              ops_.from_host(DType::F32, l.pos_bias_u.data(), config.n_heads, head_dim),
                              ops_.from_host(DType::F32, l.pos_bias_v.data(), config.n_heads, head_dim),
                              encoding(l.pointwise1), encoding(l.pointwise2),
                              ops_.depthwise_params(l.depthwise_weight, l.depthwise_bias, config.conv_kernel)});
    }
  }

  // Encodes `frames` rows of n_mels features (time-major): the encoder's output, one row of d_model per 8 feature
  // frames (its row count is `encoded_frames`). `between_layers`, when set, is called before each layer (it may
  // throw to cancel).
  Tensor encode(const float* features, int frames, int& encoded_frames, const std::function<void()>& between_layers) {
    const ConformerConfig& c = config_;
    if (frames <= 0) throw std::invalid_argument("encode() needs at least one feature frame");
    Tensor x = subsample(features, frames);
    if (c.xscaling) x = ops_.scale(std::move(x), std::sqrt(static_cast<float>(c.d_model)));
    const int T = static_cast<int>(ops_.rows(x));
    const std::vector<float> positions = relative_positions(T, c.d_model);
    const Tensor pos = ops_.from_host(DType::F32, positions.data(), 2 * T - 1, c.d_model);
    for (const Layer& l : layers_) {
      if (between_layers) between_layers();
      x = ops_.add(std::move(x), ops_.scale(feed_forward(ops_.layer_norm(x, l.norm_ff1), l.ff1_in, l.ff1_out), 0.5f));
      {
        const Tensor n = ops_.layer_norm(x, l.norm_att);
        const Tensor q = ops_.linear(n, l.query), k = ops_.linear(n, l.key), v = ops_.linear(n, l.value);
        const Tensor p = ops_.linear(pos, l.pos);
        const Tensor attended = ops_.relative_attention(q, k, v, p, l.bias_u, l.bias_v, c.n_heads);
        x = ops_.add(std::move(x), ops_.linear(attended, l.out));
      }
      {
        Tensor n = ops_.glu(ops_.linear(ops_.layer_norm(x, l.norm_conv), l.pointwise1));
        n = ops_.unary(ops_.depthwise_conv1d(n, l.depthwise), Unary::Silu);
        x = ops_.add(std::move(x), ops_.linear(n, l.pointwise2));
      }
      x = ops_.add(std::move(x), ops_.scale(feed_forward(ops_.layer_norm(x, l.norm_ff2), l.ff2_in, l.ff2_out), 0.5f));
      x = ops_.layer_norm(x, l.norm_out);
    }
    encoded_frames = T;
    return x;
  }

 private:
  using LinearParams = typename Ops::LinearParams;
  using NormParams = typename Ops::NormParams;

  struct Layer {
    NormParams norm_ff1, norm_att, norm_conv, norm_ff2, norm_out;
    LinearParams ff1_in, ff1_out, ff2_in, ff2_out;
    LinearParams query, key, value, out, pos;
    Tensor bias_u, bias_v;
    LinearParams pointwise1, pointwise2;
    typename Ops::DepthwiseParams depthwise;
  };

  // The subsampling's output rows for `frames` feature frames: ceil(frames / 8).
  static int64_t subsampled_rows(int64_t frames) {
    for (int i = 0; i < 3; ++i) frames = (frames - 1) / 2 + 1;
    return frames;
  }

  // The subsampling (three stride-2 convolutions, 8 feature frames to a row) in blocks of at most
  // subsampling_block_rows_ output rows. Its first convolution's output is channels x frames/2 x n_mels/2 floats, 64
  // times the features' size (390 MB for a 120 s chunk of parakeet-tdt-0.6b's): computed whole, a long file's
  // chunks would peak far above a short file. Output row t reads feature frames 8t - 7 to 8t + 7, and each
  // convolution pads with zeros, so a block whose features start at frame 8s (s > 0) has its first row wrong (its
  // zeros stand where frames before 8s are) and the rest exact; a block ending at frame 8e holds rows up to e - 1
  // exact (each reads at most frame 8t + 7). So each block starts one row early and drops that row.
  Tensor subsample(const float* features, int frames) {
    const int64_t rows = subsampled_rows(frames);
    if (rows <= subsampling_block_rows_) return subsample_block(features, frames);
    const int64_t n_mels = config_.features.n_mels;
    Tensor out = ops_.zeros(rows, config_.d_model);
    for (int64_t first = 0; first < rows; first += subsampling_block_rows_) {
      const int64_t count = std::min<int64_t>(subsampling_block_rows_, rows - first);
      const int64_t from = std::max<int64_t>(first - 1, 0);  // the row computed and dropped, but at the start
      const int64_t frame = 8 * from, end = std::min<int64_t>(8 * (first + count), frames);
      const Tensor block = subsample_block(features + frame * n_mels, static_cast<int>(end - frame));
      ops_.write_rows(out, first, ops_.slice_rows(block, first - from, count));
      ops_.evaluate({&out});  // a lazy backend would otherwise hold every block's buffers until the end
    }
    return out;
  }

  Tensor subsample_block(const float* features, int frames) {
    int64_t h = frames, w = config_.features.n_mels;
    Tensor x = ops_.from_host(DType::F32, features, 1, h * w);
    x = ops_.unary(ops_.conv2d(x, h, w, *conv0_, 2, 1), Unary::Relu);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.conv2d(x, h, w, *depthwise1_, 2, 1);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.unary(ops_.conv2d(x, h, w, *pointwise1_, 1, 0), Unary::Relu);
    x = ops_.conv2d(x, h, w, *depthwise2_, 2, 1);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.unary(ops_.conv2d(x, h, w, *pointwise2_, 1, 0), Unary::Relu);
    return ops_.linear(ops_.planes_to_frames(x, h, w), *subsampling_out_);
  }

  Tensor feed_forward(const Tensor& x, const LinearParams& in, const LinearParams& out) {
    return ops_.linear(ops_.unary(ops_.linear(x, in), Unary::Silu), out);
  }

  ConformerConfig config_;
  Ops& ops_;
  int64_t subsampling_block_rows_;
  std::optional<typename Ops::Conv2dParams> conv0_, depthwise1_, pointwise1_, depthwise2_, pointwise2_;
  std::optional<LinearParams> subsampling_out_;
  std::vector<Layer> layers_;
};

}  // namespace verbatim
