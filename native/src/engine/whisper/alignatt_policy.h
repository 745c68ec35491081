// AlignAtt (Simul-Whisper / SimulStreaming simul_whisper.py): decode greedily after the committed tokens and,
// for each new token, find the encoder frame its alignment heads attend to most; stop before the first token
// that attends too close to the end of the received audio, because the audio after it may still change it.
#pragma once

#include <memory>
#include <vector>

#include "whisper/streaming_policy.h"

namespace verbatim {

class AlignAttPolicy final : public StreamingPolicy {
 public:
  AlignAttPolicy(const PolicyParameters& parameters, std::shared_ptr<const TokenBytes> token_bytes,
                 const SpecialTokens& special);

  PolicyUpdate update(WhisperRunner& runner, const PolicyInput& input) override;
  void shift_frames(int frames) override { last_attended_frame_ -= frames; }
  void reset() override { last_attended_frame_ = -parameters_.rewind_threshold; }

 private:
  PolicyParameters parameters_;
  std::shared_ptr<const TokenBytes> token_bytes_;
  SpecialTokens special_;
  int last_attended_frame_;
};

// The frame the newest token attends to, from the alignment heads' cross-attention of every token fed in this
// update: each head z-scored per frame across tokens, the newest row median-filtered (width 7) along frames,
// averaged over heads, and its argmax within the first `content_frames` frames. Rows are added one token at a
// time; the per-frame sums make each token's frame cost O(heads x frames).
class AttendedFrames {
 public:
  AttendedFrames(int heads, int frames) : heads_(heads), frames_(frames), sum_(cells()), square_(cells()) {}

  // Adds `rows` tokens' attention laid out [token][head][frame].
  void add(const float* attention, int rows);
  // The newest token's most attended frame in [0, content_frames).
  int newest_frame(int content_frames) const;
  int rows() const { return rows_; }

 private:
  std::size_t cells() const { return static_cast<std::size_t>(heads_) * frames_; }

  int heads_, frames_;
  int rows_ = 0;
  std::vector<double> sum_, square_;  // per head and frame, over rows
  std::vector<float> newest_;         // the newest row, [head][frame]
};

}  // namespace verbatim
