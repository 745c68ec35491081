// Parakeet TDT's live recognition, behind the streaming seam (streaming/streaming.h). Each update
// decodes the utterance so far (features and encoder over all of its audio, then greedy TDT) and commits a token
// once its end (frame + duration, 80 ms frames) is at least a margin behind the newest audio and the previous
// update decoded the same tokens up to it: the transducer's frames are its alignment. Commits end where a word
// does (the decode's next token starts a word), so a word shows whole or not at all. Nothing shown is taken back:
// where a decode parts from the committed words, live text goes on at its first word that starts after their audio.
// When the utterance ends, its final pass is the family's transcribe() on the utterance's audio, so its final text
// is exactly what transcribing that audio gives; the utterance's last update decodes nothing (the final pass follows
// at once on the same audio). Live updates decode at most the utterance's last kLiveWindowSeconds (attention grows
// with the square of the audio's length): past that, the live window starts again after its last committed token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "parakeet/parakeet_weights.h"
#include "parakeet/tdt_decoding.h"
#include "streaming/streaming.h"
#include "transducer/transducer_chunks.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

// The margin when the options name none: 2 frames (0.16 s).
constexpr int kDefaultTransducerMarginFrames = 2;
// Audio after a decode's last token that ends its word: 0.32 s with nothing decoded is a pause, not a word going on.
constexpr int kTransducerPauseFrames = 4;
// The most audio one live update decodes.
constexpr std::size_t kLiveWindowSeconds = 30;

// One live decode of an utterance's audio: its tokens, and the encoder frames its audio made.
struct TransducerHypothesis {
  std::vector<TdtToken> tokens;
  int frames = 0;
  int frame_samples = 1280;  // samples an encoder frame stands for (8 feature hops: 80 ms)
};

// Decodes 16 kHz samples as transcribe() does, without its timing and events: NeMo features, the encoder over all
// of them, greedy TDT (boosted by `boost`'s tree, walked afresh; `mask`'s pieces never emitted). The caller holds the
// model's lock. Throws Cancelled.
TransducerHypothesis decode_transducer(TransducerRunner& runner, const ParakeetConfig& config, const float* samples,
                                       std::size_t n, const PhraseBoost& boost, const TokenMask& mask,
                                       const std::function<bool()>& cancelled);

// Which token ids begin a word: SentencePiece pieces that start with "▁". Ids past the table count as word starts.
class WordStarts {
 public:
  WordStarts() = default;
  explicit WordStarts(const std::vector<std::string>& vocabulary);
  explicit WordStarts(std::vector<bool> starts) : starts_(std::move(starts)) {}
  bool operator()(int32_t id) const {
    return id < 0 || static_cast<std::size_t>(id) >= starts_.size() || starts_[static_cast<std::size_t>(id)];
  }

 private:
  std::vector<bool> starts_;
};

// Where a hypothesis goes on after the committed tokens: just after them where it starts with them; else (a later
// decode parted from what was shown, which is never taken back) at its first word that starts at or after the
// committed tokens' end frame, so that live text goes on over the audio they did not cover, never inside a word.
std::size_t transducer_continuation(const std::vector<TdtToken>& tokens, const std::vector<int32_t>& committed,
                                   int committed_end_frame, const WordStarts& starts_word);

struct TokensToCommit {
  std::size_t first = 0;  // current[first, first + count)
  std::size_t count = 0;
};

// The tokens of `current` that may be committed now: from its continuation, each in order while its end frame plus
// `margin_frames` is within `frames` and `previous` holds the same token at the same place in its own continuation;
// then back to the last whole word among them (the token after the last one committed starts a word, or none follows
// it for kTransducerPauseFrames).
TokensToCommit transducer_tokens_to_commit(const std::vector<int32_t>& committed, int committed_end_frame,
                                           const std::vector<TdtToken>& previous,
                                           const std::vector<TdtToken>& current, int frames, int margin_frames,
                                           const WordStarts& starts_word);

// A Parakeet live session's options (parakeet_options.h reads them from the caller's).
struct ParakeetStreamingOptions {
  // A token is committed once its end (frame + duration) is at least this many 80 ms encoder frames behind the
  // newest audio; absent: kDefaultTransducerMarginFrames.
  std::optional<int> margin_frames;
  double min_chunk_seconds = 1.0;  // no update before this much new audio (unless the utterance ends)
  ChunkingOptions chunking;        // the final pass's, for an utterance longer than a chunk
  PhraseBoost boost;               // the vocabulary's terms, for live updates and the final pass alike
  TokenMask mask;                  // pieces never emitted (a language lock), live and final alike
};

// Refuses (std::invalid_argument) out-of-range values, naming the option.
void validate_transducer_streaming_options(const ParakeetStreamingOptions& options);

class TransducerStreamingRecognizer final : public StreamingRecognizer {
 public:
  // Each takes the model's lock for itself: `decode` for one live update, `transcribe` (the family's own) for an
  // utterance's final pass.
  using Decode = std::function<TransducerHypothesis(const float*, std::size_t, const std::function<bool()>&)>;
  using Transcribe = std::function<Transcript(const float*, std::size_t, const std::function<bool()>&)>;

  TransducerStreamingRecognizer(const ParakeetStreamingOptions& options, WordStarts starts_word, Decode decode,
                                Transcribe transcribe);

  std::size_t min_update_samples() const override { return min_update_samples_; }
  void add_audio(const float* samples, std::size_t n) override;
  std::size_t utterance_samples() const override { return audio_.size(); }
  StreamingUpdate update(bool is_last, const std::function<bool()>& cancelled) override;
  Utterance end_utterance(const std::function<bool()>& cancelled) override;

 private:
  void slide_window();

  int margin_frames_;
  std::size_t min_update_samples_;
  WordStarts starts_word_;
  Decode decode_;
  Transcribe transcribe_;

  int utterance_index_ = 0;
  double utterance_start_ = 0;  // seconds from the session start
  std::size_t session_samples_ = 0;
  std::vector<float> audio_;  // the utterance so far
  std::size_t window_start_ = 0;  // the first sample of audio_ live updates decode
  std::vector<TdtToken> previous_;  // the last update's hypothesis over the window
  std::vector<int32_t> window_committed_;  // the committed tokens decoded in the window
  std::size_t committed_end_ = 0;  // samples into the window where its last committed token ends
  int committed_end_frame_ = 0;    // the same in encoder frames
  std::vector<int32_t> committed_;  // all of the utterance's committed tokens
};

}  // namespace verbatim
