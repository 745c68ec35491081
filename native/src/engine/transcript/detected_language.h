// A spoken language as a model tells it, by code ("en", "de", ...).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace verbatim {

// Each language the model knows with its probability, in the model's order.
using LanguageProbabilities = std::vector<std::pair<std::string, float>>;

struct DetectedLanguage {
  std::string language;  // the most probable one's code
  LanguageProbabilities probabilities;
};

}  // namespace verbatim
