#include "whisper/local_agreement_policy.h"

#include <algorithm>

#include "whisper/decoding.h"

namespace verbatim {

PolicyUpdate LocalAgreementPolicy::update(WhisperRunner& runner, const PolicyInput& input) {
  const WhisperDims& dims = runner.dims();
  const auto n_text_ctx = static_cast<std::size_t>(dims.n_text_ctx);
  std::vector<int32_t> tokens = input.prompt;
  tokens.insert(tokens.end(), input.forced.begin(), input.forced.end());
  if (tokens.empty() || tokens.size() >= n_text_ctx) return {};

  std::vector<float> logits(static_cast<std::size_t>(dims.n_vocab));
  if (input.cancelled && input.cancelled()) throw Cancelled();
  runner.truncate_cache(0);
  runner.decode(tokens.data(), static_cast<int>(tokens.size()), logits.data(), {}, nullptr);
  std::vector<int32_t> hypothesis;
  PolicyInput step = input;
  const std::size_t most = n_text_ctx / 2;
  while (tokens.size() < n_text_ctx && hypothesis.size() < most) {
    step.suppress_blank = input.suppress_blank && hypothesis.empty();
    const int32_t token = greedy_token(logits, step, special_);
    if (token == special_.eot) break;
    hypothesis.push_back(token);
    tokens.push_back(token);
    if (input.cancelled && input.cancelled()) throw Cancelled();
    runner.decode(&token, 1, logits.data(), {}, nullptr);
  }

  PolicyUpdate update;
  std::size_t agreed = hypothesis.size();
  if (!input.is_last) {
    agreed = static_cast<std::size_t>(
        std::mismatch(hypothesis.begin(), hypothesis.end(), previous_.begin(), previous_.end()).first -
        hypothesis.begin());
  }
  update.committed.assign(hypothesis.begin(), hypothesis.begin() + static_cast<std::ptrdiff_t>(agreed));
  update.tentative.assign(hypothesis.begin() + static_cast<std::ptrdiff_t>(agreed), hypothesis.end());
  previous_ = input.is_last ? std::vector<int32_t>{} : update.tentative;
  return update;
}

}  // namespace verbatim
