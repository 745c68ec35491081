#include "whisper/language.h"

#include <cmath>
#include <stdexcept>

namespace verbatim {

LanguageProbabilities language_probabilities(const LanguageDetection& detection) {
  const std::vector<std::string>& codes = whisper_language_codes();
  LanguageProbabilities out;
  for (std::size_t i = 0; i < detection.probabilities.size() && i < codes.size(); ++i) {
    out.emplace_back(codes[i], detection.probabilities[i]);
  }
  return out;
}

LanguageDetection detect_language_encoded(WhisperRunner& runner, const SpecialTokens& special) {
  if (!special.multilingual()) {
    throw std::invalid_argument("this model is English-only: it has no language tokens to detect a language with");
  }
  std::vector<float> logits(static_cast<std::size_t>(runner.dims().n_vocab));
  runner.truncate_cache(0);
  runner.decode(&special.sot, 1, logits.data(), {}, nullptr);
  runner.truncate_cache(0);

  LanguageDetection result;
  result.probabilities.resize(static_cast<std::size_t>(special.n_languages));
  int best = 0;
  for (int i = 0; i < special.n_languages; ++i) {
    if (logits[special.language_token(i)] > logits[special.language_token(best)]) best = i;
  }
  const double max = logits[special.language_token(best)];
  double sum = 0;
  for (int i = 0; i < special.n_languages; ++i) sum += std::exp(logits[special.language_token(i)] - max);
  for (int i = 0; i < special.n_languages; ++i) {
    result.probabilities[i] = static_cast<float>(std::exp(logits[special.language_token(i)] - max) / sum);
  }
  result.token = special.language_token(best);
  return result;
}

LanguageDetection detect_language(WhisperRunner& runner, const float* mel) {
  const SpecialTokens special = SpecialTokens::for_vocabulary(runner.dims().n_vocab);
  if (!special.multilingual()) {
    throw std::invalid_argument("this model is English-only: it has no language tokens to detect a language with");
  }
  runner.encode(mel);
  return detect_language_encoded(runner, special);
}

}  // namespace verbatim
