#include "nemotron/nemotron_stream.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "conformer/cache_aware_encoder.h"
#include "transcript/cancelled.h"

namespace verbatim {
namespace {

int chunk_frames(bool first, int lookahead) { return cache_aware_chunk_frames(first, lookahead); }

}  // namespace

NemotronStream::NemotronStream(NemotronRunner& runner, const NemotronConfig& config, int lookahead, int prompt,
                               const PhraseBoost& boost, TokenMask mask)
    : runner_(runner), config_(config), lookahead_(lookahead), mel_(config.features) {
  if (lookahead < 0) throw std::invalid_argument("the right context cannot be negative");
  state_ = runner_.new_stream(prompt < 0 ? config.default_prompt : prompt, boost, std::move(mask));
  row_.resize(static_cast<std::size_t>(config.features.n_mels));
}

std::size_t NemotronStream::chunk_samples() const {
  return static_cast<std::size_t>(chunk_frames(false, lookahead_)) * static_cast<std::size_t>(config_.features.hop_length);
}

std::vector<DecodedToken> NemotronStream::push(const float* samples, std::size_t n,
                                               const std::function<bool()>& cancelled) {
  if (finished_) throw std::logic_error("the stream has finished");
  audio_.insert(audio_.end(), samples, samples + n);
  received_ += static_cast<int64_t>(n);
  // Frame t reads samples up to t * hop + n_fft / 2 - 1.
  const int64_t hop = config_.features.hop_length, half = config_.features.n_fft / 2;
  compute_frames(received_ >= half ? (received_ - half) / hop + 1 : 0);
  return decode_ready(false, cancelled);
}

std::vector<DecodedToken> NemotronStream::finish(StreamEnd end, const std::function<bool()>& cancelled) {
  if (finished_) throw std::logic_error("the stream has finished");
  finished_ = true;
  end_ = received_;
  // The valid frames of a centred pass over the whole: samples / hop (samples past the end read as zeros).
  compute_frames(received_ / config_.features.hop_length);
  std::vector<DecodedToken> tokens = decode_ready(false, cancelled);
  const int n_mels = config_.features.n_mels;
  const int have = static_cast<int>(pending_.size() / static_cast<std::size_t>(n_mels));
  std::vector<DecodedToken> rest;
  if (have > 0 && end == StreamEnd::Offline) {
    rest = decode(have, true, cancelled);
  } else if (have > 0) {
    pending_.resize(static_cast<std::size_t>(chunk_frames(first_chunk_, lookahead_)) * n_mels, 0.0f);
    rest = decode(chunk_frames(first_chunk_, lookahead_), false, cancelled);
  }
  tokens.insert(tokens.end(), rest.begin(), rest.end());
  const std::vector<DecodedToken> settled = runner_.end_stream(*state_);  // a boosted term left open never finishes
  tokens.insert(tokens.end(), settled.begin(), settled.end());
  return tokens;
}

void NemotronStream::compute_frames(int64_t until) {
  const int64_t hop = config_.features.hop_length, half = config_.features.n_fft / 2;
  const double preemphasis = config_.features.preemphasis;
  const auto emphasised = [&](int64_t i) -> double {
    if (i < 0 || (end_ >= 0 && i >= end_)) return 0.0;
    const double x = audio_[static_cast<std::size_t>(i - audio_start_)];
    return i == 0 ? x : x - preemphasis * static_cast<double>(audio_[static_cast<std::size_t>(i - 1 - audio_start_)]);
  };
  const int n_mels = config_.features.n_mels;
  for (; next_frame_ < until; ++next_frame_) {
    mel_.frame(emphasised, next_frame_, row_.data());
    for (int m = 0; m < n_mels; ++m) pending_.push_back(static_cast<float>(row_[static_cast<std::size_t>(m)]));
  }
  // Keep the samples the next frame reads, and the one before them (its pre-emphasis).
  const int64_t keep_from = std::max<int64_t>(0, next_frame_ * hop - half - 1);
  if (keep_from > audio_start_) {
    const int64_t drop = std::min<int64_t>(keep_from - audio_start_, static_cast<int64_t>(audio_.size()));
    audio_.erase(audio_.begin(), audio_.begin() + drop);
    audio_start_ += drop;
  }
}

std::vector<DecodedToken> NemotronStream::decode_ready(bool last, const std::function<bool()>& cancelled) {
  std::vector<DecodedToken> tokens;
  const auto n_mels = static_cast<std::size_t>(config_.features.n_mels);
  while (pending_.size() >= static_cast<std::size_t>(chunk_frames(first_chunk_, lookahead_)) * n_mels) {
    std::vector<DecodedToken> chunk = decode(chunk_frames(first_chunk_, lookahead_), last, cancelled);
    tokens.insert(tokens.end(), chunk.begin(), chunk.end());
  }
  return tokens;
}

std::vector<DecodedToken> NemotronStream::decode(int frames, bool last, const std::function<bool()>& cancelled) {
  const auto n_mels = static_cast<std::size_t>(config_.features.n_mels);
  std::vector<float> rows;
  const std::vector<DecodedToken> tokens = runner_.decode_chunk(
      *state_, pending_.data(), frames, last, lookahead_,
      [&cancelled] {
        if (cancelled && cancelled()) throw Cancelled();
      },
      on_encoded ? &rows : nullptr);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(frames) * n_mels));
  first_chunk_ = false;
  if (on_encoded) on_encoded(rows);
  return tokens;
}

}  // namespace verbatim
