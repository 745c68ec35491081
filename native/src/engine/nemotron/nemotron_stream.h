// A stream of 16 kHz audio through a Nemotron model: log-mel frames as their samples arrive, cut into the chunks the
// chosen right context needs, each encoded and decoded as soon as it is complete (nemotron_model.h). Memory stays
// the same however long the stream runs: the samples of frames not yet computed, the frames of one chunk, and the
// network's caches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "audio/nemo_features.h"
#include "nemotron/nemotron_model.h"

namespace verbatim {

// How a stream's last chunk is encoded. Offline: short, each causal convolution padded with one zero row after it
// (transformers' whole-audio pass, whose generate() the tokens then equal). PaddedChunk: filled with zero feature
// frames to a whole chunk (transformers' streaming generate(), which takes whole chunks only).
enum class StreamEnd { Offline, PaddedChunk };

class NemotronStream {
 public:
  // `lookahead`: the right context R (encoder frames): chunks of 1 + 8R, then 8(R + 1) feature frames, each R + 1
  // encoder frames (80 ms each) decoded (R + 1) * 80 ms after their first sample arrives. The runner must outlive
  // the stream. `prompt`: Nemotron 3.5's language slot (default: the config's default_prompt). Throws
  // std::invalid_argument for a negative lookahead or a prompt outside the model's slots. `boost` and `mask`: as
  // NemotronRunner::new_stream takes them, for the whole stream.
  NemotronStream(NemotronRunner& runner, const NemotronConfig& config, int lookahead, int prompt = -1,
                 const PhraseBoost& boost = {}, TokenMask mask = {});

  // Takes `n` more samples and decodes every chunk they complete: their settled tokens, in order (a boosted term still
  // open is held back until it is whole or taken back: NemotronRunner::decode_chunk). `cancelled` is polled between
  // layers (throws Cancelled).
  std::vector<DecodedToken> push(const float* samples, std::size_t n, const std::function<bool()>& cancelled = nullptr);
  // The audio ends: decodes what is left, as `end` says. The stream takes nothing more.
  std::vector<DecodedToken> finish(StreamEnd end, const std::function<bool()>& cancelled = nullptr);

  int lookahead() const { return lookahead_; }
  int64_t samples() const { return received_; }
  // Samples one chunk adds (after the first): what a caller waits for between pushes.
  std::size_t chunk_samples() const;
  // Called with each chunk's encoder output (frames x d_model) as it is decoded (tests).
  std::function<void(const std::vector<float>& rows)> on_encoded;

 private:
  void compute_frames(int64_t until);
  std::vector<DecodedToken> decode_ready(bool last, const std::function<bool()>& cancelled);
  std::vector<DecodedToken> decode(int frames, bool last, const std::function<bool()>& cancelled);

  NemotronRunner& runner_;
  const NemotronConfig& config_;
  int lookahead_;
  std::unique_ptr<NemotronRunner::StreamState> state_;
  LogMelFrames mel_;
  std::vector<float> audio_;  // samples from audio_start_ on
  int64_t audio_start_ = 0;
  int64_t received_ = 0;
  int64_t end_ = -1;           // the stream's length once finished
  int64_t next_frame_ = 0;     // the next feature frame to compute
  std::vector<float> pending_;  // computed frames not yet encoded (at most one chunk's)
  bool first_chunk_ = true;
  bool finished_ = false;
  std::vector<double> row_;
};

}  // namespace verbatim
