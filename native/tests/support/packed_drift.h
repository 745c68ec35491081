// What packing a model's weights to 8 and 4 bits changes in its decodes against the weights as stored, summed over
// clips: shared by the Parakeet and Nemotron quantize tests, which bound it.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace verbatim::test {

// One clip's decode: the encoder's rows, flattened, and the tokens.
struct Decoded {
  std::vector<float> encoder;
  std::vector<int32_t> tokens;
};

inline int edit_distance(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::vector<int> previous(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(previous, row);
  }
  return previous[b.size()];
}

struct PackedDrift {
  double worst_8 = 0, worst_4 = 0;  // the encoder's largest |difference|
  int tokens = 0, edits_8 = 0, edits_4 = 0;

  // Encoders of the same size (the caller requires it).
  void add(const Decoded& stored, const Decoded& eight, const Decoded& four) {
    for (std::size_t i = 0; i < stored.encoder.size(); ++i) {
      worst_8 = std::max(worst_8, static_cast<double>(std::abs(eight.encoder[i] - stored.encoder[i])));
      worst_4 = std::max(worst_4, static_cast<double>(std::abs(four.encoder[i] - stored.encoder[i])));
    }
    tokens += static_cast<int>(stored.tokens.size());
    edits_8 += edit_distance(eight.tokens, stored.tokens);
    edits_4 += edit_distance(four.tokens, stored.tokens);
  }

  // The bounds both families are held to, set from Parakeet's figures (parakeet_quantize_test.cpp): 8 bits keep the
  // encoder within 0.15 and change at most a tenth of the tokens; 4 bits keep it within 2.5, its tokens not bounded
  // (random weights make every decision close).
  void check_bounds() const {
    CHECK(tokens > 100);
    CHECK(worst_8 <= 0.15);
    CHECK(edits_8 <= tokens / 10);
    CHECK(worst_4 <= 2.5);
  }
};

}  // namespace verbatim::test
