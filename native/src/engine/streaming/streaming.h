// Live recognition of a growing stream of 16 kHz audio, split by the caller into utterances. Each update
// re-encodes the utterance's last <= 30 s and lets a policy (AlignAtt by default) commit the tokens that are
// safe to show; when an utterance ends, a batch pass over all of its audio (transcribe, with timestamps and
// temperature fallback) gives its final text, as accurate as transcribing the recording afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "streaming/audio_inbox.h"
#include "streaming/streaming_policy.h"
#include "decoding/transcribe.h"

namespace verbatim {

struct StreamingOptions {
  StreamingPolicyKind policy = StreamingPolicyKind::AlignAtt;
  PolicyParameters parameters;
  double min_chunk_seconds = 1.0;  // no update before this much new audio (unless the utterance ends)
  // Most tokens of earlier text (moved out of the 30 s window) kept as context; 0: as many as fit.
  int max_context_tokens = 0;
  // The final pass's options. The live decode shares their language, task, suppressed tokens, initial prompt
  // (a static prompt, never trimmed) and token bytes.
  TranscribeOptions transcribe;
};

// Throws std::invalid_argument naming the first bad value.
void validate_streaming_options(const StreamingOptions& options, const ModelDims& dims);

struct StreamingUpdate {
  int utterance = 0;
  std::vector<int32_t> committed;  // new tokens shown for good (until the utterance's final text replaces them)
  std::vector<int32_t> tentative;  // the current guess after all committed tokens, replaced by the next update
  double audio_seconds = 0;        // of the session received when this update ran
};

struct Utterance {
  int index = 0;
  double start = 0;  // seconds from the session start
  double end = 0;
  Transcript transcript;             // the final pass; times from the session start
  std::vector<int32_t> live_tokens;  // everything the live updates committed
};

struct StreamingTranscript {
  std::vector<Utterance> utterances;
};

class StreamingRecognizer {
 public:
  StreamingRecognizer(const ModelDims& dims, StreamingOptions options);

  void add_audio(const float* samples, std::size_t n);
  std::size_t utterance_samples() const { return audio_.size(); }

  // One live update over the current utterance (is_last: it ends after this audio).
  StreamingUpdate update(ModelRunner& runner, bool is_last, const std::function<bool()>& cancelled);

  // The final pass over the current utterance; the next audio starts a new utterance with a fresh context.
  Utterance end_utterance(ModelRunner& runner, const std::function<bool()>& cancelled);

 private:
  // Audio that arrived for one update, and the tokens that update committed.
  struct Chunk {
    std::size_t samples = 0;
    std::vector<int32_t> committed;
  };

  void roll_over(std::size_t window_samples_limit);
  void trim_context(std::size_t fixed_tokens);
  std::vector<float> window_mel(int& content_frames) const;
  std::vector<int32_t> prompt(ModelRunner& runner);

  ModelDims dims_;
  StreamingOptions options_;
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

// Lends the model runner to `work` while holding the model's lock (one job at a time on a model).
using RunnerAccess = std::function<void(const std::function<void(ModelRunner&)>& work)>;

struct StreamingEvents {
  std::function<void(const StreamingUpdate&)> on_update;
  std::function<void(const Utterance&)> on_utterance;
  std::function<bool()> cancelled;  // also polled inside updates; throws Cancelled
};

// Runs a session until the inbox is finished: an update whenever audio waits, a final pass at each utterance
// end. The runner is borrowed per update, so other jobs on the model can run in between. Throws Cancelled.
StreamingTranscript run_streaming_session(AudioInbox& inbox, StreamingRecognizer& recognizer,
                                          const RunnerAccess& with_runner, const StreamingEvents& events);

}  // namespace verbatim
