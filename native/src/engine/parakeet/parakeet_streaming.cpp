#include "parakeet/parakeet_streaming.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "audio/nemo_features.h"
#include "audio/samples.h"
#include "transcript/cancelled.h"

namespace verbatim {
namespace {

constexpr int kMaxMarginFrames = 100;  // 8 s

bool starts_with(const std::vector<TdtToken>& tokens, const std::vector<int32_t>& prefix) {
  if (tokens.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (tokens[i].token != prefix[i]) return false;
  }
  return true;
}

void shift_times(Transcript& transcript, double seconds) {
  for (Segment& segment : transcript.segments) {
    segment.start += seconds;
    segment.end += seconds;
    for (TokenTiming& timing : segment.token_timings) {
      timing.start += seconds;
      timing.end += seconds;
    }
  }
}

}  // namespace

TransducerHypothesis decode_transducer(TransducerRunner& runner, const ParakeetConfig& config, const float* samples,
                                       std::size_t n, const PhraseBoost& boost, const TokenMask& mask,
                                       const std::function<bool()>& cancelled) {
  TransducerHypothesis hypothesis;
  const NemoFeatures features = nemo_log_mel(samples, n, config.features);
  if (features.n_frames == 0) return hypothesis;
  if (cancelled && cancelled()) throw Cancelled();
  hypothesis.frames = runner.encode(features.data.data(), features.n_frames, [&cancelled] {
    if (cancelled && cancelled()) throw Cancelled();
  });
  hypothesis.tokens = greedy_tdt(
      runner, hypothesis.frames,
      TdtOptions{config.vocab_size, config.durations, config.max_symbols, cancelled, boost, mask});
  runner.forget_encoding();
  hypothesis.frame_samples = 8 * config.features.hop_length;
  return hypothesis;
}

WordStarts::WordStarts(const std::vector<std::string>& vocabulary) {
  static const std::string kWordMark = "\xE2\x96\x81";  // "▁", SentencePiece's mark of a word's start
  starts_.reserve(vocabulary.size());
  for (const std::string& piece : vocabulary) starts_.push_back(piece.compare(0, kWordMark.size(), kWordMark) == 0);
}

std::size_t transducer_continuation(const std::vector<TdtToken>& tokens, const std::vector<int32_t>& committed,
                                   int committed_end_frame, const WordStarts& starts_word) {
  if (starts_with(tokens, committed)) return committed.size();
  std::size_t i = 0;
  while (i < tokens.size() && (tokens[i].frame < committed_end_frame || !starts_word(tokens[i].token))) ++i;
  return i;
}

TokensToCommit transducer_tokens_to_commit(const std::vector<int32_t>& committed, int committed_end_frame,
                                           const std::vector<TdtToken>& previous,
                                           const std::vector<TdtToken>& current, int frames, int margin_frames,
                                           const WordStarts& starts_word) {
  TokensToCommit commit;
  commit.first = transducer_continuation(current, committed, committed_end_frame, starts_word);
  const std::size_t agreed_from = transducer_continuation(previous, committed, committed_end_frame, starts_word);
  for (std::size_t i = commit.first, j = agreed_from; i < current.size() && j < previous.size(); ++i, ++j) {
    if (current[i].token != previous[j].token || current[i].frame + current[i].duration + margin_frames > frames) break;
    ++commit.count;
  }
  // A word's last piece may still change, or more pieces follow, until the decode has begun the next word or has
  // heard a pause after it.
  while (commit.count > 0) {
    const std::size_t next = commit.first + commit.count;
    if (next < current.size() ? starts_word(current[next].token)
                              : current[next - 1].frame + current[next - 1].duration + kTransducerPauseFrames <= frames) {
      break;
    }
    --commit.count;
  }
  return commit;
}

void validate_transducer_streaming_options(const ParakeetStreamingOptions& options) {
  const auto check = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  check(!options.margin_frames || (*options.margin_frames >= 0 && *options.margin_frames <= kMaxMarginFrames),
        "marginFrames must be between 0 and " + std::to_string(kMaxMarginFrames) + " encoder frames (80 ms each)");
  check(std::isfinite(options.min_chunk_seconds) && options.min_chunk_seconds >= 0.02 &&
            options.min_chunk_seconds <= 30,
        "minChunkSeconds must be between 0.02 and 30");
}

TransducerStreamingRecognizer::TransducerStreamingRecognizer(const ParakeetStreamingOptions& options,
                                                             WordStarts starts_word, Decode decode,
                                                             Transcribe transcribe)
    : margin_frames_(options.margin_frames.value_or(kDefaultTransducerMarginFrames)),
      min_update_samples_(static_cast<std::size_t>(options.min_chunk_seconds * kSampleRate)),
      starts_word_(std::move(starts_word)),
      decode_(std::move(decode)),
      transcribe_(std::move(transcribe)) {
  validate_transducer_streaming_options(options);
}

void TransducerStreamingRecognizer::add_audio(const float* samples, std::size_t n) {
  audio_.insert(audio_.end(), samples, samples + n);
  session_samples_ += n;
}

StreamingUpdate TransducerStreamingRecognizer::update(bool is_last, const std::function<bool()>& cancelled) {
  StreamingUpdate update;
  update.utterance = utterance_index_;
  update.audio_seconds = static_cast<double>(session_samples_) / kSampleRate;
  if (is_last) {
    // The final pass, transcribe() of this same audio, follows at once: a live decode of it would be shown for no
    // time. The guess stays the previous update's.
    for (std::size_t i = transducer_continuation(previous_, window_committed_, committed_end_frame_, starts_word_);
         i < previous_.size(); ++i) {
      update.tentative.push_back(previous_[i].token);
    }
    return update;
  }
  slide_window();
  TransducerHypothesis current = decode_(audio_.data() + window_start_, audio_.size() - window_start_, cancelled);
  const TokensToCommit commit = transducer_tokens_to_commit(window_committed_, committed_end_frame_, previous_,
                                                            current.tokens, current.frames, margin_frames_,
                                                            starts_word_);
  const std::size_t end = commit.first + commit.count;
  for (std::size_t i = commit.first; i < end; ++i) update.committed.push_back(current.tokens[i].token);
  if (commit.count > 0) {
    const TdtToken& last = current.tokens[end - 1];
    committed_end_frame_ = last.frame + last.duration;
    committed_end_ = static_cast<std::size_t>(committed_end_frame_) * static_cast<std::size_t>(current.frame_samples);
  }
  window_committed_.insert(window_committed_.end(), update.committed.begin(), update.committed.end());
  committed_.insert(committed_.end(), update.committed.begin(), update.committed.end());
  for (std::size_t i = end; i < current.tokens.size(); ++i) update.tentative.push_back(current.tokens[i].token);
  previous_ = std::move(current.tokens);
  return update;
}

void TransducerStreamingRecognizer::slide_window() {
  const std::size_t limit = kLiveWindowSeconds * kSampleRate;
  if (audio_.size() - window_start_ <= limit) return;
  // After the last committed token (its audio is done with), and never more than the limit behind the newest audio:
  // tokens that were only guessed before the new start are left to the final pass.
  window_start_ = std::min(audio_.size(), std::max(window_start_ + committed_end_, audio_.size() - limit));
  window_committed_.clear();
  committed_end_ = 0;
  committed_end_frame_ = 0;
  previous_.clear();  // the new window's first update has nothing to agree with
}

Utterance TransducerStreamingRecognizer::end_utterance(const std::function<bool()>& cancelled) {
  Utterance utterance;
  utterance.index = utterance_index_;
  utterance.start = utterance_start_;
  utterance.end = utterance_start_ + static_cast<double>(audio_.size()) / kSampleRate;
  utterance.transcript = transcribe_(audio_.data(), audio_.size(), cancelled);
  shift_times(utterance.transcript, utterance.start);
  utterance.live_tokens = std::move(committed_);

  ++utterance_index_;
  utterance_start_ = utterance.end;
  audio_.clear();
  window_start_ = 0;
  previous_.clear();
  window_committed_.clear();
  committed_end_ = 0;
  committed_end_frame_ = 0;
  committed_.clear();
  return utterance;
}

}  // namespace verbatim
