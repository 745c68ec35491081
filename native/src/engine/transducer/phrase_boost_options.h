// A transducer job's boosting as its caller gives it (native/lib/types.ts: the lib splits the terms into the model's
// pieces): `boostPhrases`, lists of piece ids in [0, V), and `boostStrength` (logits a piece's score is worth).
#pragma once

#include <string>
#include <vector>

#include "options/option_values.h"
#include "transducer/phrase_boost.h"

namespace verbatim {

// The most boostStrength may be: past it the bonus outweighs any logit gap a trained model makes.
constexpr double kMaxBoostStrength = 50;

// No boostPhrases (or an empty list): no tree. `vocabulary`: the model's SentencePiece pieces (which of them go on
// with a word). Throws std::invalid_argument naming the option.
PhraseBoost read_phrase_boost(const OptionValues& values, const std::vector<std::string>& vocabulary);

// Which SentencePiece pieces go on with the word before them: not a word start ("▁"), and not punctuation alone.
std::vector<bool> pieces_joining_words(const std::vector<std::string>& vocabulary);

}  // namespace verbatim
