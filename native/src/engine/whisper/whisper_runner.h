// The seam between decoding and a backend: what the decoding rules need from a loaded Whisper model.
// The model definition (whisper_model.h) implements it once for every backend.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "whisper/model_config.h"

namespace verbatim {

using HeadList = std::vector<std::pair<int, int>>;  // [decoder layer, head]

class WhisperRunner {
 public:
  virtual ~WhisperRunner() = default;

  virtual const WhisperDims& dims() const = 0;
  virtual std::string backend_name() const = 0;  // "cpu", "mlx-gpu", "mlx-cpu"

  // Encodes one window: mel is n_mels rows of 2*n_audio_ctx frames (row-major, bin-major as Whisper's
  // log_mel_spectrogram). Computes the encoder output and each decoder layer's cross-attention K/V once;
  // clears the decoder cache.
  virtual void encode(const float* mel) = 0;

  // The encoder output of the last encode(): n_audio_ctx x n_audio_state, row-major (for tests).
  virtual std::vector<float> encoder_output() const = 0;

  // Feeds `count` tokens after the `cached_tokens()` already in the self-attention cache (positions continue
  // from there) and writes the logits of the last fed token (n_vocab floats) to `logits`.
  // When `heads` is not empty, appends to `attention` the softmaxed cross-attention weights of those heads for
  // every fed token, laid out [token][head][n_audio_ctx frame].
  virtual void decode(const int32_t* tokens, int count, float* logits, const HeadList& heads,
                      std::vector<float>* attention) = 0;

  virtual int cached_tokens() const = 0;
  // Keeps the first n positions of the self-attention cache (n <= cached_tokens()) of beam 0, the only beam left.
  virtual void truncate_cache(int n) = 0;

  // Beams: sequences decoded together as one batch over the same window, each with its own self-attention cache,
  // all holding cached_tokens() positions. After encode() or truncate_cache() there is one beam; decode() needs
  // exactly one.
  // select_beams: beam i now continues what former beam sources[i] decoded (a source may be taken many times).
  virtual void select_beams(const std::vector<int>& sources) = 0;
  // Feeds tokens[i] to beam i, for every beam at once (the weights are read once for all of them), and writes
  // beam i's next-token logits to logits[i * n_vocab, (i + 1) * n_vocab).
  virtual void decode_beams(const int32_t* tokens, float* logits) = 0;
  virtual int beams() const = 0;
};

}  // namespace verbatim
