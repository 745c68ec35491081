// Live recognition of a growing stream of 16 kHz audio, split by the caller into utterances: the seam every model
// family streams through. A family's recognizer (its make_recognizer, with its own options and policy) decides what
// each update shows and runs each utterance's final pass; run_streaming_session drives any of them from an AudioInbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "streaming/audio_inbox.h"
#include "transcript/transcript.h"

namespace verbatim {

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

// One family's live recognition of the current utterance. update() and end_utterance() run the model: each takes
// the model's lock itself, for as long as it needs it, so other jobs on the model can run in between.
class StreamingRecognizer {
 public:
  virtual ~StreamingRecognizer() = default;

  // No update before this many new samples (unless the utterance ends): what the session's inbox waits for.
  virtual std::size_t min_update_samples() const = 0;
  virtual void add_audio(const float* samples, std::size_t n) = 0;
  virtual std::size_t utterance_samples() const = 0;

  // One live update over the current utterance (is_last: it ends after this audio). Throws Cancelled.
  virtual StreamingUpdate update(bool is_last, const std::function<bool()>& cancelled) = 0;

  // The final pass over the current utterance; the next audio starts a new utterance. Throws Cancelled.
  virtual Utterance end_utterance(const std::function<bool()>& cancelled) = 0;
};

struct StreamingEvents {
  std::function<void(const StreamingUpdate&)> on_update;
  std::function<void(const Utterance&)> on_utterance;
  std::function<bool()> cancelled;  // also polled inside updates; throws Cancelled
};

// Runs a session until the inbox is finished: an update whenever audio waits, a final pass at each utterance
// end. Throws Cancelled.
StreamingTranscript run_streaming_session(AudioInbox& inbox, StreamingRecognizer& recognizer,
                                          const StreamingEvents& events);

}  // namespace verbatim
