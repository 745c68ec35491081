// Nemotron's options as a caller gives them (native/lib/types.ts), read into its own: a wrong type or value throws
// std::invalid_argument naming the option.
#pragma once

#include <string>

#include "nemotron/nemotron_weights.h"
#include "options/option_values.h"
#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"

namespace verbatim {

struct NemotronOptions {
  int right_context = 0;  // encoder frames (80 ms each) of lookahead
  int prompt = 0;         // Nemotron 3.5's language slot
  PhraseBoost boost;      // the vocabulary's terms (no tree: none), boosted in greedy RNN-T
  TokenMask mask;         // pieces never emitted
};

// "rightContext": the attention's right context, one the model was trained with (config.lookaheads; default
// config.default_lookahead). "language" (Nemotron 3.5 only): a key of its prompt_dictionary (a locale, a bare code,
// or "auto"; default the config's default_prompt). "boostPhrases" and "boostStrength"
// (transducer/phrase_boost_options.h) and "suppressTokens" (transducer/token_mask.h), as Parakeet takes them.
// Whisper's options that would change what a job gives (a translation, a prompt, clip times, a live policy) are
// refused, naming them.
NemotronOptions read_nemotron_options(const OptionValues& values, const NemotronConfig& config);

}  // namespace verbatim
