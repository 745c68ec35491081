#include "whisper/logit_filters.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace verbatim {
namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

void suppress_range(std::vector<float>& logits, int64_t begin, int64_t end) {
  begin = std::max<int64_t>(begin, 0);
  end = std::min<int64_t>(end, static_cast<int64_t>(logits.size()));
  for (int64_t i = begin; i < end; ++i) logits[i] = kMinusInfinity;
}

// log(sum(exp(x))) over [begin, end); -infinity for an empty or fully suppressed range.
double log_sum_exp(const std::vector<float>& logits, std::size_t begin, std::size_t end) {
  float max = kMinusInfinity;
  for (std::size_t i = begin; i < end; ++i) max = std::max(max, logits[i]);
  if (max == kMinusInfinity) return -std::numeric_limits<double>::infinity();
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  return max + std::log(sum);
}

}  // namespace

void suppress_tokens(std::vector<float>& logits, const std::vector<int32_t>& tokens) {
  for (int32_t token : tokens) {
    if (token >= 0 && static_cast<std::size_t>(token) < logits.size()) logits[token] = kMinusInfinity;
  }
}

void apply_timestamp_rules(std::vector<float>& logits, const std::vector<int32_t>& sampled,
                           const SpecialTokens& special, std::optional<int> max_initial_timestamp_index) {
  const int32_t begin = special.timestamp_begin;
  const int64_t vocab = static_cast<int64_t>(logits.size());
  suppress_range(logits, special.notimestamps, special.notimestamps + 1);  // handled by the timestamps option

  const std::size_t n = sampled.size();
  const bool last_was_timestamp = n >= 1 && sampled[n - 1] >= begin;
  const bool penultimate_was_timestamp = n < 2 || sampled[n - 2] >= begin;
  if (last_was_timestamp) {
    if (penultimate_was_timestamp) {
      suppress_range(logits, begin, vocab);  // a pair just closed: text (or eot) must follow
    } else {
      suppress_range(logits, 0, special.eot);  // an open pair: a timestamp or eot must follow
    }
  }

  const auto last_timestamp = std::find_if(sampled.rbegin(), sampled.rend(), [&](int32_t t) { return t >= begin; });
  if (last_timestamp != sampled.rend()) {
    // Timestamps never decrease, and a segment that is closed has a non-zero length.
    const int64_t first_allowed =
        last_was_timestamp && !penultimate_was_timestamp ? *last_timestamp : int64_t{*last_timestamp} + 1;
    suppress_range(logits, begin, first_allowed);
  }

  if (n == 0) {
    suppress_range(logits, 0, begin);  // the first sampled token is a timestamp
    if (max_initial_timestamp_index) suppress_range(logits, int64_t{begin} + *max_initial_timestamp_index + 1, vocab);
  }

  const std::size_t text_end = std::min<std::size_t>(static_cast<std::size_t>(std::max(begin, 0)), logits.size());
  const double timestamp_mass = log_sum_exp(logits, text_end, logits.size());
  float max_text = kMinusInfinity;
  for (std::size_t i = 0; i < text_end; ++i) max_text = std::max(max_text, logits[i]);
  if (timestamp_mass > max_text) suppress_range(logits, 0, begin);
}

double log_probability(const std::vector<float>& logits, int32_t token) {
  const double normaliser = log_sum_exp(logits, 0, logits.size());
  if (token < 0 || static_cast<std::size_t>(token) >= logits.size() || std::isinf(normaliser)) {
    return -std::numeric_limits<double>::infinity();
  }
  return logits[token] - normaliser;
}

std::vector<std::pair<int32_t, double>> top_log_probabilities(const std::vector<float>& logits, std::size_t count) {
  const double normaliser = log_sum_exp(logits, 0, logits.size());
  std::vector<int32_t> ids;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (!std::isinf(logits[i]) && !std::isnan(logits[i])) ids.push_back(static_cast<int32_t>(i));
  }
  const auto more_probable = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  count = std::min(count, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count), ids.end(), more_probable);
  std::vector<std::pair<int32_t, double>> top;
  for (std::size_t i = 0; i < count; ++i) top.emplace_back(ids[i], logits[ids[i]] - normaliser);
  return top;
}

}  // namespace verbatim
