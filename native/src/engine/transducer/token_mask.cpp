#include "transducer/token_mask.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace verbatim {

TokenMask::TokenMask(std::vector<int32_t> suppressed, int vocab_size) : suppressed_(std::move(suppressed)) {
  for (const int32_t id : suppressed_) {
    if (id < 0 || id >= vocab_size) {
      throw std::invalid_argument("suppressed token " + std::to_string(id) + " is not a piece id in [0, " +
                                  std::to_string(vocab_size) + ")");
    }
  }
  std::sort(suppressed_.begin(), suppressed_.end());
  suppressed_.erase(std::unique(suppressed_.begin(), suppressed_.end()), suppressed_.end());
}

void TokenMask::apply(float* logits) const {
  for (const int32_t id : suppressed_) logits[id] = -INFINITY;
}

TokenMask read_token_mask(const OptionValues& values, int vocab_size) {
  std::vector<int32_t> ids;
  OptionReader(values).token_list("suppressTokens", ids, vocab_size);
  return TokenMask(std::move(ids), vocab_size);
}

}  // namespace verbatim
