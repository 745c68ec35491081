#include "speakers/speaker_cache.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace verbatim {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Indices of the `count` largest of `values` (ties: the earlier first), in no particular order.
std::vector<int> top_indices(const std::vector<float>& values, int count) {
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  count = std::min<int>(count, static_cast<int>(values.size()));
  std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](int a, int b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  order.resize(count);
  return order;
}

}  // namespace

SpeakerCache::SpeakerCache(const SpeakerCachePolicy& policy, int fifo_length, int update_period, int hidden)
    : policy_(policy), fifo_length_(fifo_length), update_period_(update_period), hidden_(hidden) {
  const int budget = policy.cache_length / policy.speakers - policy.silence_frames;
  min_positive_scores_ = static_cast<int>(std::floor(budget * policy.min_positive_scores_rate));
  strong_boosted_ = static_cast<int>(std::floor(budget * policy.strong_boost_rate));
  weak_boosted_ = static_cast<int>(std::floor(budget * policy.weak_boost_rate));
}

std::vector<float> SpeakerCache::input(const float* chunk, int chunk_rows) const {
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(cached_frames() + chunk_rows) * hidden_);
  out.insert(out.end(), cache_embeds_.begin(), cache_embeds_.begin() + static_cast<std::ptrdiff_t>(cache_frames_) * hidden_);
  out.insert(out.end(), fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(fifo_frames_) * hidden_);
  out.insert(out.end(), chunk, chunk + static_cast<std::ptrdiff_t>(chunk_rows) * hidden_);
  return out;
}

void SpeakerCache::update(const std::vector<float>& input, int input_rows, const std::vector<float>& logits,
                          int chunk_frames, int valid_rows, const std::vector<float>& silence) {
  const int S = policy_.speakers, factor = policy_.subsampling;
  // speaker probabilities at the encoder frame rate: sigmoid, then the mean over each frame's `factor` rows
  std::vector<float> probs(static_cast<std::size_t>(input_rows) * S, 0.0f);
  for (int r = 0; r < std::min(input_rows, valid_rows); ++r) {
    for (int s = 0; s < S; ++s) {
      float sum = 0;
      for (int k = 0; k < factor; ++k) sum += sigmoid(logits[(static_cast<std::size_t>(r) * factor + k) * S + s]);
      probs[static_cast<std::size_t>(r) * S + s] = sum / static_cast<float>(factor);
    }
  }
  const std::size_t d = static_cast<std::size_t>(hidden_);
  const int chunk_start = cache_frames_ + fifo_frames_;
  std::vector<float> fifo(fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(fifo_frames_ * d));
  fifo.insert(fifo.end(), input.begin() + static_cast<std::ptrdiff_t>(chunk_start * d),
              input.begin() + static_cast<std::ptrdiff_t>((chunk_start + chunk_frames) * d));
  const int fifo_rows = fifo_frames_ + chunk_frames;

  int popped = 0;
  if (fifo_rows > fifo_length_) popped = std::min(std::max(update_period_, fifo_rows - fifo_length_), fifo_rows);
  if (popped > 0) {
    // an uncompressed cache holds plain earlier frames, whose probabilities this step estimated again; a compressed
    // one is out of order, so the probabilities stored with its frames are the only ones
    std::vector<float> embeds(cache_embeds_.begin(), cache_embeds_.begin() + static_cast<std::ptrdiff_t>(cache_frames_ * d));
    std::vector<float> cache_probs =
        compressed_ ? std::vector<float>(cache_probs_.begin(), cache_probs_.begin() + static_cast<std::ptrdiff_t>(cache_frames_) * S)
                    : std::vector<float>(probs.begin(), probs.begin() + static_cast<std::ptrdiff_t>(cache_frames_) * S);
    embeds.insert(embeds.end(), fifo.begin(), fifo.begin() + static_cast<std::ptrdiff_t>(popped * d));
    cache_probs.insert(cache_probs.end(), probs.begin() + static_cast<std::ptrdiff_t>(cache_frames_) * S,
                       probs.begin() + static_cast<std::ptrdiff_t>(cache_frames_ + popped) * S);
    fifo.erase(fifo.begin(), fifo.begin() + static_cast<std::ptrdiff_t>(popped * d));
    int frames = cache_frames_ + popped;
    if (frames > policy_.cache_length) {
      compress(embeds, cache_probs, frames, silence);
      frames = policy_.cache_length;
      compressed_ = true;
    }
    cache_embeds_ = std::move(embeds);
    cache_probs_ = std::move(cache_probs);
    cache_frames_ = frames;
  }
  fifo_ = std::move(fifo);
  fifo_frames_ = fifo_rows - popped;
}

std::vector<float> SpeakerCache::frame_scores(const std::vector<float>& probs, int frames) const {
  const int S = policy_.speakers;
  const float threshold = policy_.score_threshold;
  std::vector<float> scores(static_cast<std::size_t>(frames) * S);
  std::vector<int> positives(S, 0);
  for (int f = 0; f < frames; ++f) {
    const float* p = probs.data() + static_cast<std::size_t>(f) * S;
    float complements = 0;
    for (int s = 0; s < S; ++s) complements += std::log(std::max(1.0f - p[s], threshold));
    for (int s = 0; s < S; ++s) {
      float score = std::log(std::max(p[s], threshold)) - std::log(std::max(1.0f - p[s], threshold)) + complements -
                    static_cast<float>(std::log(0.5));
      if (!(p[s] > 0.5f)) score = -kInfinity;
      scores[static_cast<std::size_t>(f) * S + s] = score;
      if (score > 0) ++positives[s];
    }
  }
  // a speaker with enough positively scored frames keeps none of its speech frames that score 0 or less (overlaps)
  for (int f = 0; f < frames; ++f) {
    for (int s = 0; s < S; ++s) {
      float& score = scores[static_cast<std::size_t>(f) * S + s];
      const bool speech = probs[static_cast<std::size_t>(f) * S + s] > 0.5f;
      if (speech && !(score > 0) && positives[s] >= min_positive_scores_) score = -kInfinity;
    }
  }
  return scores;
}

void SpeakerCache::boost(std::vector<float>& scores, int frames, int count, float amount) const {
  const int S = policy_.speakers;
  if (count <= 0) return;
  std::vector<float> column(frames);
  for (int s = 0; s < S; ++s) {
    for (int f = 0; f < frames; ++f) column[f] = scores[static_cast<std::size_t>(f) * S + s];
    for (int f : top_indices(column, count)) scores[static_cast<std::size_t>(f) * S + s] += amount;
  }
}

void SpeakerCache::compress(std::vector<float>& embeds, std::vector<float>& probs, int frames,
                            const std::vector<float>& silence) const {
  const int S = policy_.speakers, L = policy_.cache_length, silent = policy_.silence_frames;
  std::vector<float> scores = frame_scores(probs, frames);
  // the frames beyond the cache's capacity are the ones just moved from the FIFO
  for (int f = L; f < frames; ++f) {
    for (int s = 0; s < S; ++s) scores[static_cast<std::size_t>(f) * S + s] += policy_.latest_frames_boost;
  }
  boost(scores, frames, strong_boosted_, static_cast<float>(-2.0 * std::log(0.5)));
  boost(scores, frames, weak_boosted_, static_cast<float>(-std::log(0.5)));

  // speaker-major: speaker s's frames, then its `silent` silence slots (scored +infinity, always kept)
  const int scored = frames + silent;
  std::vector<float> flat(static_cast<std::size_t>(S) * scored);
  for (int s = 0; s < S; ++s) {
    for (int f = 0; f < scored; ++f) {
      flat[static_cast<std::size_t>(s) * scored + f] = f < frames ? scores[static_cast<std::size_t>(f) * S + s] : kInfinity;
    }
  }
  std::vector<int> kept = top_indices(flat, L);
  const int sentinel = scored * S;
  for (int& index : kept) {
    if (flat[index] == -kInfinity) index = sentinel;
  }
  std::sort(kept.begin(), kept.end());
  const std::size_t d = static_cast<std::size_t>(hidden_);
  std::vector<float> out_embeds(static_cast<std::size_t>(L) * d), out_probs(static_cast<std::size_t>(L) * S, 0.0f);
  for (int i = 0; i < L; ++i) {
    const int frame = kept[i] == sentinel ? frames : std::min(kept[i] % scored, frames);
    const float* source = frame == frames ? silence.data() : embeds.data() + frame * d;
    std::copy(source, source + d, out_embeds.begin() + static_cast<std::ptrdiff_t>(i * d));
    if (frame < frames) {
      std::copy(probs.begin() + static_cast<std::ptrdiff_t>(frame) * S, probs.begin() + static_cast<std::ptrdiff_t>(frame + 1) * S,
                out_probs.begin() + static_cast<std::ptrdiff_t>(i) * S);
    }
  }
  embeds = std::move(out_embeds);
  probs = std::move(out_probs);
}

}  // namespace verbatim
