#include "parakeet/tdt_decoding.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "transcript/cancelled.h"

namespace verbatim {
namespace {

// Where decoding stands: the frame, the zero-duration decisions made at it, the tokens emitted, and the
// log-probability of every decision so far (tokens and blanks, softmax over the tokens and the blank).
struct Position {
  int t = 0;
  int symbols = 0;
  std::size_t emitted = 0;
  double logprob = 0;
};

// Frames after a term's last piece with nothing emitted (0.32 s, the live policy's pause): the term ends there. Without
// it a term begun could wait over the rest of the audio, and be decoded again from every place one begins.
constexpr int kTermPauseFrames = 4;

// The prediction network's slots (TransducerRunner::save_prediction): where a term began, and where it ended.
constexpr int kTermStartSlot = 0;
constexpr int kTermEndSlot = 1;

}  // namespace

std::vector<TdtToken> greedy_tdt(TransducerRunner& runner, int frames, const TdtOptions& options) {
  const int V = options.vocab_size;
  const int D = static_cast<int>(options.durations.size());
  if (V <= 0 || D <= 0 || runner.joint_width() != V + 1 + D) {
    throw std::invalid_argument("greedy_tdt: the joint is " + std::to_string(runner.joint_width()) +
                                " wide, not V + 1 + durations");
  }
  std::vector<float> logits(static_cast<std::size_t>(runner.joint_width()));
  const auto logit = [&logits](int i) { return logits[static_cast<std::size_t>(i)]; };
  std::vector<TdtToken> out;
  Position at;

  // The model's own decision at the current frame: the argmax over the tokens and the blank, and the duration's.
  const auto evaluate = [&] {
    if (options.cancelled && options.cancelled()) throw Cancelled();
    runner.joint(at.t, logits.data());
    options.mask.apply(logits.data());
    int token = 0;
    for (int i = 1; i <= V; ++i) {
      if (logit(i) > logit(token)) token = i;
    }
    int best_duration = 0;
    for (int i = 1; i < D; ++i) {
      if (logit(V + 1 + i) > logit(V + 1 + best_duration)) best_duration = i;
    }
    return std::pair<int, int>{token, options.durations[static_cast<std::size_t>(best_duration)]};
  };
  // Makes a decision: a token is emitted (its probability the model's own), then the frame advances.
  const auto apply = [&](int token, int duration) {
    const float chosen = logit(token);
    double sum = 0;
    float second = -INFINITY;
    for (int i = 0; i <= V; ++i) {
      sum += std::exp(static_cast<double>(logit(i) - chosen));
      if (i != token) second = std::max(second, logit(i));
    }
    at.logprob -= std::log(sum);
    if (token != V) {
      out.resize(at.emitted);  // tokens of a term taken back go
      out.push_back({token, at.t, duration, static_cast<float>(1.0 / sum), chosen - second});
      ++at.emitted;
      runner.advance_prediction(token);
    } else if (duration == 0) {
      duration = 1;  // a blank never stays on its frame
    }
    at.symbols += 1;
    if (duration > 0) {
      at.symbols = 0;
    } else if (at.symbols >= options.max_symbols) {
      duration = 1;
      at.symbols = 0;
    }
    at.t += duration;
  };

  // Boosting (transducer/phrase_boost.h): where the model emits a token, the tree's scores choose which. A term begun
  // is decoded on as long as its pieces win; if it stops before it is whole, or runs on into more of the same word,
  // decoding goes back to where it began and decodes that step as the model has it (the bonus given back). A whole
  // term is then weighed against the model's own reading of the same frames: kept when its log-probability plus its
  // bonus is at least the model's own, as a beam search over the two would choose; else decoding goes back to where
  // it began, as for a term that did not finish.
  PhraseBoostWalk boost(options.boost);
  std::optional<Position> term;  // where the term being decoded began
  PhraseBoostWalk boost_at_term;
  bool unboosted = false;  // the next step is decoded as the model has it
  int term_piece_at = 0;   // the frame of the term's last piece
  const auto take_back = [&] {
    at = *term;
    boost = boost_at_term;
    runner.restore_prediction(kTermStartSlot);
    term.reset();
    unboosted = true;
  };
  const auto settle_term = [&](int t_end) {
    const Position term_end = at;
    const std::vector<TdtToken> term_tokens(out.begin() + static_cast<std::ptrdiff_t>(term->emitted),
                                            out.begin() + static_cast<std::ptrdiff_t>(at.emitted));
    runner.save_prediction(kTermEndSlot);
    at = *term;
    runner.restore_prediction(kTermStartSlot);
    while (at.t < t_end) {
      const auto [token, duration] = evaluate();
      apply(token, duration);
    }
    if (term_end.logprob + static_cast<double>(boost.bonus()) < at.logprob) {
      take_back();  // from the term's start once more, with the other terms still boosted
      return;
    }
    out.resize(term->emitted);
    out.insert(out.end(), term_tokens.begin(), term_tokens.end());
    at = term_end;
    runner.restore_prediction(kTermEndSlot);
    term.reset();
    boost.restart();
  };

  for (;;) {
    if (at.t >= frames) {
      if (!term) break;
      if (boost.whole()) {
        settle_term(frames);
      } else {
        take_back();  // the audio ended inside a term
      }
      continue;
    }
    if (term && at.t - term_piece_at > kTermPauseFrames) {
      if (boost.whole()) {
        settle_term(at.t);
      } else {
        take_back();  // a pause inside the term
      }
      continue;
    }
    auto [token, duration] = evaluate();
    if (boost.active() && !unboosted) {
      if (token != V) {
        token = boost.choose(logits.data());
      } else if (const int32_t next = boost.overrule_blank(logits.data(), logit(V)); next >= 0) {
        token = next;
      }
    }
    if (token != V && boost.active()) {
      if (unboosted) {
        boost.restart();  // a term taken back is not begun again at the same step
      } else {
        const PhraseBoostWalk before = boost;
        boost.advance(token);
        if (term && boost.depth() != before.depth() + 1) {
          // The token does not go on with the term: it is whole and a new word follows, or it never finishes.
          boost = before;
          if (before.whole() && !boost.joins_word(token)) {
            settle_term(at.t);
          } else {
            take_back();
          }
          continue;
        }
        if (!term && boost.depth() == 1) {
          term = at;
          boost_at_term = before;
          runner.save_prediction(kTermStartSlot);
        }
        if (term) term_piece_at = at.t;
      }
    }
    unboosted = false;
    apply(token, duration);
  }
  out.resize(at.emitted);
  if (options.boost.joiner && options.boost.strength > 0) join_terms(*options.boost.joiner, out, &TdtToken::token);
  return out;
}

}  // namespace verbatim
