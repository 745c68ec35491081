// Greedy TDT decoding (NeMo's GreedyTDTInfer, parakeet-mlx's decode_greedy; native/PARAKEET.md "Greedy TDT").
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

struct TdtOptions {
  int vocab_size = 0;          // V: token ids [0, V), the blank is V
  std::vector<int> durations;  // the duration head's values, in frames
  int max_symbols = 10;        // zero-duration decisions at one frame before it advances
  std::function<bool()> cancelled;  // polled before every joint evaluation; throws Cancelled
  PhraseBoost boost;  // the vocabulary's terms (no tree: none)
  TokenMask mask;     // pieces never emitted (a language lock), masked before every argmax
};

struct TdtToken {
  int32_t token = 0;
  int frame = 0;     // the encoder frame it was decided at
  int duration = 0;  // frames, from the duration head
  float probability = 0;  // softmax over the V tokens and the blank
  float token_margin = 0;  // top-1 minus top-2 logit among tokens and blank (for tests: near-ties)
};

// Decodes frames [0, frames) of the runner's last encode(). Ties go to the lowest index (argmax). With a boosting tree,
// a step whose argmax is a token emits the token the tree's scores favour (transducer/phrase_boost.h), and a term
// begun is kept only if it finishes as a word and reads its frames nearly as well as the model's own decoding (else
// decoding goes back to where it began); a token's probability stays the model's own.
std::vector<TdtToken> greedy_tdt(TransducerRunner& runner, int frames, const TdtOptions& options);

}  // namespace verbatim
