// openai's BeamSearchDecoder, best_of sampling and MaximumLikelihoodRanker, checked step by step on scripted logits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "whisper/decoding.h"
#include "whisper/special_tokens.h"
#include "support/scripted_runner.h"

using namespace verbatim;
using verbatim::testing::sampled_tokens;
using verbatim::testing::ScriptedRunner;

namespace {

const SpecialTokens kV2 = SpecialTokens::for_vocabulary(51865);
constexpr int32_t kA = 1000, kB = 1001, kC = 1002, kD = 1003, kFirstDistractor = 2000;
constexpr float kSure = 30.0f;
// Logits on top of kScale take all the probability from the vocabulary's zeros: p(token) ~ exp(logit - kScale).
constexpr float kScale = 30.0f;

DecodingOptions english() {
  DecodingOptions options;
  options.language_token = kV2.language_token(0);
  options.timestamps = false;
  return options;
}

DecodingOptions english_seeded(uint64_t seed) {
  DecodingOptions options = english();
  options.seed = seed;
  return options;
}

DecodingResult decode_once(ScriptedRunner& runner, const DecodingOptions& options, float temperature = 0.0f) {
  DecodingTask task(runner, options, nullptr);
  return task.run(temperature, {});
}

// First step: A (log p -1), B (-1.5) and 20 distractors sharing the rest (-3.9 each). A then ends; B goes on
// through C and D, then ends. So greedy stops after A, while beams find B C D, whose log-probability per token
// (-0.5) beats A's (-1.0). Any other context is flat.
void a_or_bcd(const std::vector<int32_t>& context, std::vector<float>& logits) {
  if (!verbatim::testing::at_prompt_end(context, kV2) && sampled_tokens(context, kV2).empty()) return;
  const std::vector<int32_t> sampled = sampled_tokens(context, kV2);
  using Tokens = std::vector<int32_t>;
  if (sampled.empty()) {
    logits[kA] = kScale - 1.0f;
    logits[kB] = kScale - 1.5f;
    const float rest = 1.0f - std::exp(-1.0f) - std::exp(-1.5f);
    for (int32_t t = kFirstDistractor; t < kFirstDistractor + 20; ++t) logits[t] = kScale + std::log(rest / 20);
  } else if (sampled == Tokens{kA} || sampled == Tokens{kB, kC, kD}) {
    logits[kV2.eot] = kSure;
  } else if (sampled == Tokens{kB}) {
    logits[kC] = kSure;
  } else if (sampled == Tokens{kB, kC}) {
    logits[kD] = kSure;
  }
}

}  // namespace

TEST_CASE("beam search finds the sequence that greedy decoding misses, and ranks by log-probability per token") {
  ScriptedRunner runner;
  runner.logits_script = a_or_bcd;
  CHECK(decode_once(runner, english()).tokens == std::vector<int32_t>{kA});

  DecodingOptions beams = english();
  beams.beam_size = 2;
  const DecodingResult result = decode_once(runner, beams);
  CHECK(result.tokens == std::vector<int32_t>{kB, kC, kD});
  CHECK(result.sum_logprob == doctest::Approx(-1.5).epsilon(1e-4));
  CHECK(result.avg_logprob == doctest::Approx(-1.5 / 4).epsilon(1e-4));  // eot counts, as openai
  CHECK(runner.beam_selections.front() == std::vector<int>{0, 0});  // the prompt forks into two beams

  SUBCASE("a length penalty of 0 ranks by the summed log-probability: A") {
    beams.length_penalty = 0.0;
    CHECK(decode_once(runner, beams).tokens == std::vector<int32_t>{kA});
  }
  SUBCASE("the Google NMT penalty ((5 + length) / 6) ^ 1 still prefers A (-1.0 against -1.5 / (8 / 6))") {
    beams.length_penalty = 1.0;
    CHECK(decode_once(runner, beams).tokens == std::vector<int32_t>{kA});
  }
  SUBCASE("patience 0.5 stops at the first finished sequence; the unfinished beams complete the candidates") {
    beams.patience = 0.5;  // round(2 * 0.5) = 1 finished sequence ends the search
    CHECK(decode_once(runner, beams).tokens == std::vector<int32_t>{kB, kC});  // -1.5 / 2 beats A's -1.0
  }
  SUBCASE("five beams find the same; the fallback loop reuses the prompt") {
    beams.beam_size = 5;
    DecodingTask task(runner, beams, nullptr);
    CHECK(task.run(0.0f, {}).tokens == std::vector<int32_t>{kB, kC, kD});
    CHECK(task.run(0.0f, {}).tokens == std::vector<int32_t>{kB, kC, kD});
  }
}

TEST_CASE("beam size 1 is greedy decoding; beams apply the timestamp rules per beam") {
  ScriptedRunner runner;
  runner.logits_script = a_or_bcd;
  DecodingOptions one = english();
  one.beam_size = 1;
  CHECK(decode_once(runner, one).tokens == decode_once(runner, english()).tokens);

  DecodingOptions timed = english();
  timed.timestamps = true;
  timed.beam_size = 3;
  ScriptedRunner timed_runner;
  timed_runner.logits_script = [](const std::vector<int32_t>& context, std::vector<float>& logits) {
    const std::size_t n = sampled_tokens(context, kV2).size();
    logits[n < 4 ? kA : kV2.eot] = kSure;
  };
  const DecodingResult result = decode_once(timed_runner, timed);
  REQUIRE_FALSE(result.tokens.empty());
  CHECK(kV2.is_timestamp(result.tokens.front()));  // the first token of every beam is a timestamp
}

TEST_CASE("best_of keeps the most probable of its samples; sampling order is fixed by the seed") {
  // A (p 0.5) then eot; or B (p 0.5) then one of four equal tokens, then eot: -0.69 per token against -1.04.
  ScriptedRunner runner;
  runner.logits_script = [](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (!verbatim::testing::at_prompt_end(context, kV2) && sampled_tokens(context, kV2).empty()) return;
    const std::vector<int32_t> sampled = sampled_tokens(context, kV2);
    if (sampled.empty()) {
      logits[kA] = logits[kB] = kScale;
    } else if (sampled.size() == 1 && sampled[0] == kB) {
      for (int32_t t = kC; t < kC + 4; ++t) logits[t] = kScale;
    } else {
      logits[kV2.eot] = kSure;
    }
  };
  int a_alone = 0, a_of_five = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DecodingOptions options = english();
    options.seed = seed;
    a_alone += decode_once(runner, options, 1.0f).tokens == std::vector<int32_t>{kA};
    options.best_of = 5;
    const DecodingResult kept = decode_once(runner, options, 1.0f);
    a_of_five += kept.tokens == std::vector<int32_t>{kA};
    CHECK(decode_once(runner, options, 1.0f).tokens == kept.tokens);
    options.best_of = 1;
    options.beam_size = 5;  // beams apply at temperature 0 only: one sample
    CHECK((decode_once(runner, options, 1.0f).tokens == std::vector<int32_t>{kA}) ==
          (decode_once(runner, english_seeded(seed), 1.0f).tokens == std::vector<int32_t>{kA}));
  }
  CHECK(a_alone < 20);
  CHECK(a_of_five >= 18);  // all five draws take B with probability 1/32
  CHECK(a_of_five > a_alone);
}

TEST_CASE("beam sizes, best_of and patience that keep no candidate are refused") {
  ScriptedRunner runner;
  DecodingOptions options = english();
  options.beam_size = 0;
  CHECK_THROWS_AS(DecodingTask(runner, options, nullptr), std::invalid_argument);
  options = english();
  options.best_of = 0;
  CHECK_THROWS_AS(DecodingTask(runner, options, nullptr), std::invalid_argument);
  options = english();
  options.beam_size = 2;
  options.patience = 0.2;  // round(0.4) = 0
  CHECK_THROWS_AS(DecodingTask(runner, options, nullptr), std::invalid_argument);
}
