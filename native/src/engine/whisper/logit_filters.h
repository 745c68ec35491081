// The rules openai/whisper applies to each step's logits before choosing a token (decoding.py LogitFilter
// subclasses), on one sequence of n_vocab logits. Suppressed logits become -infinity.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "whisper/special_tokens.h"

namespace verbatim {

// Sets logits[token] to -infinity for every id in `tokens` inside the vocabulary.
void suppress_tokens(std::vector<float>& logits, const std::vector<int32_t>& tokens);

// ApplyTimestampRules: timestamps come in pairs (except directly before eot), never decrease, a closed segment
// has a non-zero length, the first sampled token is a timestamp no later than `max_initial_timestamp_index`
// steps, and when the timestamps together are more probable than any single text token, a timestamp is chosen.
// `sampled` holds the tokens chosen so far in this window (after the prompt).
void apply_timestamp_rules(std::vector<float>& logits, const std::vector<int32_t>& sampled,
                           const SpecialTokens& special, std::optional<int> max_initial_timestamp_index);

// log_softmax(logits)[token], in double; -infinity when the token (or every token) is suppressed.
double log_probability(const std::vector<float>& logits, int32_t token);

// The `count` most probable tokens with their log_softmax(logits), most probable first, the lower id first among
// equals (as topk); fewer when fewer tokens are not suppressed.
std::vector<std::pair<int32_t, double>> top_log_probabilities(const std::vector<float>& logits, std::size_t count);

}  // namespace verbatim
