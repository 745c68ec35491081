#include "whisper/alignatt_policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "whisper/alignment.h"
#include "whisper/decoding.h"

namespace verbatim {
namespace {

constexpr int kMedianFilterWidth = 7;

void check_cancelled(const PolicyInput& input) {
  if (input.cancelled && input.cancelled()) throw Cancelled();
}

}  // namespace

void AttendedFrames::add(const float* attention, int rows) {
  for (int r = 0; r < rows; ++r) {
    const float* row = attention + static_cast<std::size_t>(r) * cells();
    for (std::size_t i = 0; i < cells(); ++i) {
      sum_[i] += row[i];
      square_[i] += static_cast<double>(row[i]) * row[i];
    }
    if (r == rows - 1) newest_.assign(row, row + cells());
  }
  rows_ += rows;
}

int AttendedFrames::newest_frame(int content_frames) const {
  if (rows_ == 0) throw std::logic_error("AttendedFrames has no attention yet");
  std::vector<double> averaged(static_cast<std::size_t>(frames_), 0.0);
  std::vector<float> row(static_cast<std::size_t>(frames_));
  for (int h = 0; h < heads_; ++h) {
    for (int f = 0; f < frames_; ++f) {
      const std::size_t i = static_cast<std::size_t>(h) * frames_ + f;
      const double mean = sum_[i] / rows_;
      const double std = std::sqrt(std::max(0.0, square_[i] / rows_ - mean * mean));
      row[static_cast<std::size_t>(f)] = std > 0 ? static_cast<float>((newest_[i] - mean) / std) : 0.0f;
    }
    median_filter_rows(row, 1, frames_, kMedianFilterWidth);
    for (int f = 0; f < frames_; ++f) averaged[static_cast<std::size_t>(f)] += row[static_cast<std::size_t>(f)];
  }
  const int end = std::clamp(content_frames, 1, frames_);
  return static_cast<int>(std::max_element(averaged.begin(), averaged.begin() + end) - averaged.begin());
}

AlignAttPolicy::AlignAttPolicy(const PolicyParameters& parameters, std::shared_ptr<const TokenBytes> token_bytes,
                               const SpecialTokens& special)
    : parameters_(parameters),
      token_bytes_(token_bytes ? std::move(token_bytes) : std::make_shared<const TokenBytes>()),
      special_(special),
      last_attended_frame_(-parameters.rewind_threshold) {
  if (parameters_.alignment_heads.empty()) {
    throw std::invalid_argument("AlignAtt streaming needs the model's alignment heads");
  }
  if (parameters_.frame_threshold < 0 || parameters_.final_frame_threshold < 0 || parameters_.rewind_threshold < 0) {
    throw std::invalid_argument("AlignAtt frame thresholds cannot be negative");
  }
}

PolicyUpdate AlignAttPolicy::update(WhisperRunner& runner, const PolicyInput& input) {
  const WhisperDims& dims = runner.dims();
  const HeadList& heads = parameters_.alignment_heads;
  const auto n_text_ctx = static_cast<std::size_t>(dims.n_text_ctx);
  std::vector<int32_t> tokens = input.prompt;
  tokens.insert(tokens.end(), input.forced.begin(), input.forced.end());
  if (tokens.empty() || tokens.size() >= n_text_ctx) return {};

  AttendedFrames attended(static_cast<int>(heads.size()), dims.n_audio_ctx);
  std::vector<float> attention;
  std::vector<float> logits(static_cast<std::size_t>(dims.n_vocab));
  check_cancelled(input);
  runner.truncate_cache(0);
  runner.decode(tokens.data(), static_cast<int>(tokens.size()), logits.data(), heads, &attention);
  attended.add(attention.data(), static_cast<int>(tokens.size()));

  const int threshold = input.is_last ? parameters_.final_frame_threshold : parameters_.frame_threshold;
  PolicyInput step = input;
  std::vector<int32_t> fresh;
  while (tokens.size() < n_text_ctx) {
    step.suppress_blank = input.suppress_blank && fresh.empty();
    const int32_t token = greedy_token(logits, step, special_);
    if (token == special_.eot) break;
    // The logits came from the last fed token's query, whose attention row is the newest: it placed `token`.
    const int frame = attended.newest_frame(input.content_frames);
    if (!input.is_last && last_attended_frame_ - frame > parameters_.rewind_threshold) {
      if (tokens.back() < special_.eot) {  // attention jumped back mid-text: this update's tokens are not trusted
        last_attended_frame_ = -parameters_.rewind_threshold;
        fresh.clear();
        break;
      }
    }
    last_attended_frame_ = frame;
    if (input.content_frames - frame <= threshold) break;  // the audio after it may still change it

    fresh.push_back(token);
    tokens.push_back(token);
    if (tokens.size() >= n_text_ctx) break;
    check_cancelled(input);
    attention.clear();
    runner.decode(&token, 1, logits.data(), heads, &attention);
    attended.add(attention.data(), 1);
  }

  PolicyUpdate update;
  const std::size_t keep = input.is_last ? fresh.size() : complete_words_prefix(fresh, *token_bytes_, special_);
  update.committed.assign(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(keep));
  update.tentative.assign(fresh.begin() + static_cast<std::ptrdiff_t>(keep), fresh.end());
  return update;
}

}  // namespace verbatim
