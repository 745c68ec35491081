// Nemotron's options as a caller gives them (native/lib/types.ts), read into its own: a wrong type or value throws
// std::invalid_argument naming the option.
#pragma once

#include <string>

#include "nemotron/nemotron_weights.h"
#include "options/option_values.h"

namespace verbatim {

// "rightContext": the attention's right context in encoder frames (80 ms each), one the model was trained with
// (config.lookaheads; default config.default_lookahead). Whisper's options that would change what a job gives (a
// translation, a language, a prompt, clip times, a live policy) are refused, naming them.
int read_nemotron_right_context(const OptionValues& values, const NemotronConfig& config);

}  // namespace verbatim
