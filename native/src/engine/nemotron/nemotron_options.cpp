#include "nemotron/nemotron_options.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "transducer/phrase_boost_options.h"

namespace verbatim {

NemotronOptions read_nemotron_options(const OptionValues& values, const NemotronConfig& config) {
  const OptionReader reader(values);
  std::string task, language;
  reader.with("task", [&](const OptionValue& v, const char*) { task = v.string; });
  reader.with("language", [&](const OptionValue& v, const char*) { language = v.string; });
  if (task == "translate") throw std::invalid_argument("Nemotron streaming models cannot translate");
  NemotronOptions options;
  options.prompt = config.default_prompt;
  if (!language.empty() && config.num_prompts == 0) {
    throw std::invalid_argument("Nemotron Speech Streaming (English) takes no language: Nemotron 3.5 does");
  }
  if (!language.empty()) {
    const auto found = std::find_if(config.prompts.begin(), config.prompts.end(),
                                    [&](const auto& entry) { return entry.first == language; });
    if (found == config.prompts.end()) {
      std::string known;
      for (const auto& [name, slot] : config.prompts) known += (known.empty() ? "" : ", ") + name;
      throw std::invalid_argument("language \"" + language + "\" is not one of this model's prompts (" +
                                  (known.empty() ? std::string("its processor_config.json lists none") : known) + ")");
    }
    options.prompt = found->second;
  }
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
  int& right = options.right_context;
  right = config.default_lookahead;
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
  options.boost = read_phrase_boost(values, config.vocabulary);
  options.mask = read_token_mask(values, config.vocab_size);
  return options;
}

}  // namespace verbatim
