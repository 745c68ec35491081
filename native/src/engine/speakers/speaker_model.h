// Speaker diarization with a Nemotron 3 Diarization model (native/DIARIZATION.md): who speaks when, as the
// probability of each of up to `speakers` speakers (numbered in order of arrival) every spectrogram frame (10 ms),
// and segments where a speaker's probability is above 0.5 (transformers' extract_speaker_dict). Offline, a whole
// recording in chunks of the config's chunk_length (transformers' forward without a cache); or a stream, fed as audio
// arrives and run in chunks of a streaming mode, in memory bounded however long it runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audio/nemo_features.h"
#include "engine.h"
#include "speakers/speaker_cache.h"
#include "speakers/speaker_network.h"
#include "speakers/speaker_weights.h"

namespace verbatim {

struct SpeakerSegment {
  int speaker = 0;
  double start = 0, end = 0;  // seconds
};

// Probabilities of `frames` frames of `speakers` speakers, row-major.
struct SpeakerActivity {
  double frame_seconds = 0.01;
  int speakers = 0;
  int64_t frames = 0;
  std::vector<float> probabilities;
};

// Turns frames of probabilities into segments as they come: a segment opens at the first frame above the threshold
// and closes at the first frame after it that is not (extract_speaker_dict's boundaries).
class SegmentTracker {
 public:
  SegmentTracker(int speakers, double frame_seconds, float threshold = 0.5f);
  void add(const float* probabilities, int64_t frames);
  // Closes the open segments and returns them all, by start then speaker.
  std::vector<SpeakerSegment> finish();

 private:
  int speakers_;
  double frame_seconds_;
  float threshold_;
  int64_t frame_ = 0;
  std::vector<int64_t> open_;  // per speaker: the frame its open segment started at, or -1
  std::vector<SpeakerSegment> done_;
};

class SpeakerModel : public std::enable_shared_from_this<SpeakerModel> {
 public:
  // Loads a model folder (load_speaker_weights) on the backend `options` choose, as every family's (choose_backend:
  // its backend, threads and MLX limits), its weights packed when options.quantize asks.
  static std::shared_ptr<SpeakerModel> load(const std::string& folder, const EngineOptions& options);

  const SpeakerConfig& config() const { return weights_->config; }
  std::string backend_name() const { return network_->backend_name(); }
  const char* device_name() const { return device_name_; }  // "gpu" or "cpu"
  double frame_seconds() const { return config().features.hop_length / 16000.0; }

  // The whole recording (16 kHz mono): activity of its samples / hop frames. `progress` gets the fraction done after
  // each chunk; `cancelled` is asked between layers and throws Cancelled when it says so.
  SpeakerActivity diarize(const float* samples, std::size_t n, const std::function<void(double)>& progress,
                          const std::function<bool()>& cancelled);

  // One step of a session: the logits of `chunk_frames` chunk frames of `embeds` (rows x hidden: chunk and look-ahead;
  // `valid_rows` of them not padding) after the cache's frames, the cache updated. Returns (chunk_frames *
  // subsampling) x speakers logits.
  std::vector<float> step(SpeakerCache& cache, const float* embeds, int rows, int chunk_frames, int valid_rows,
                          const std::function<void()>& between_layers);
  std::vector<float> embed(const float* features, int frames);

 private:
  SpeakerModel(std::shared_ptr<const SpeakerWeights> weights, std::unique_ptr<SpeakerNetwork> network,
               const char* device_name);

  std::shared_ptr<const SpeakerWeights> weights_;
  std::unique_ptr<SpeakerNetwork> network_;
  const char* device_name_;
  std::mutex mutex_;  // one step at a time: the backend's workers serve one product at a time
};

// A streaming session: push samples as they arrive, get each chunk's frames of probabilities once the audio of the
// chunk and its look-ahead is in (as Nemotron3DiarizationProcessor cuts a stream), and finish() for the rest and
// the segments. Holds the speaker cache, the samples not yet run and the open segments: bounded memory.
class SpeakerStream {
 public:
  SpeakerStream(std::shared_ptr<SpeakerModel> model, const std::string& mode);

  // New frames' probabilities (frames x speakers), possibly none.
  std::vector<float> push(const float* samples, std::size_t n);
  // The last chunk's frames (after which the stream takes nothing more).
  std::vector<float> finish();
  std::vector<SpeakerSegment> segments();  // after finish(): every segment of the session
  int64_t frames() const { return cursor_; }
  bool cache_compressed() const { return cache_.compressed(); }
  int cached_frames() const { return cache_.cached_frames(); }
  std::size_t held_samples() const { return samples_.size(); }
  int chunk_length() const { return chunking_.chunk_length; }
  int right_context() const { return chunking_.right_context; }

 private:
  std::vector<float> run_chunk(int64_t frame_count, bool last);
  double emphasised(int64_t i) const;

  std::shared_ptr<SpeakerModel> model_;
  SpeakerChunking chunking_;
  SpeakerCache cache_;
  LogMelFrames mel_;
  SegmentTracker segments_;
  std::vector<float> samples_;  // samples from sample_base_ on
  int64_t sample_base_ = 0, received_ = 0;
  int64_t cursor_ = 0;  // the first spectrogram frame not yet given
  bool finished_ = false;
  std::vector<SpeakerSegment> final_segments_;
};

}  // namespace verbatim
