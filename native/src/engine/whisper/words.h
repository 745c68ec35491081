// Words as openai/whisper's transcribe() makes them from a window's token timings (timing.py add_word_timestamps):
// text tokens grouped into words (tokenizer.split_to_word_tokens), long words cut at sentence ends, punctuation
// merged into its word, then the words laid out over the window's segments, whose start and end move to them.
// The long-form loop seeks by these words and judges hallucinations by them, so they follow openai to the
// float; the text facts they need come from token bytes, as Python's decode would give them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transcript/token_timing.h"
#include "transcript/transcript.h"
#include "whisper/token_text.h"

namespace verbatim {

// One of a window's segments as add_word_timestamps sees it: its text tokens, its times (moved to its words when
// it has any) and the words it receives.
struct WordSegment {
  std::vector<int32_t> text_tokens;
  double start = 0;
  double end = 0;
  std::vector<Word> words;
};

// Python's round(x, 2): the double nearest to the decimal x correctly rounded to 2 places (ties to even).
double round_to_hundredths(double x);

// add_word_timestamps over one window: `timings` are the alignment of all the segments' text tokens in order
// (align_tokens, seconds from the window start), `time_offset` the window start in seconds. `split_on_unicode`:
// the language is written without spaces (zh, ja, th, lo, my, yue), so every whole character is a word.
// `last_speech_timestamp` is the end of the last word before this window (0 at the start).
void add_word_timestamps(std::vector<WordSegment>& segments, const std::vector<TokenTiming>& timings,
                         double time_offset, const TokenBytes& token_bytes, bool split_on_unicode,
                         double last_speech_timestamp);

// openai's defaults for transcribe(prepend_punctuations=..., append_punctuations=...).
extern const char* const kPrependPunctuations;
extern const char* const kAppendPunctuations;

}  // namespace verbatim
