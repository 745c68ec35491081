// Whisper's live recognition (streaming.h is the seam). Each update re-encodes the utterance's last <= 30 s and
// lets a policy (AlignAtt by default) commit the tokens that are safe to show; when an utterance ends, a batch pass
// over all of its audio (transcribe, with timestamps and temperature fallback) gives its final text, as accurate as
// transcribing the recording afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "streaming/streaming.h"
#include "whisper/streaming_policy.h"
#include "whisper/transcribe.h"

namespace verbatim {

// A Whisper live session's options (whisper_options.h reads them from the caller's).
struct WhisperStreamingOptions {
  std::optional<StreamingPolicyKind> policy;  // absent: AlignAtt
  PolicyParameters parameters;
  double min_chunk_seconds = 1.0;  // no update before this much new audio (unless the utterance ends)
  // Most tokens of earlier text (moved out of the 30 s window) kept as context; 0: as many as fit.
  int max_context_tokens = 0;
  // The final pass's options. The live decode shares their language, task, suppressed tokens, initial prompt (a
  // static prompt, never trimmed) and token bytes.
  WhisperTranscribeOptions transcribe;
};

// Throws std::invalid_argument naming the first bad value.
void validate_streaming_options(const WhisperStreamingOptions& options, const WhisperDims& dims);

// Lends the model runner to `work` while holding the model's lock (one job at a time on a model).
using RunnerAccess = std::function<void(const std::function<void(WhisperRunner&)>& work)>;

class WhisperStreamingRecognizer final : public StreamingRecognizer {
 public:
  // `with_runner` lends the model's runner for one update or final pass at a time.
  WhisperStreamingRecognizer(const WhisperDims& dims, WhisperStreamingOptions options, RunnerAccess with_runner);

  std::size_t min_update_samples() const override;
  void add_audio(const float* samples, std::size_t n) override;
  std::size_t utterance_samples() const override { return audio_.size(); }
  StreamingUpdate update(bool is_last, const std::function<bool()>& cancelled) override;
  // The next audio starts a new utterance with a fresh context.
  Utterance end_utterance(const std::function<bool()>& cancelled) override;

 private:
  StreamingUpdate update(WhisperRunner& runner, bool is_last, const std::function<bool()>& cancelled);
  Utterance end_utterance(WhisperRunner& runner, const std::function<bool()>& cancelled);

  // Audio that arrived for one update, and the tokens that update committed.
  struct Chunk {
    std::size_t samples = 0;
    std::vector<int32_t> committed;
  };

  void roll_over(std::size_t window_samples_limit);
  void trim_context(std::size_t fixed_tokens);
  std::vector<float> window_mel(int& content_frames) const;
  std::vector<int32_t> prompt(WhisperRunner& runner);

  WhisperDims dims_;
  RunnerAccess with_runner_;
  WhisperStreamingOptions options_;
  SpecialTokens special_;
  std::unique_ptr<StreamingPolicy> policy_;
  std::vector<int32_t> suppressed_;

  int utterance_index_ = 0;
  double utterance_start_ = 0;     // seconds
  std::size_t session_samples_ = 0;
  std::vector<float> audio_;       // the utterance so far
  std::size_t window_start_ = 0;   // first sample of the live window in audio_
  std::size_t unassigned_ = 0;     // samples that arrived since the last update
  std::deque<Chunk> chunks_;       // cover audio_[window_start_, end - unassigned_)
  std::vector<int32_t> context_;   // committed tokens whose audio left the window
  std::vector<int32_t> live_tokens_;
  int32_t language_ = -1;
};

}  // namespace verbatim
