#include <doctest/doctest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "alignment.h"
#include "decoding.h"
#include "special_tokens.h"
#include "support/scripted_runner.h"

using namespace verbatim;
using verbatim::testing::ScriptedRunner;

TEST_CASE("dynamic time warping follows openai's dtw_cpu, ties included") {
  // Expected paths from openai/whisper timing.dtw_cpu on the same matrices.
  std::vector<double> x;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 9; ++j) x.push_back(((i * 7 + j * 13) % 11) / 10.0 - (std::abs(j - 2 * i) <= 1 ? 1.0 : 0.0));
  }
  const std::vector<std::pair<int, int>> expected = {{0, 0}, {0, 1}, {1, 1}, {1, 2}, {1, 3}, {2, 3},
                                                     {2, 4}, {2, 5}, {3, 5}, {3, 6}, {3, 7}, {3, 8}};
  CHECK(dynamic_time_warping(x, 4, 9) == expected);

  const std::vector<std::pair<int, int>> ties = {{0, 0}, {1, 0}, {2, 0}, {2, 1}, {2, 2}, {2, 3}, {2, 4}};
  CHECK(dynamic_time_warping(std::vector<double>(15, 0.0), 3, 5) == ties);
  CHECK_THROWS_AS(dynamic_time_warping({}, 0, 0), std::invalid_argument);
}

TEST_CASE("median filter of width 7 with reflect padding, as timing.median_filter") {
  std::vector<float> rows = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 0, 0, 0, 10, 0, 0, 0, 0, 0, -1};
  median_filter_rows(rows, 2, 10, 7);
  CHECK(rows == std::vector<float>{1, 3, 3, 3, 4, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  std::vector<float> short_row = {1, 5, 2, 8};
  median_filter_rows(short_row, 1, 4, 7);
  CHECK(short_row == std::vector<float>{5, 2, 5, 2});
  std::vector<float> too_short = {1, 5, 2};
  median_filter_rows(too_short, 1, 3, 7);
  CHECK(too_short == std::vector<float>{1, 5, 2});
}

TEST_CASE("token timings follow a diagonal attention pattern") {
  const SpecialTokens special = SpecialTokens::for_vocabulary(51865);
  ScriptedRunner runner;
  const std::vector<int32_t> sot_sequence = {special.sot, special.language_token(0), special.transcribe};
  const std::vector<int32_t> text = {1000, 1001, 1002, 1003};
  const int first_row = static_cast<int>(sot_sequence.size());  // <|notimestamps|> predicts the first token
  constexpr int kBlock = 40;                                      // encoder frames per token: 0.8 s

  // Row r (the query predicting text token r) attends to frames [r * 40, r * 40 + 40); the other rows attend
  // everywhere. Two heads, the second noisier.
  runner.attention_script = [&](const std::vector<int32_t>& context, int, int head, std::vector<float>& frames) {
    const int row = static_cast<int>(context.size()) - 1 - first_row;
    if (row < 0 || row > static_cast<int>(text.size())) return;
    std::fill(frames.begin(), frames.end(), head == 0 ? 0.0f : 0.0001f);
    for (int f = row * kBlock; f < (row + 1) * kBlock; ++f) frames[f] = 1.0f;
    float sum = 0;
    for (float w : frames) sum += w;
    for (float& w : frames) w /= sum;
  };
  // After each token the next text token gets logit 3 against zeros.
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    const int row = static_cast<int>(context.size()) - 1 - first_row;
    if (row >= 0 && row < static_cast<int>(text.size())) logits[text[row]] = 3.0f;
  };

  const int num_frames = 2 * 300;  // 6 s of audio: 300 encoder frames
  const std::vector<TokenTiming> timings =
      align_tokens(runner, sot_sequence, text, num_frames, {{0, 1}, {1, 0}});
  REQUIRE(timings.size() == text.size());
  const double expected_probability = std::exp(3.0) / (std::exp(3.0) + special.eot - 1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    CAPTURE(i);
    CHECK(timings[i].token == text[i]);
    CHECK(timings[i].start == doctest::Approx(0.8 * static_cast<double>(i + 0)).epsilon(0.03));
    CHECK(timings[i].end == doctest::Approx(0.8 * static_cast<double>(i + 1)).epsilon(0.03));
    CHECK(timings[i].probability == doctest::Approx(expected_probability));
  }
  // The alignment pass: the sot sequence at once, then one token per call up to eot, heads requested.
  REQUIRE(runner.decode_calls.size() == 1 + 1 + text.size() + 1);
  CHECK(runner.decode_calls.front() == sot_sequence);
  CHECK(runner.decode_calls[1] == std::vector<int32_t>{special.notimestamps});
  CHECK(runner.decode_calls.back() == std::vector<int32_t>{special.eot});

  CHECK(align_tokens(runner, sot_sequence, {}, num_frames, {{0, 1}}).empty());
  CHECK_THROWS_AS(align_tokens(runner, sot_sequence, text, num_frames, {}), std::invalid_argument);
  bool cancel = true;
  CHECK_THROWS_AS(align_tokens(runner, sot_sequence, text, num_frames, {{0, 1}}, [&] { return cancel; }), Cancelled);
}
