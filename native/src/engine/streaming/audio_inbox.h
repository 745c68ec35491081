// The mailbox between whoever delivers live audio (the Node thread) and the streaming session's worker thread.
// Pushing never waits for recognition; the worker takes all audio received since its last turn at once, so
// updates that fall behind are coalesced instead of queued.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace verbatim {

// Audio pushed after the stream was finished or cancelled.
class StreamClosed : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class AudioInbox {
 public:
  // The worker is woken once this many samples of an utterance are waiting (or the utterance ends).
  explicit AudioInbox(std::size_t min_update_samples) : min_update_samples_(min_update_samples) {}

  // 16 kHz mono samples. Throws std::invalid_argument (and keeps none of them) when one is not finite, and
  // StreamClosed after finish() or cancel(). An empty push does nothing.
  void push(const float* samples, std::size_t n);
  // The current utterance ends after the audio pushed so far (a no-op when none was pushed since the last end).
  void end_utterance();
  // No more audio: the session ends once what was pushed is recognised. A second call does nothing.
  void finish();
  // Wakes the worker at once; take() reports the cancellation.
  void cancel();

  struct Batch {
    std::vector<float> samples;
    bool ends_utterance = false;
    bool finished = false;  // nothing will follow this batch
    bool cancelled = false;
  };
  // Waits for work: an utterance's waiting audio (at least the minimum, or all of it when the utterance ends),
  // the end of the stream, or cancellation.
  Batch take();

 private:
  struct Pending {
    std::vector<float> samples;
    bool ends_utterance = false;
  };
  bool ready() const;

  const std::size_t min_update_samples_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // the back one is open (receives pushes) unless it ends its utterance
  bool finished_ = false;
  bool cancelled_ = false;
  bool audio_since_end_ = false;  // samples were pushed since the last utterance end (or the start)
};

}  // namespace verbatim
