#include "transducer/phrase_boost_options.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace verbatim {

std::vector<bool> pieces_joining_words(const std::vector<std::string>& vocabulary) {
  static const std::string kWordMark = "\xE2\x96\x81";  // "▁"
  std::vector<bool> joins;
  joins.reserve(vocabulary.size());
  for (const std::string& piece : vocabulary) {
    const bool punctuation = std::all_of(piece.begin(), piece.end(), [](char c) {
      return std::ispunct(static_cast<unsigned char>(c)) != 0;
    });
    joins.push_back(!piece.empty() && piece.compare(0, kWordMark.size(), kWordMark) != 0 && !punctuation);
  }
  return joins;
}

PhraseBoost read_phrase_boost(const OptionValues& values, const std::vector<std::string>& vocabulary) {
  const int vocab_size = static_cast<int>(vocabulary.size());
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
  if (!phrases.empty()) {
    boost.tree = std::make_shared<const PhraseBoostTree>(phrases, vocab_size, pieces_joining_words(vocabulary));
    boost.joiner = std::make_shared<const TermJoiner>(phrases, vocabulary);
  }
  return boost;
}

}  // namespace verbatim
