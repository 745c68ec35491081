#include "streaming/audio_inbox.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace verbatim {

void AudioInbox::push(const float* samples, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(samples[i])) {
      throw std::invalid_argument("audio sample " + std::to_string(i) + " of the chunk is not a finite number");
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (cancelled_) throw StreamClosed("the stream was cancelled: no more audio can be pushed");
  if (finished_) throw StreamClosed("the stream is finished: no more audio can be pushed");
  if (n == 0) return;
  if (pending_.empty() || pending_.back().ends_utterance) pending_.emplace_back();
  pending_.back().samples.insert(pending_.back().samples.end(), samples, samples + n);
  audio_since_end_ = true;
  if (ready()) wake_.notify_one();
}

void AudioInbox::end_utterance() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!audio_since_end_) return;
  // The worker may have taken the utterance's audio already: the end then travels alone.
  if (pending_.empty() || pending_.back().ends_utterance) pending_.emplace_back();
  pending_.back().ends_utterance = true;
  audio_since_end_ = false;
  wake_.notify_one();
}

void AudioInbox::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  wake_.notify_one();
}

void AudioInbox::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  wake_.notify_one();
}

bool AudioInbox::ready() const {
  if (cancelled_ || finished_) return true;
  if (pending_.empty()) return false;
  const Pending& front = pending_.front();
  return front.ends_utterance || front.samples.size() >= min_update_samples_;
}

AudioInbox::Batch AudioInbox::take() {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [this] { return ready(); });
  Batch batch;
  if (cancelled_) {
    batch.cancelled = true;
    return batch;
  }
  if (!pending_.empty()) {
    batch.samples = std::move(pending_.front().samples);
    batch.ends_utterance = pending_.front().ends_utterance;
    pending_.pop_front();
  }
  if (finished_ && pending_.empty()) {
    batch.ends_utterance = true;  // the stream's end ends its last utterance
    batch.finished = true;
  }
  return batch;
}

}  // namespace verbatim
