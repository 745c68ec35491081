// A transducer's decoder side (NeMo's RNNTDecoder and RNNTJoint): the LSTM prediction network over the tokens emitted
// so far, and the joint network over one encoder frame and the prediction, written once against the tensor operations
// each backend provides (backends/tensor_ops.h). Greedy decoding (TDT, RNN-T) drives it a decision at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backends/tensor_ops.h"
#include "transducer/transducer_weights.h"

namespace verbatim {

template <class Ops>
class TransducerDecoder {
 public:
  using Tensor = typename Ops::Tensor;

  // Prepares the weights for `ops`, which must outlive the decoder.
  TransducerDecoder(const TransducerConfig& config, const TransducerWeights& w, Ops& ops) : config_(config), ops_(ops) {
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

  // The joint's encoder side for every one of the `frames` rows of `encoded`, for joint() to read; a lazy backend
  // computes it when the caller evaluates the returned tensor.
  const Tensor& project_encoder(const Tensor& encoded, int frames) {
    encoder_projection_.emplace(ops_.linear(encoded, *joint_enc_));
    frames_ = frames;
    return *encoder_projection_;
  }

  // project_encoder() with `kept` before the new rows: `kept_frames` rows of encoder_rows() from an earlier window, which
  // a decoder going back over frames it decided then reads again (frame 0 is kept's first). `encoded` may have no
  // rows (`frames` 0): the kept rows alone.
  void project_encoder(const Tensor* encoded, int frames, const Tensor& kept, int kept_frames) {
    Tensor joined = ops_.zeros(kept_frames + frames, config_.joint_hidden);
    ops_.write_rows(joined, 0, kept);
    if (frames > 0) ops_.write_rows(joined, kept_frames, ops_.linear(*encoded, *joint_enc_));
    encoder_projection_.emplace(std::move(joined));
    frames_ = kept_frames + frames;
  }

  // The joint's encoder side of frames [first, first + count) of the last project_encoder(), for a later one to keep.
  Tensor encoder_rows(int first, int count) const {
    if (!encoder_projection_ || first < 0 || count < 0 || first + count > frames_) {
      throw std::out_of_range("encoder_rows(): frames " + std::to_string(first) + " + " + std::to_string(count) +
                              " are not encoded frames");
    }
    return ops_.slice_rows(*encoder_projection_, first, count);
  }

  // Frees project_encoder()'s rows; joint() needs a project_encoder() again.
  void forget_encoder() {
    encoder_projection_.reset();
    frames_ = 0;
  }

  // The prediction network from zero state and a zero input (NeMo's blank-as-pad start), or the blank's embedding
  // (config.start_from_blank_embedding).
  void reset_prediction() {
    const int H = config_.pred_hidden;
    hidden_.clear();
    cells_.clear();
    for (std::size_t l = 0; l < lstm_.size(); ++l) {
      hidden_.push_back(ops_.zeros(1, H));
      cells_.push_back(ops_.zeros(1, H));
    }
    if (config_.start_from_blank_embedding) {
      const int32_t blank = config_.vocab_size;
      predict(ops_.embed(*embedding_, &blank, 1));
    } else {
      predict(ops_.zeros(1, H));
    }
  }

  // The prediction network's state, for a caller that decodes several streams on one decoder in turn.
  struct PredictionState {
    std::vector<Tensor> hidden, cells;
    std::optional<Tensor> prediction;
  };
  PredictionState prediction_state() const { return {hidden_, cells_, prediction_}; }
  void set_prediction_state(PredictionState state) {
    hidden_ = std::move(state.hidden);
    cells_ = std::move(state.cells);
    prediction_ = std::move(state.prediction);
  }

  // The prediction network's state, to go back to (greedy decoding takes back a boosted term that did not finish).
  struct Prediction {
    std::vector<Tensor> hidden, cells;
    std::optional<Tensor> output;
  };
  Prediction prediction() const { return {hidden_, cells_, prediction_}; }
  void restore_prediction(Prediction state) {
    hidden_ = std::move(state.hidden);
    cells_ = std::move(state.cells);
    prediction_ = std::move(state.output);
  }

  // Advances the prediction network by one emitted token.
  void advance_prediction(int32_t token) {
    if (token < 0 || token >= config_.vocab_size) {
      throw std::out_of_range("token " + std::to_string(token) + " is outside the vocabulary");
    }
    predict(ops_.embed(*embedding_, &token, 1));
  }

  // The joint's output at encoder frame `frame` for the current prediction, written to `logits`.
  void joint(int frame, float* logits) {
    if (!encoder_projection_ || frame < 0 || frame >= frames_) {
      throw std::out_of_range("joint(): frame " + std::to_string(frame) + " is not an encoded frame");
    }
    Tensor z = ops_.add(ops_.slice_rows(*encoder_projection_, frame, 1), *prediction_);
    switch (config_.joint_activation) {
      case TransducerConfig::Activation::Relu: z = ops_.unary(std::move(z), Unary::Relu); break;
      case TransducerConfig::Activation::Sigmoid: z = ops_.unary(std::move(z), Unary::Sigmoid); break;
      case TransducerConfig::Activation::Tanh: z = ops_.unary(std::move(z), Unary::Tanh); break;
    }
    ops_.to_host(ops_.linear(z, *joint_out_), logits);
  }

 private:
  using LinearParams = typename Ops::LinearParams;

  struct LstmLayer {
    LinearParams wx, wh;  // wx carries the one bias
  };

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

  TransducerConfig config_;
  Ops& ops_;
  std::optional<typename Ops::EmbeddingParams> embedding_;
  std::vector<LstmLayer> lstm_;
  std::optional<LinearParams> joint_pred_, joint_enc_, joint_out_;
  std::optional<Tensor> encoder_projection_, prediction_;
  std::vector<Tensor> hidden_, cells_;
  int frames_ = 0;
};

}  // namespace verbatim
