// Synthetic logits for comparing decoding with openai/whisper's own code: a hash of the context and the window
// gives every token a logit in [0, 4) (multiples of 1/64, exact in float32), with boosts that make the
// decoding rules matter: language and no-speech at <|sot|>, a few text tokens, the blank, runs of timestamps,
// and eot after a dozen tokens. native/tests/data/decoding_reference.json holds openai's decoding.py and
// transcribe.py results on the same logits (computed by the same function in Python, driving the real
// DecodingTask and transcribe() through a fake model whose decoder returns these logits).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "whisper/special_tokens.h"

namespace verbatim::testing {

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  x *= 3266489917u;
  x ^= x >> 16;
  return x;
}

// Logits after `context` in the window whose first mel value is `window`; English vocabulary v1/v2 (51865).
inline void synthetic_logits(const std::vector<int32_t>& context, uint32_t window, std::vector<float>& logits) {
  const SpecialTokens special = SpecialTokens::for_vocabulary(51865);
  const uint32_t n = static_cast<uint32_t>(context.size());
  const uint32_t last = static_cast<uint32_t>(context.back());
  const auto sot = std::find(context.rbegin(), context.rend(), special.sot);
  const int k = sot == context.rend() ? -1 : static_cast<int>(sot - context.rbegin());  // tokens after <|sot|>
  const uint32_t seed = last * 40503u + n * 977u + window * 7919u;
  for (uint32_t v = 0; v < logits.size(); ++v) {
    logits[v] = static_cast<float>(mix32(v * 2654435761u + seed) >> 24) / 64.0f;
  }
  const bool silent = mix32(window) % 5 == 2;
  if (k < 0) return;
  if (k == 0) {
    logits[special.sot + 1 + window % 3] += 6;
    if (silent) logits[special.nospeech] += 15;
    return;
  }
  logits[special.eot] += static_cast<float>(2 * std::max(0, k - 12));
  if (silent) return;
  for (uint32_t i = 0; i < 4; ++i) logits[mix32(seed + i) % 50000] += static_cast<float>(6 + i);
  if (k % 4 == 1) logits[220] += 12;
  const int a = static_cast<int>(mix32(seed + 99) % 1400);
  for (int t = 0; t < 60; ++t) logits[special.timestamp_begin + a + t] += static_cast<float>(2 + k % 3);
}

// The synthetic vocabulary's bytes: the blank is " ", every other token " w<id % 7>".
inline std::vector<std::string> synthetic_token_bytes() {
  const SpecialTokens special = SpecialTokens::for_vocabulary(51865);
  std::vector<std::string> table(static_cast<std::size_t>(special.timestamp_begin));
  for (std::size_t t = 0; t < table.size(); ++t) table[t] = t == 220 ? " " : " w" + std::to_string(t % 7);
  return table;
}

}  // namespace verbatim::testing
