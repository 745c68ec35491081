// The speaker model's network (transformers' Nemotron3DiarizationModel and its classifier): 8x feature stacking,
// the RoPE transformer encoder (pre-norm layers: self-attention without biases but the output's, a GELU MLP),
// the projection to the head's width, the sub-pixel upsampler back to the spectrogram's frame rate and the
// classifier (relu, dense, relu, out_proj) giving one logit per speaker and frame. Written once against the tensor
// operations each backend provides (backends/tensor_ops.h); RoPE is applied on the host.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/mlx/mlx_backend.h"
#include "backends/tensor_ops.h"
#include "speakers/speaker_weights.h"

namespace verbatim {

class SpeakerNetwork {
 public:
  virtual ~SpeakerNetwork() = default;
  virtual std::string backend_name() const = 0;
  // Stacks `frames` feature rows (mels each; the last group zero-padded to the subsampling factor) and projects them:
  // ceil(frames / subsampling) rows of hidden values.
  virtual std::vector<float> embed(const float* features, int frames) = 0;
  // Logits ((rows * subsampling) x speakers) of an encoder input of `rows` frames (positions 0 to rows - 1) whose
  // first `keys` are attended to (the rest are padding). `between_layers` may throw to cancel.
  virtual std::vector<float> logits(const std::vector<float>& input, int rows, int keys,
                                    const std::function<void()>& between_layers) = 0;
};

// Rotates each head's halves of q and k by position (transformers' rotate_half form, cos/sin of float frequencies
// 1 / theta^(2i / head_dim)): rows x (heads * head_dim) values, row r at position r.
void apply_rope(std::vector<float>& x, int rows, int heads, int head_dim, double theta);

template <class Ops>
class SpeakerNetworkOn final : public SpeakerNetwork {
 public:
  // (every backend's parameters are made here, in the initializer list: MLX's have no empty state)
  SpeakerNetworkOn(std::shared_ptr<const SpeakerWeights> weights, Ops ops)
      : w_(std::move(weights)),
        ops_(std::move(ops)),
        stacking_(ops_.linear_params(w_->stacking, MatrixUse::Encoding)),
        projection_(ops_.linear_params(w_->projection, MatrixUse::Encoding)),
        dense_(ops_.linear_params(w_->dense, MatrixUse::Encoding)),
        classifier_(ops_.linear_params(w_->classifier, MatrixUse::Encoding)),
        input_norm_(ops_.norm_params(w_->input_norm)),
        final_norm_(ops_.norm_params(w_->final_norm)),
        upsampler_(ops_.conv_params(w_->upsampler)) {
    for (const SpeakerLayerWeights& l : w_->layers) {
      layers_.push_back({ops_.norm_params(l.norm1), ops_.norm_params(l.norm2),
                         ops_.linear_params(l.query, MatrixUse::Encoding), ops_.linear_params(l.key, MatrixUse::Encoding),
                         ops_.linear_params(l.value, MatrixUse::Encoding), ops_.linear_params(l.out, MatrixUse::Encoding),
                         ops_.linear_params(l.fc1, MatrixUse::Encoding), ops_.linear_params(l.fc2, MatrixUse::Encoding)});
    }
  }

  std::string backend_name() const override { return ops_.name(); }

  std::vector<float> embed(const float* features, int frames) override {
    const SpeakerConfig& c = w_->config;
    const int rows = (frames + c.subsampling - 1) / c.subsampling;
    // a row of the stacked matrix is `subsampling` consecutive feature rows: the features as they lie, zero-padded
    std::vector<float> stacked(static_cast<std::size_t>(rows) * c.subsampling * c.mels, 0.0f);
    std::copy(features, features + static_cast<std::size_t>(frames) * c.mels, stacked.begin());
    const auto x = ops_.linear(ops_.from_host(DType::F32, stacked.data(), rows, static_cast<int64_t>(c.subsampling) * c.mels),
                               stacking_);
    std::vector<float> out(static_cast<std::size_t>(rows) * c.hidden);
    ops_.to_host(x, out.data());
    return out;
  }

  std::vector<float> logits(const std::vector<float>& input, int rows, int keys,
                            const std::function<void()>& between_layers) override {
    const SpeakerConfig& c = w_->config;
    const int head_dim = c.hidden / c.heads;
    auto x = ops_.layer_norm(ops_.from_host(DType::F32, input.data(), rows, c.hidden), input_norm_);
    std::vector<float> host(static_cast<std::size_t>(rows) * c.hidden);
    for (const Layer& l : layers_) {
      if (between_layers) between_layers();
      const auto h = ops_.layer_norm(x, l.norm1);
      const auto q = rotated(ops_.linear(h, l.query), rows, head_dim, host);
      const auto k = rotated(ops_.linear(h, l.key), rows, head_dim, host);
      const auto v = ops_.linear(h, l.value);
      x = ops_.add(std::move(x), ops_.linear(ops_.attention(q, k, v, c.heads, keys, false, nullptr), l.out));
      x = ops_.add(std::move(x), ops_.linear(ops_.gelu(ops_.linear(ops_.layer_norm(x, l.norm2), l.fc1)), l.fc2));
    }
    const auto projected = ops_.linear(ops_.layer_norm(x, final_norm_), projection_);
    // (rows, subsampling * head_hidden) is, row-major, the (rows * subsampling, head_hidden) upsampled frames
    const auto up = ops_.conv1d(projected, upsampler_, 1);
    std::vector<float> frames(static_cast<std::size_t>(rows) * c.subsampling * c.head_hidden);
    ops_.to_host(up, frames.data());
    auto y = ops_.from_host(DType::F32, frames.data(), static_cast<int64_t>(rows) * c.subsampling, c.head_hidden);
    y = ops_.linear(ops_.unary(ops_.linear(ops_.unary(std::move(y), Unary::Relu), dense_), Unary::Relu), classifier_);
    std::vector<float> out(static_cast<std::size_t>(rows) * c.subsampling * c.cache.speakers);
    ops_.to_host(y, out.data());
    return out;
  }

 private:
  using Tensor = typename Ops::Tensor;
  struct Layer {
    typename Ops::NormParams norm1, norm2;
    typename Ops::LinearParams query, key, value, out, fc1, fc2;
  };

  Tensor rotated(const Tensor& t, int rows, int head_dim, std::vector<float>& host) {
    ops_.to_host(t, host.data());
    apply_rope(host, rows, w_->config.heads, head_dim, w_->config.rope_theta);
    return ops_.from_host(DType::F32, host.data(), rows, w_->config.hidden);
  }

  std::shared_ptr<const SpeakerWeights> w_;
  Ops ops_;
  typename Ops::LinearParams stacking_, projection_, dense_, classifier_;
  typename Ops::NormParams input_norm_, final_norm_;
  typename Ops::ConvParams upsampler_;
  std::vector<Layer> layers_;
};

// The network on the portable CPU backend (speaker_cpu.cpp), with `threads` as make_cpu_ops takes them.
std::unique_ptr<SpeakerNetwork> make_speaker_cpu_network(std::shared_ptr<const SpeakerWeights> weights, int threads);

// On MLX (speaker_mlx.cpp, defined only when MLX is built: VERBATIM_HAS_MLX): fp32 activations, weights as held.
std::unique_ptr<SpeakerNetwork> make_speaker_mlx_network(std::shared_ptr<const SpeakerWeights> weights,
                                                         MlxDevice device);

}  // namespace verbatim
