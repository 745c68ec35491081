#include "whisper/streaming_policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "whisper/alignatt_policy.h"
#include "whisper/local_agreement_policy.h"
#include "whisper/logit_filters.h"

namespace verbatim {
namespace {

const std::string kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";  // Python's string.punctuation

}  // namespace

bool starts_word(int32_t token, const TokenBytes& token_bytes, const SpecialTokens& special) {
  if (token >= special.eot) return true;
  if (token < 0 || static_cast<std::size_t>(token) >= token_bytes.size()) return false;
  const std::string& bytes = token_bytes[static_cast<std::size_t>(token)];
  if (!bytes.empty() && bytes.front() == ' ') return true;
  // whisper: `subword.strip() in string.punctuation`, a substring test (the empty string passes too)
  const auto first = bytes.find_first_not_of(" \t\n\r\f\v");
  const std::string stripped =
      first == std::string::npos ? "" : bytes.substr(first, bytes.find_last_not_of(" \t\n\r\f\v") - first + 1);
  return kPunctuation.find(stripped) != std::string::npos;
}

std::unique_ptr<StreamingPolicy> make_streaming_policy(StreamingPolicyKind kind, const PolicyParameters& parameters,
                                                       std::shared_ptr<const TokenBytes> token_bytes,
                                                       const SpecialTokens& special) {
  if (kind == StreamingPolicyKind::LocalAgreement) return std::make_unique<LocalAgreementPolicy>(special);
  return std::make_unique<AlignAttPolicy>(parameters, std::move(token_bytes), special);
}

int32_t greedy_token(const std::vector<float>& logits, const PolicyInput& input, const SpecialTokens& special) {
  std::vector<float> filtered = logits;
  if (input.suppress_blank) suppress_tokens(filtered, {input.blank_token, special.eot});
  suppress_tokens(filtered, input.suppressed);
  const auto best = std::max_element(filtered.begin(), filtered.end());
  if (best == filtered.end() || std::isinf(*best) || std::isnan(*best)) return special.eot;
  return static_cast<int32_t>(best - filtered.begin());
}

std::size_t complete_words_prefix(const std::vector<int32_t>& tokens, const TokenBytes& token_bytes,
                                  const SpecialTokens& special) {
  for (std::size_t i = tokens.size(); i-- > 1;) {
    if (starts_word(tokens[i], token_bytes, special)) return i;
  }
  return 0;
}

}  // namespace verbatim
