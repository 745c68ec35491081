// The Parakeet TDT network (FastConformer encoder, LSTM prediction network, TDT joint), written once against the
// tensor operations each backend provides: those WhisperModel uses (whisper_model.h: from_host, to_host, rows,
// zeros, transpose, slice_rows, linear, layer_norm, add) plus
//   using Conv2dParams, DepthwiseParams;
//   Conv2dParams conv2d_params(const Conv2dWeights&);
//   DepthwiseParams depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias, int kernel);
//   Tensor unary(Tensor x, Unary f);                   elementwise relu, silu, sigmoid or tanh
//   Tensor scale(Tensor x, float s);                   x * s
//   Tensor glu(const Tensor& x);                       first half of the columns times sigmoid(second half)
//   Tensor depthwise_conv1d(const Tensor& x, const DepthwiseParams&);   x is time x channels, padding kernel/2
//   Tensor conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams&, int stride, int padding);
//       x holds planes: channel rows of height*width values (row-major planes); groups = in channels / the
//       weights' in_per_group. Returns out-channel rows of height'*width' with L' = (L + 2p - k) / stride + 1.
//   Tensor planes_to_frames(const Tensor& x, int64_t height, int64_t width);
//       (C, height*width) planes to height rows of C*width values (channel-major within a row)
//   Tensor relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos,
//                             const Tensor& bias_u, const Tensor& bias_v, int heads);
//       Transformer-XL attention: pos holds 2T-1 rows for relative positions T-1 down to -(T-1); scores
//       ((q+u)·k_j + (q+v)·pos[T-1-i+j]) / sqrt(head_dim), softmax over keys, times v; bias_u/v are heads x head_dim
//   std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c);   gates i, f, g, o -> (h', c')
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "parakeet/parakeet_weights.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

enum class Unary { Relu, Silu, Sigmoid, Tanh };

// Relative positional encodings for T frames: 2T-1 rows (relative positions T-1 down to -(T-1)) of d values,
// interleaved sin/cos of r * 10000^(-2k/d), the frequencies and products in fp32 as transformers computes them.
std::vector<float> relative_positions(int frames, int d_model);

template <class Ops>
class ParakeetModel final : public TransducerRunner {
 public:
  ParakeetModel(std::shared_ptr<const ParakeetWeights> weights, Ops ops)
      : weights_(std::move(weights)), ops_(std::move(ops)) {
    const ParakeetWeights& w = *weights_;
    const ParakeetConfig& c = w.config;
    conv0_.emplace(ops_.conv2d_params(w.conv0));
    depthwise1_.emplace(ops_.conv2d_params(w.depthwise1));
    pointwise1_.emplace(ops_.conv2d_params(w.pointwise1));
    depthwise2_.emplace(ops_.conv2d_params(w.depthwise2));
    pointwise2_.emplace(ops_.conv2d_params(w.pointwise2));
    auto encoding = [&](const Linear& linear) { return ops_.linear_params(linear, MatrixUse::Encoding); };
    subsampling_out_.emplace(encoding(w.subsampling_out));
    const int head_dim = c.d_model / c.n_heads;
    for (const ParakeetLayerWeights& l : w.layers) {
      layers_.push_back(Layer{ops_.norm_params(l.norm_ff1), ops_.norm_params(l.norm_att), ops_.norm_params(l.norm_conv),
                              ops_.norm_params(l.norm_ff2), ops_.norm_params(l.norm_out), encoding(l.ff1_in),
                              encoding(l.ff1_out), encoding(l.ff2_in), encoding(l.ff2_out), encoding(l.query),
                              encoding(l.key), encoding(l.value), encoding(l.out), encoding(l.pos),
                              ops_.from_host(DType::F32, l.pos_bias_u.data(), c.n_heads, head_dim),
                              ops_.from_host(DType::F32, l.pos_bias_v.data(), c.n_heads, head_dim),
                              encoding(l.pointwise1), encoding(l.pointwise2),
                              ops_.depthwise_params(l.depthwise_weight, l.depthwise_bias, c.conv_kernel)});
    }
    embedding_.emplace(ops_.embedding_params(w.embedding));
    for (const LstmLayerWeights& l : w.lstm) {
      Linear wx{l.wx, Vector{DType::F32, static_cast<int64_t>(l.bias.size()), l.bias.data()}};
      Linear wh{l.wh, std::nullopt};
      lstm_.push_back(LstmLayer{ops_.linear_params(wx, MatrixUse::Decoding),
                                ops_.linear_params(wh, MatrixUse::Decoding)});
    }
    joint_pred_.emplace(ops_.linear_params(w.joint_pred, MatrixUse::Decoding));
    joint_enc_.emplace(ops_.linear_params(w.joint_enc, MatrixUse::Encoding));  // every frame at once, per window
    joint_out_.emplace(ops_.linear_params(w.joint_out, MatrixUse::Decoding));
  }

  std::string backend_name() const override { return ops_.name(); }
  int d_model() const override { return config().d_model; }
  int joint_width() const override {
    return config().vocab_size + 1 + static_cast<int>(config().durations.size());
  }

  int encode(const float* features, int frames, const std::function<void()>& between_layers = nullptr) override {
    const ParakeetConfig& c = config();
    if (frames <= 0) throw std::invalid_argument("encode() needs at least one feature frame");
    int64_t h = frames, w = c.features.n_mels;
    Tensor x = ops_.from_host(DType::F32, features, 1, h * w);
    x = ops_.unary(ops_.conv2d(x, h, w, *conv0_, 2, 1), Unary::Relu);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.conv2d(x, h, w, *depthwise1_, 2, 1);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.unary(ops_.conv2d(x, h, w, *pointwise1_, 1, 0), Unary::Relu);
    x = ops_.conv2d(x, h, w, *depthwise2_, 2, 1);
    h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    x = ops_.unary(ops_.conv2d(x, h, w, *pointwise2_, 1, 0), Unary::Relu);
    x = ops_.linear(ops_.planes_to_frames(x, h, w), *subsampling_out_);
    if (c.xscaling) x = ops_.scale(std::move(x), std::sqrt(static_cast<float>(c.d_model)));
    const int T = static_cast<int>(h);
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
    encoded_.emplace(std::move(x));
    encoder_projection_.emplace(ops_.linear(*encoded_, *joint_enc_));
    frames_ = T;
    ops_.evaluate({&*encoded_, &*encoder_projection_});
    reset_prediction();
    return T;
  }

  std::vector<float> encoder_output() const override {
    if (!encoded_) throw std::logic_error("encoder_output() needs an encode() first");
    std::vector<float> out(static_cast<std::size_t>(frames_) * config().d_model);
    ops_.to_host(*encoded_, out.data());
    return out;
  }

  void advance_prediction(int32_t token) override {
    if (token < 0 || token >= config().vocab_size) {
      throw std::out_of_range("token " + std::to_string(token) + " is outside the vocabulary");
    }
    predict(ops_.embed(*embedding_, &token, 1));
  }

  void joint(int frame, float* logits) override {
    if (!encoder_projection_ || frame < 0 || frame >= frames_) {
      throw std::out_of_range("joint(): frame " + std::to_string(frame) + " is not an encoded frame");
    }
    Tensor z = ops_.add(ops_.slice_rows(*encoder_projection_, frame, 1), *prediction_);
    switch (config().joint_activation) {
      case ParakeetConfig::Activation::Relu: z = ops_.unary(std::move(z), Unary::Relu); break;
      case ParakeetConfig::Activation::Sigmoid: z = ops_.unary(std::move(z), Unary::Sigmoid); break;
      case ParakeetConfig::Activation::Tanh: z = ops_.unary(std::move(z), Unary::Tanh); break;
    }
    ops_.to_host(ops_.linear(z, *joint_out_), logits);
  }

 private:
  using Tensor = typename Ops::Tensor;
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
  struct LstmLayer {
    LinearParams wx, wh;  // wx carries the one bias
  };

  const ParakeetConfig& config() const { return weights_->config; }

  Tensor feed_forward(const Tensor& x, const LinearParams& in, const LinearParams& out) {
    return ops_.linear(ops_.unary(ops_.linear(x, in), Unary::Silu), out);
  }

  // The prediction network from zero state and a zero input (NeMo's blank-as-pad start).
  void reset_prediction() {
    const int H = config().pred_hidden;
    hidden_.clear();
    cells_.clear();
    for (std::size_t l = 0; l < lstm_.size(); ++l) {
      hidden_.push_back(ops_.zeros(1, H));
      cells_.push_back(ops_.zeros(1, H));
    }
    predict(ops_.zeros(1, H));
  }

  void predict(Tensor input) {
    for (std::size_t l = 0; l < lstm_.size(); ++l) {
      const Tensor gates = ops_.add(ops_.linear(input, lstm_[l].wx), ops_.linear(hidden_[l], lstm_[l].wh));
      auto [h, cell] = ops_.lstm_cell(gates, cells_[l]);
      hidden_[l] = h;
      cells_[l] = std::move(cell);
      input = std::move(h);
    }
    prediction_.emplace(ops_.linear(input, *joint_pred_));
  }

  std::shared_ptr<const ParakeetWeights> weights_;
  mutable Ops ops_;
  std::optional<typename Ops::Conv2dParams> conv0_, depthwise1_, pointwise1_, depthwise2_, pointwise2_;
  std::optional<LinearParams> subsampling_out_;
  std::vector<Layer> layers_;
  std::optional<typename Ops::EmbeddingParams> embedding_;
  std::vector<LstmLayer> lstm_;
  std::optional<LinearParams> joint_pred_, joint_enc_, joint_out_;

  std::optional<Tensor> encoded_, encoder_projection_, prediction_;
  std::vector<Tensor> hidden_, cells_;
  int frames_ = 0;
};

}  // namespace verbatim
