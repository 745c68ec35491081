#include "transducer/phrase_boost_options.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace verbatim {

PhraseBoost read_phrase_boost(const OptionValues& values, int vocab_size) {
  const OptionReader reader(values);
  PhraseBoost boost;
  double strength = kDefaultBoostStrength;
  reader.number("boostStrength", strength, 0, kMaxBoostStrength);
  boost.strength = static_cast<float>(strength);
  std::vector<std::vector<int32_t>> phrases;
  reader.with("boostPhrases", [&](const OptionValue& v, const char* name) {
    if (v.kind != OptionValue::Kind::List) {
      throw std::invalid_argument(std::string("option ") + name + " must be an array of arrays of piece ids");
    }
    for (const OptionValue& phrase : v.list) {
      OptionValues one{{name, phrase}};
      phrases.emplace_back();
      OptionReader(one).token_list(name, phrases.back(), vocab_size);
    }
  });
  if (!phrases.empty()) boost.tree = std::make_shared<const PhraseBoostTree>(phrases, vocab_size);
  return boost;
}

}  // namespace verbatim
