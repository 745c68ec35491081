// LocalAgreement-2 (Macháček et al. 2023, whisper_streaming): decode the window to its end on every update and
// commit the longest prefix two consecutive updates agree on. Kept for comparison with AlignAtt in the
// streaming benchmark; it needs no alignment heads but decodes the whole hypothesis every time.
#pragma once

#include <memory>
#include <vector>

#include "whisper/streaming_policy.h"

namespace verbatim {

class LocalAgreementPolicy final : public StreamingPolicy {
 public:
  explicit LocalAgreementPolicy(const SpecialTokens& special) : special_(special) {}

  PolicyUpdate update(WhisperRunner& runner, const PolicyInput& input) override;
  void shift_frames(int) override {}
  void reset() override { previous_.clear(); }

 private:
  SpecialTokens special_;
  std::vector<int32_t> previous_;  // the last update's uncommitted hypothesis
};

}  // namespace verbatim
