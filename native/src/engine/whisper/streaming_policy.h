// What a live-decoding policy decides on each update: which newly decoded tokens of the utterance to show for
// good (committed: never taken back) and which are still a guess (tentative). Two policies share this seam:
// AlignAtt (alignatt_policy.h, the product's) and LocalAgreement-2 (local_agreement_policy.h, for comparison).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "whisper/whisper_runner.h"
#include "whisper/special_tokens.h"
#include "whisper/token_text.h"

namespace verbatim {

enum class StreamingPolicyKind { AlignAtt, LocalAgreement };

struct PolicyParameters {
  // AlignAtt: a token attending within this many encoder frames (20 ms each) of the end of the audio is not
  // committed yet; `final_frame_threshold` applies on the last update of an utterance.
  int frame_threshold = 25;
  int final_frame_threshold = 4;
  // AlignAtt: an attended frame more than this many frames behind the previous token's discards the update.
  int rewind_threshold = 200;
  HeadList alignment_heads;  // AlignAtt needs them
};

// One update's input. The runner has just encoded the window (the utterance's last <= 30 s of audio).
struct PolicyInput {
  // Decoder prompt: [<|startofprev|> + context] + sot sequence + <|notimestamps|>.
  std::vector<int32_t> prompt;
  // The utterance's tokens already committed for the audio in this window; forced after the prompt.
  std::vector<int32_t> forced;
  int content_frames = 0;  // encoder frames (20 ms) holding audio
  bool is_last = false;    // the utterance ends with this update
  // At the utterance's first decoded token: suppress blank and eot, as batch decoding does.
  bool suppress_blank = false;
  int32_t blank_token = 220;
  // Never sampled: the vocabulary's non-speech tokens plus every special token.
  std::vector<int32_t> suppressed;
  std::function<bool()> cancelled;  // polled before every decoder call; throws Cancelled
};

struct PolicyUpdate {
  std::vector<int32_t> committed;  // appended to the utterance's committed tokens
  std::vector<int32_t> tentative;  // decoded after them, not yet trusted
};

class StreamingPolicy {
 public:
  virtual ~StreamingPolicy() = default;
  virtual PolicyUpdate update(WhisperRunner& runner, const PolicyInput& input) = 0;
  // `frames` encoder frames of audio left the front of the window (the 30 s rollover).
  virtual void shift_frames(int frames) = 0;
  // A new utterance starts.
  virtual void reset() = 0;
};

// Throws std::invalid_argument when AlignAtt is asked for without alignment heads or with bad thresholds.
std::unique_ptr<StreamingPolicy> make_streaming_policy(StreamingPolicyKind kind, const PolicyParameters& parameters,
                                                       std::shared_ptr<const TokenBytes> token_bytes,
                                                       const SpecialTokens& special);

// The greedy choice among logits after suppressing `suppressed` (and blank and eot when `suppress_blank`).
int32_t greedy_token(const std::vector<float>& logits, const PolicyInput& input, const SpecialTokens& special);

// Whether `token` starts a word as whisper's split_tokens_on_spaces decides: a special token, a token beginning
// with a space, or a punctuation token.
bool starts_word(int32_t token, const TokenBytes& token_bytes, const SpecialTokens& special);

// The number of leading tokens of `tokens` that form whole words when the last word may be unfinished: every
// token before the start of the last word.
std::size_t complete_words_prefix(const std::vector<int32_t>& tokens, const TokenBytes& token_bytes,
                                  const SpecialTokens& special);

}  // namespace verbatim
