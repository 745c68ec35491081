// The streaming state of the speaker model: the Arrival-Order Speaker Cache and the FIFO of the most recent encoder
// frames every chunk attends to, as transformers' Nemotron3DiarizationSpeakerCache keeps and updates them (frame
// scores, strong and weak boosts, compression to speaker_cache_length frames grouped by speaker with learned
// silence slots). Embeddings are the encoder's input frames (after feature stacking), on the host. Its size is
// bounded by speaker_cache_length + fifo_length frames however long the audio.
#pragma once

#include <vector>

#include "speakers/speaker_weights.h"

namespace verbatim {

class SpeakerCache {
 public:
  SpeakerCache(const SpeakerCachePolicy& policy, int fifo_length, int update_period, int hidden);

  // Frames the next chunk's input starts with: the cache's, then the FIFO's.
  int cached_frames() const { return cache_frames_ + fifo_frames_; }
  // The cached frames (cached_frames() x hidden), then `chunk_rows` rows of `chunk`: the encoder's input of a step.
  std::vector<float> input(const float* chunk, int chunk_rows) const;

  // After a step over `input` (input_rows x hidden, as input() made it) that gave `logits` (input_rows * subsampling
  // x speakers): pushes the first `chunk_frames` chunk frames after the cached ones to the FIFO, moving its oldest
  // frames to the cache when it overflows and compressing the cache when that overflows. Rows from `valid_rows` on
  // are padding: their probabilities count as 0. `silence` is the learned silence embedding (hidden values).
  void update(const std::vector<float>& input, int input_rows, const std::vector<float>& logits, int chunk_frames,
              int valid_rows, const std::vector<float>& silence);

  // Exposed for tests: the compression of `frames` cached frames (embeddings and probabilities, frames x speakers)
  // to cache_length, as Nemotron3DiarizationSpeakerCache._compress.
  void compress(std::vector<float>& embeds, std::vector<float>& probs, int frames,
                const std::vector<float>& silence) const;
  // Frame scores (frames x speakers) of probabilities, as _get_frame_scores (-infinity: not to be kept).
  std::vector<float> frame_scores(const std::vector<float>& probs, int frames) const;

  bool compressed() const { return compressed_; }
  int cache_frames() const { return cache_frames_; }
  int fifo_frames() const { return fifo_frames_; }

 private:
  void boost(std::vector<float>& scores, int frames, int count, float amount) const;

  SpeakerCachePolicy policy_;
  int fifo_length_, update_period_, hidden_;
  int min_positive_scores_, strong_boosted_, weak_boosted_;
  std::vector<float> cache_embeds_, cache_probs_, fifo_;
  int cache_frames_ = 0, fifo_frames_ = 0;
  bool compressed_ = false;
};

}  // namespace verbatim
