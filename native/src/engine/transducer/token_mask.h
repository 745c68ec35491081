// Pieces a transducer decoder may not emit for a job: a language lock (native/lib/language-lock.ts works out which
// pieces the language cannot write, from the model's own vocabulary) reaches the engine as `suppressTokens`, piece ids
// in [0, V). Greedy decoding (TDT and RNN-T alike) applies the mask to the joint's token logits before its argmax; the
// blank (V), and a TDT joint's duration logits past it, are never masked, so decoding always has the blank to fall back
// on.
#pragma once

#include <cstdint>
#include <vector>

#include "options/option_values.h"

namespace verbatim {

class TokenMask {
 public:
  TokenMask() = default;  // nothing suppressed
  // Throws std::invalid_argument for an id outside [0, vocab_size).
  TokenMask(std::vector<int32_t> suppressed, int vocab_size);

  bool empty() const { return suppressed_.empty(); }
  // Sets the suppressed tokens' logits to -infinity: an argmax never picks them and a softmax gives them 0, so a
  // token's probability is the model's own over the pieces left.
  void apply(float* logits) const;

 private:
  std::vector<int32_t> suppressed_;
};

// `suppressTokens` (a list of piece ids in [0, vocab_size)); absent or empty: nothing suppressed. Throws
// std::invalid_argument naming the option.
TokenMask read_token_mask(const OptionValues& values, int vocab_size);

}  // namespace verbatim
