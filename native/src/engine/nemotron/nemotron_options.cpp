#include "nemotron/nemotron_options.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace verbatim {

int read_nemotron_right_context(const OptionValues& values, const NemotronConfig& config) {
  const OptionReader reader(values);
  std::string task, language;
  reader.with("task", [&](const OptionValue& v, const char*) { task = v.string; });
  reader.with("language", [&](const OptionValue& v, const char*) { language = v.string; });
  if (task == "translate") throw std::invalid_argument("Nemotron streaming models cannot translate");
  if (!language.empty()) throw std::invalid_argument("Nemotron streaming models take no language (English only)");
  for (const char* name : {"initialPrompt", "clipTimestamps"}) {
    reader.with(name, [&](const OptionValue& v, const char*) {
      if (v.kind != OptionValue::Kind::List || !v.list.empty()) {
        throw std::invalid_argument(std::string(name) + " is not supported on Nemotron streaming models");
      }
    });
  }
  for (const char* name : {"policy", "frameThreshold", "marginFrames", "maxContextTokens", "chunkSeconds"}) {
    if (reader.has(name)) {
      throw std::invalid_argument(std::string(name) +
                                  " does not apply to Nemotron streaming models: they stream natively, in chunks "
                                  "set by rightContext");
    }
  }
  int right = config.default_lookahead;
  std::string supported;
  for (int r : config.lookaheads) supported += (supported.empty() ? "" : ", ") + std::to_string(r);
  reader.with("rightContext", [&](const OptionValue& v, const char*) {
    if (v.kind != OptionValue::Kind::Number || v.number != std::floor(v.number) ||
        std::find(config.lookaheads.begin(), config.lookaheads.end(), static_cast<int>(v.number)) ==
            config.lookaheads.end()) {
      throw std::invalid_argument("rightContext must be one of the right contexts this model was trained with (" +
                                  supported + " encoder frames of 80 ms)");
    }
    right = static_cast<int>(v.number);
  });
  return right;
}

}  // namespace verbatim
