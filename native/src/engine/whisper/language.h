// Spoken-language detection as openai/whisper's detect_language: the decoder's distribution after <|sot|>,
// restricted to the language tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "transcript/detected_language.h"
#include "whisper/special_tokens.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

struct LanguageDetection {
  int32_t token = -1;               // the most probable language token
  std::vector<float> probabilities;  // per language index (token - first_language), summing to 1
};

// Each language's probability under its code (transcript/detected_language.h), in token order.
LanguageProbabilities language_probabilities(const LanguageDetection& detection);

// Detects the language of the window the runner last encoded. Leaves the decoder cache empty.
// Throws std::invalid_argument for English-only models, which have no language tokens to choose from.
LanguageDetection detect_language_encoded(WhisperRunner& runner, const SpecialTokens& special);

// Encodes `mel` (one window: n_mels x 3000 frames, row-major) and detects its language.
LanguageDetection detect_language(WhisperRunner& runner, const float* mel);

}  // namespace verbatim
