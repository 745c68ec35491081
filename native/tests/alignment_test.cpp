#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "whisper/alignment.h"
#include "whisper/decoding.h"
#include "formats/json.h"
#include "whisper/special_tokens.h"
#include "support/scripted_runner.h"
#include "support/synthetic_model.h"

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

TEST_CASE("token timings match openai's find_alignment on synthetic attention") {
  // data/alignment_reference.json: openai/whisper timing.find_alignment driven by a fake model whose cross-attention
  // scores are attention_scores() below and whose logits are synthetic_logits (one word per token, so its word
  // timings are token timings).
  const std::string here = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/'));
  const std::string path = here + "/data/alignment_reference.json";
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const json::Value reference = json::parse(std::string(std::istreambuf_iterator<char>(in), {}), path);
  const auto number = [](const json::Value& value) { return std::stod(value.number_text()); };

  const SpecialTokens special = SpecialTokens::for_vocabulary(51865);
  const std::vector<int32_t> sot_sequence = {special.sot, special.language_token(0), special.transcribe};
  int cases = 0;
  for (const json::Value& expected : reference.items()) {
    const int index = static_cast<int>(*expected.find("case")->as_int64());
    CAPTURE(index);
    // Scores for the query at `position`: a bump moving 13..34 frames per token (one token out of order in
    // every third case) over hashed noise; the runner returns their softmax over all frames.
    const auto attention_scores = [index](int layer, int head, int position, std::vector<float>& frames) {
      const int text_position = position - 3;
      const int step = 13 + 7 * (index % 4);
      double center = 10 + step * std::max(text_position, 0) + 3 * head - 2 * layer;
      if (index % 3 == 2 && text_position == 2) center += 4 * step;
      std::vector<double> scores(frames.size());
      double max = -1e300;
      for (std::size_t f = 0; f < frames.size(); ++f) {
        const uint32_t noise = verbatim::testing::mix32(static_cast<uint32_t>(layer * 7 + head * 13 + position * 1009 +
                                                                              index * 7919) +
                                                        static_cast<uint32_t>(f) * 2654435761u);
        const double z = (static_cast<double>(f) - center) / 9.0;
        scores[f] = 5.0 * std::exp(-z * z) + static_cast<double>(noise % 1000) / 1000.0;
        max = std::max(max, scores[f]);
      }
      double sum = 0;
      for (double& score : scores) sum += (score = std::exp(score - max));
      for (std::size_t f = 0; f < frames.size(); ++f) frames[f] = static_cast<float>(scores[f] / sum);
    };
    ScriptedRunner runner;
    runner.attention_script = [&](const std::vector<int32_t>& context, int layer, int head, std::vector<float>& frames) {
      attention_scores(layer, head, static_cast<int>(context.size()) - 1, frames);
    };
    runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
      verbatim::testing::synthetic_logits(context, static_cast<uint32_t>(1 + index), logits);
    };
    std::vector<int32_t> text;
    for (const json::Value& token : expected.find("text")->items()) text.push_back(static_cast<int32_t>(*token.as_int64()));
    HeadList heads;
    for (const json::Value& pair : expected.find("heads")->items()) {
      heads.emplace_back(static_cast<int>(*pair.items()[0].as_int64()), static_cast<int>(*pair.items()[1].as_int64()));
    }
    const int num_frames = static_cast<int>(*expected.find("num_frames")->as_int64());
    const std::vector<TokenTiming> timings = align_tokens(runner, sot_sequence, text, num_frames, heads);

    const auto& starts = expected.find("start")->items();
    const auto& ends = expected.find("end")->items();
    const auto& probabilities = expected.find("probability")->items();
    REQUIRE(timings.size() == starts.size());
    for (std::size_t i = 0; i < timings.size(); ++i) {
      CAPTURE(i);
      CHECK(timings[i].start == doctest::Approx(number(starts[i])));
      CHECK(timings[i].end == doctest::Approx(number(ends[i])));
      CHECK(timings[i].probability == doctest::Approx(number(probabilities[i])).epsilon(1e-5));
    }
    ++cases;
  }
  CHECK(cases == 6);
}
