#include "parakeet/tdt_decoding.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "transcript/cancelled.h"

namespace verbatim {

std::vector<TdtToken> greedy_tdt(TransducerRunner& runner, int frames, const TdtOptions& options) {
  const int V = options.vocab_size;
  const int D = static_cast<int>(options.durations.size());
  if (V <= 0 || D <= 0 || runner.joint_width() != V + 1 + D) {
    throw std::invalid_argument("greedy_tdt: the joint is " + std::to_string(runner.joint_width()) +
                                " wide, not V + 1 + durations");
  }
  std::vector<float> logits(static_cast<std::size_t>(runner.joint_width()));
  std::vector<TdtToken> out;
  PhraseBoostWalk boost(options.boost);
  int t = 0, symbols = 0;
  while (t < frames) {
    if (options.cancelled && options.cancelled()) throw Cancelled();
    runner.joint(t, logits.data());
    int token = 0;
    for (int i = 1; i <= V; ++i) {
      if (logits[static_cast<std::size_t>(i)] > logits[static_cast<std::size_t>(token)]) token = i;
    }
    int best_duration = 0;
    for (int i = 1; i < D; ++i) {
      if (logits[static_cast<std::size_t>(V + 1 + i)] > logits[static_cast<std::size_t>(V + 1 + best_duration)]) {
        best_duration = i;
      }
    }
    int duration = options.durations[static_cast<std::size_t>(best_duration)];
    if (token != V && boost.active()) token = boost.choose(logits.data());
    if (token != V) {
      const float top = logits[static_cast<std::size_t>(token)];
      double sum = 0;
      float second = -INFINITY;
      for (int i = 0; i <= V; ++i) {
        sum += std::exp(static_cast<double>(logits[static_cast<std::size_t>(i)] - top));
        if (i != token) second = std::max(second, logits[static_cast<std::size_t>(i)]);
      }
      out.push_back({token, t, duration, static_cast<float>(1.0 / sum), top - second});
      runner.advance_prediction(token);
      boost.advance(token);
    } else if (duration == 0) {
      duration = 1;  // a blank never stays on its frame
    }
    symbols += 1;
    if (duration > 0) {
      symbols = 0;
    } else if (symbols >= options.max_symbols) {
      duration = 1;
      symbols = 0;
    }
    t += duration;
  }
  return out;
}

}  // namespace verbatim
