// The seam between greedy transducer decoding (Parakeet's TDT: parakeet/tdt_decoding.h) and a loaded transducer:
// what decoding needs from it. A family's network (parakeet/parakeet_model.h) implements it once for every backend.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace verbatim {

class TransducerRunner {
 public:
  virtual ~TransducerRunner() = default;
  virtual std::string backend_name() const = 0;

  // Encodes `frames` rows of n_mels features (time-major); returns the encoder frames (80 ms each) and resets the
  // prediction network to its start (zero input, zero state). `between_layers`, when set, is called before each
  // encoder layer (it may throw to cancel).
  virtual int encode(const float* features, int frames, const std::function<void()>& between_layers = nullptr) = 0;
  // The last encode()'s output, frames x d_model row-major (for tests).
  virtual std::vector<float> encoder_output() const = 0;
  virtual int d_model() const = 0;

  // Frees the last encode()'s output and what the joint made of it; joint() needs an encode() again. Decoding calls it
  // once a window is decoded, so that window's buffers are not held through the next one's or after the job.
  virtual void forget_encoding() = 0;

  // Advances the prediction network by one emitted token.
  virtual void advance_prediction(int32_t token) = 0;
  // Keeps the prediction network's state in one of kPredictionSlots, and goes back to it: greedy decoding with
  // boosting goes back to where a term began (to decode it without the term), and to the term's end (to keep it).
  static constexpr int kPredictionSlots = 2;
  virtual void save_prediction(int slot) = 0;
  virtual void restore_prediction(int slot) = 0;
  // The joint's output at encoder frame `frame` for the current prediction: V token logits, the blank's, then one
  // logit per TDT duration (joint_width() floats).
  virtual void joint(int frame, float* logits) = 0;
  virtual int joint_width() const = 0;
};

}  // namespace verbatim
