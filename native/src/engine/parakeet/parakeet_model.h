// The Parakeet TDT network: the FastConformer encoder (conformer/conformer_encoder.h) and the transducer's LSTM
// prediction network and joint (transducer/transducer_decoder.h), whose joint also gives TDT's durations; written
// once against the tensor operations each backend provides (backends/tensor_ops.h).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conformer/conformer_encoder.h"
#include "parakeet/parakeet_weights.h"
#include "transducer/transducer_decoder.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

template <class Ops>
class ParakeetModel final : public TransducerRunner {
 public:
  ParakeetModel(std::shared_ptr<const ParakeetWeights> weights, Ops ops)
      : weights_(std::move(weights)),
        ops_(std::move(ops)),
        encoder_(weights_->config, *weights_, ops_),
        decoder_(weights_->config, *weights_, ops_) {}
  ParakeetModel(const ParakeetModel&) = delete;  // the encoder and the decoder hold this model's ops
  ParakeetModel& operator=(const ParakeetModel&) = delete;

  std::string backend_name() const override { return ops_.name(); }
  int d_model() const override { return config().d_model; }
  int joint_width() const override {
    return config().vocab_size + 1 + static_cast<int>(config().durations.size());
  }

  int encode(const float* features, int frames, const std::function<void()>& between_layers = nullptr) override {
    forget_encoding();  // not held through this encoding, whatever the caller did
    int T = 0;
    encoded_.emplace(encoder_.encode(features, frames, T, between_layers));
    const auto& projection = decoder_.project_encoder(*encoded_, T);
    frames_ = T;
    ops_.evaluate({&*encoded_, &projection});
    decoder_.reset_prediction();
    return T;
  }

  std::vector<float> encoder_output() const override {
    if (!encoded_) throw std::logic_error("encoder_output() needs an encode() first");
    std::vector<float> out(static_cast<std::size_t>(frames_) * config().d_model);
    ops_.to_host(*encoded_, out.data());
    return out;
  }

  void forget_encoding() override {
    encoded_.reset();
    decoder_.forget_encoder();
    frames_ = 0;
  }

  void advance_prediction(int32_t token) override { decoder_.advance_prediction(token); }
  void save_prediction(int slot) override { saved_.at(static_cast<std::size_t>(slot)) = decoder_.prediction(); }
  void restore_prediction(int slot) override {
    const auto& saved = saved_.at(static_cast<std::size_t>(slot));
    if (!saved) throw std::logic_error("restore_prediction() needs a save_prediction() to the slot first");
    decoder_.restore_prediction(*saved);
  }
  void joint(int frame, float* logits) override { decoder_.joint(frame, logits); }

 private:
  using Tensor = typename Ops::Tensor;

  const ParakeetConfig& config() const { return weights_->config; }

  std::shared_ptr<const ParakeetWeights> weights_;
  mutable Ops ops_;
  ConformerEncoder<Ops> encoder_;
  TransducerDecoder<Ops> decoder_;
  std::optional<Tensor> encoded_;
  std::array<std::optional<typename TransducerDecoder<Ops>::Prediction>, kPredictionSlots> saved_;
  int frames_ = 0;
};

}  // namespace verbatim
