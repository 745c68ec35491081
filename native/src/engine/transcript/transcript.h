// What a transcription gives, whatever the family: timed segments of token ids, their words, and the language.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transcript/detected_language.h"
#include "transcript/token_timing.h"

namespace verbatim {

struct Word {
  std::string text;  // UTF-8 as Python decodes the word's tokens (with its leading space); never shown to users
  std::vector<int32_t> tokens;
  double start = 0;  // seconds from the start of the audio, rounded to 2 decimals as openai rounds them
  double end = 0;
  double probability = 0;  // mean of the tokens' probabilities
};

struct Segment {
  int seek = 0;  // mel frame where the segment's window starts
  double start = 0;  // seconds from the start of the audio
  double end = 0;
  // Text and timestamp tokens; empty when the segment has no text or no length (as openai clears them).
  std::vector<int32_t> tokens;
  float temperature = 0;
  double avg_logprob = 0;
  double compression_ratio = 0;
  double no_speech_prob = 0;
  // Timed text tokens (Whisper: with word_timestamps), in seconds from the audio start.
  std::vector<TokenTiming> token_timings;
  std::vector<Word> words;  // Whisper with word_timestamps: openai's words (add_word_timestamps), empty when cleared
};

struct Transcript {
  std::vector<Segment> segments;
  // The language's code ("en" for English-only Whisper models); empty when the model does not say (a transducer).
  std::string language;
  LanguageProbabilities language_probabilities;  // when the language was detected
};

}  // namespace verbatim
