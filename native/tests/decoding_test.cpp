#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "whisper/decoding.h"
#include "formats/json.h"
#include "whisper/language.h"
#include "whisper/logit_filters.h"
#include "whisper/special_tokens.h"
#include "support/scripted_runner.h"
#include "support/synthetic_model.h"
#include "whisper/token_text.h"

using namespace verbatim;
using verbatim::testing::at_prompt_end;
using verbatim::testing::sampled_tokens;
using verbatim::testing::ScriptedRunner;

namespace {

const SpecialTokens kV2 = SpecialTokens::for_vocabulary(51865);
constexpr int32_t kHello = 1000, kWorld = 1001, kBlank = 220;
constexpr float kSure = 30.0f;  // a logit that takes nearly all the probability against zeros

int32_t ts(double seconds) { return kV2.timestamp_begin + static_cast<int32_t>(std::lround(seconds / 0.02)); }

// Step k of the sampling loop (k tokens sampled) gets logits[token] = value for each pair of steps[k]; steps
// past the plan favour eot.
ScriptedRunner::LogitsScript plan(std::vector<std::map<int32_t, float>> steps, const SpecialTokens& special = kV2) {
  return [steps, special](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (!at_prompt_end(context, special) && sampled_tokens(context, special).empty()) return;  // inside the prompt
    const std::size_t step = sampled_tokens(context, special).size();
    if (step >= steps.size()) {
      logits[special.eot] = kSure;
      return;
    }
    for (const auto& [token, value] : steps[step]) logits[token] = value;
  };
}

DecodingOptions english(bool timestamps = true) {
  DecodingOptions options;
  options.language_token = kV2.language_token(0);
  options.timestamps = timestamps;
  return options;
}

DecodingResult decode_once(ScriptedRunner& runner, const DecodingOptions& options, float temperature = 0.0f,
                           std::shared_ptr<const TokenBytes> table = nullptr) {
  DecodingTask task(runner, options, std::move(table));
  return task.run(temperature, {});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("special tokens match the reference table for every Whisper vocabulary") {
  const std::string path = std::string(VERBATIM_REFERENCE_DIR) + "/special-tokens.json";
  const json::Value table = json::parse(read_file(path), path);
  for (int n_vocab : {51864, 51865, 51866}) {
    CAPTURE(n_vocab);
    const json::Value* entry = table.find(std::to_string(n_vocab));
    REQUIRE(entry != nullptr);
    const auto field = [&](const char* name) { return static_cast<int32_t>(*entry->find(name)->as_int64()); };
    const SpecialTokens s = SpecialTokens::for_vocabulary(n_vocab);
    CHECK(s.eot == field("eot"));
    CHECK(s.sot == field("sot"));
    CHECK(s.first_language == field("first_language"));
    CHECK(s.n_languages == field("languages"));
    CHECK(s.translate == field("translate"));
    CHECK(s.transcribe == field("transcribe"));
    CHECK(s.startoflm == field("startoflm"));
    CHECK(s.startofprev == field("startofprev"));
    CHECK(s.nospeech == field("nospeech"));
    CHECK(s.notimestamps == field("notimestamps"));
    CHECK(s.timestamp_begin == field("timestamp_begin"));
    CHECK(n_vocab - s.timestamp_begin == 1501);  // 0.00 .. 30.00 s
    CHECK(s.multilingual() == (n_vocab != 51864));
  }
  CHECK_THROWS_AS(SpecialTokens::for_vocabulary(51000), std::invalid_argument);
}

TEST_CASE("language codes follow Whisper's token order; yue exists only in v3 vocabularies") {
  const auto& codes = whisper_language_codes();
  REQUIRE(codes.size() == 100);
  CHECK(codes[0] == "en");
  CHECK(codes[2] == "de");
  CHECK(codes[98] == "su");
  CHECK(codes[99] == "yue");
  CHECK(language_token_for_code(kV2, "de") == 50261);
  CHECK(language_token_for_code(kV2, "yue") == -1);
  CHECK(language_token_for_code(SpecialTokens::for_vocabulary(51866), "yue") == 50358);
  CHECK(language_token_for_code(kV2, "xx") == -1);
}

TEST_CASE("token text is decoded, stripped and compressed as Python whisper does") {
  const TokenBytes table = {"\xE2\x82", "a", "\xFF\xFE", "b", " \xE3\x80\x80hi\xC2\xA0 "};
  CHECK(decode_tokens({0, 1}, table, 100) == "\xEF\xBF\xBD" "a");
  CHECK(decode_tokens({2, 3}, table, 100) == "\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  CHECK(decode_tokens({1, 3, 99, -5}, table, 100) == "ab");  // ids outside the table decode to nothing
  CHECK(decode_tokens({1, 3}, table, 3) == "a");             // ids from the limit on (timestamps) are left out
  CHECK(strip_whitespace(decode_tokens({4}, table, 100)) == "hi");
  CHECK(strip_whitespace(" \t\n") == "");
  // Values from Python: len(b) / len(zlib.compress(b)).
  CHECK(compression_ratio("hello hello hello hello hello") == doctest::Approx(29.0 / 17.0));
  CHECK(compression_ratio("And so my fellow Americans, ask not what your country can do for you, ask what you can "
                          "do for your country.") == doctest::Approx(107.0 / 79.0));
  CHECK(compression_ratio("") == 0.0);
}

TEST_CASE("the prompt is previous text after startofprev, then the sot sequence; it is fed once") {
  ScriptedRunner runner;
  runner.logits_script = plan({{{kHello, kSure}}});

  SUBCASE("timestamps off, no previous text") {
    DecodingOptions options = english(false);
    DecodingTask task(runner, options, nullptr);
    const DecodingResult result = task.run(0.0f, {});
    CHECK(result.tokens == std::vector<int32_t>{kHello});
    CHECK(task.initial_tokens() == std::vector<int32_t>{kV2.sot, kV2.language_token(0), kV2.transcribe,
                                                          kV2.notimestamps});
    // Up to <|sot|> (for the no-speech probability), the rest of the prompt, then one token per step.
    REQUIRE(runner.decode_calls.size() == 3);
    CHECK(runner.decode_calls[0] == std::vector<int32_t>{kV2.sot});
    CHECK(runner.decode_calls[1] == std::vector<int32_t>{kV2.language_token(0), kV2.transcribe, kV2.notimestamps});
    CHECK(runner.decode_calls[2] == std::vector<int32_t>{kHello});

    // A second attempt restarts from the cached prompt.
    task.run(0.0f, {});
    REQUIRE(runner.decode_calls.size() == 4);
    CHECK(runner.decode_calls[3] == std::vector<int32_t>{kHello});
  }
  SUBCASE("previous text keeps its last n_text_ctx / 2 - 1 tokens; translate task") {
    DecodingOptions options = english(true);
    options.task = Task::Translate;
    for (int i = 0; i < 300; ++i) options.prompt.push_back(2000 + i);
    DecodingTask task(runner, options, nullptr);
    task.run(0.0f, {});
    const std::vector<int32_t>& prompt = task.initial_tokens();
    REQUIRE(prompt.size() == 1 + 223 + 3);
    CHECK(prompt[0] == kV2.startofprev);
    CHECK(prompt[1] == 2000 + 300 - 223);
    CHECK(prompt[223] == 2000 + 299);
    CHECK(std::vector<int32_t>(prompt.end() - 3, prompt.end()) ==
          std::vector<int32_t>{kV2.sot, kV2.language_token(0), kV2.translate});
    CHECK(runner.decode_calls[0].size() == 225);  // through <|sot|>
  }
  SUBCASE("English-only models take no language or task token") {
    const SpecialTokens en = SpecialTokens::for_vocabulary(51864);
    ScriptedRunner english_only(verbatim::testing::scripted_dims(51864));
    english_only.logits_script = plan({{{kHello, kSure}}}, en);
    DecodingOptions options;
    options.timestamps = false;
    DecodingTask task(english_only, options, nullptr);
    const DecodingResult result = task.run(0.0f, {});
    CHECK(task.initial_tokens() == std::vector<int32_t>{en.sot, en.notimestamps});
    CHECK(result.language_token == -1);
    CHECK(result.tokens == std::vector<int32_t>{kHello});
  }
}

TEST_CASE("suppressed tokens and the always-suppressed special tokens are never chosen") {
  ScriptedRunner runner;
  runner.logits_script = plan({{{kHello, 5.0f}, {kWorld, 6.0f}, {kV2.nospeech, 9.0f}, {kV2.sot, 9.0f},
                                {kV2.transcribe, 9.0f}, {kV2.translate, 9.0f}, {kV2.startofprev, 9.0f},
                                {kV2.startoflm, 9.0f}}});
  DecodingOptions options = english(false);
  CHECK(decode_once(runner, options).tokens == std::vector<int32_t>{kWorld});
  options.suppress_tokens = {kWorld};
  CHECK(decode_once(runner, options).tokens == std::vector<int32_t>{kHello});
}

TEST_CASE("blank and eot are suppressed at the first sampled step only") {
  ScriptedRunner runner;
  runner.logits_script = plan({{{kBlank, 9.0f}, {kV2.eot, 8.0f}, {kHello, 1.0f}}, {{kBlank, 9.0f}}});
  DecodingOptions options = english(false);
  CHECK(decode_once(runner, options).tokens == std::vector<int32_t>{kHello, kBlank});
  options.suppress_blank = false;
  CHECK(decode_once(runner, options).tokens == std::vector<int32_t>{kBlank, kBlank});
}

TEST_CASE("timestamp rules: first token, pairs, monotonic, initial limit, probability mass") {
  const auto finite = [](const std::vector<float>& logits, int32_t token) { return std::isfinite(logits[token]); };
  std::vector<float> logits(kV2.n_vocab, 0.0f);

  SUBCASE("the first token is a timestamp no later than the initial limit") {
    apply_timestamp_rules(logits, {}, kV2, 50);
    CHECK_FALSE(finite(logits, kHello));
    CHECK_FALSE(finite(logits, kV2.eot));
    CHECK_FALSE(finite(logits, kV2.notimestamps));
    CHECK(finite(logits, ts(0.0)));
    CHECK(finite(logits, ts(1.0)));
    CHECK_FALSE(finite(logits, ts(1.02)));
  }
  SUBCASE("without a limit every timestamp may start") {
    apply_timestamp_rules(logits, {}, kV2, std::nullopt);
    CHECK(finite(logits, kV2.n_vocab - 1));
  }
  SUBCASE("after text and a timestamp (an open pair) comes a timestamp no earlier, or eot") {
    logits[kHello] = 10.0f;
    logits[kV2.eot] = 10.0f;  // (eot counts as text for the probability-mass rule)
    apply_timestamp_rules(logits, {ts(0.0), kHello, ts(2.0)}, kV2, 50);
    CHECK_FALSE(finite(logits, kHello));
    CHECK(finite(logits, kV2.eot));
    CHECK_FALSE(finite(logits, ts(1.98)));
    CHECK(finite(logits, ts(2.0)));
    CHECK(finite(logits, ts(29.0)));
  }
  SUBCASE("after a closed pair comes text, and later timestamps must move forward") {
    apply_timestamp_rules(logits, {ts(0.0), kHello, ts(2.0), ts(2.0)}, kV2, 50);
    CHECK_FALSE(finite(logits, ts(3.0)));
    CHECK(finite(logits, kHello));
    std::vector<float> later(kV2.n_vocab, 0.0f);
    later[kHello] = 10.0f;
    apply_timestamp_rules(later, {ts(0.0), kHello, ts(2.0), ts(2.0), kWorld}, kV2, 50);
    CHECK_FALSE(finite(later, ts(2.0)));  // a segment has a non-zero length
    CHECK(finite(later, ts(2.02)));
    CHECK(finite(later, kHello));
  }
  SUBCASE("timestamps together more probable than any text token force a timestamp") {
    // 1501 timestamps at 0 against one text token at 5: logsumexp = ln(1501) = 7.3 > 5.
    logits[kHello] = 5.0f;
    apply_timestamp_rules(logits, {ts(0.0), kWorld}, kV2, 50);
    CHECK_FALSE(finite(logits, kHello));
    CHECK(finite(logits, ts(0.02)));
    std::vector<float> text_wins(kV2.n_vocab, 0.0f);
    text_wins[kHello] = 8.0f;
    apply_timestamp_rules(text_wins, {ts(0.0), kWorld}, kV2, 50);
    CHECK(finite(text_wins, kHello));
  }
}

TEST_CASE("decoding with timestamps follows the rules through the scripted model") {
  ScriptedRunner runner;
  // The model would start with text, leave a pair open and put a timestamp after a closed pair; the rules
  // force <|0.00|> first, close the open pair, and take text after the closed one.
  runner.logits_script = plan({{{kHello, 20.0f}, {ts(0.0), 10.0f}, {ts(5.0), 12.0f}},
                               {{kHello, 20.0f}},
                               {{ts(1.0), 20.0f}},
                               {{kWorld, 30.0f}, {ts(1.0), 5.0f}},
                               {{ts(0.5), 30.0f}, {kWorld, 10.0f}},
                               {{kV2.eot, 20.0f}}});
  const DecodingResult result = decode_once(runner, english(true));
  CHECK(result.tokens == std::vector<int32_t>{ts(0.0), kHello, ts(1.0), ts(1.0), kWorld});
}

TEST_CASE("no-speech probability is read at <|sot|>; average log-probability counts eot") {
  ScriptedRunner runner;
  const auto steps = plan({{{kHello, kSure}}, {{kWorld, 2.0f}}, {{kV2.eot, kSure}}});
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (context.back() == kV2.sot) logits[kV2.nospeech] = 12.0f;
    steps(context, logits);
  };
  const DecodingResult result = decode_once(runner, english(false));
  const double expected_no_speech = std::exp(12.0) / (std::exp(12.0) + (kV2.n_vocab - 1));
  CHECK(result.no_speech_prob == doctest::Approx(expected_no_speech));
  REQUIRE(result.tokens == std::vector<int32_t>{kHello, kWorld});
  const double world_logprob = 2.0 - std::log(std::exp(2.0) + (kV2.n_vocab - 1 - 6));  // 6 suppressed ids
  CHECK(result.sum_logprob == doctest::Approx(world_logprob).epsilon(1e-6));
  CHECK(result.avg_logprob == doctest::Approx(result.sum_logprob / 3));
}

TEST_CASE("decoding stops at sample_len") {
  ScriptedRunner runner;
  runner.logits_script = [](const std::vector<int32_t>&, std::vector<float>& logits) { logits[kHello] = kSure; };
  DecodingOptions options = english(false);
  options.sample_len = 5;
  const DecodingResult result = decode_once(runner, options);
  CHECK(result.tokens == std::vector<int32_t>(5, kHello));
  CHECK(runner.cached_tokens() == 4 + 4);  // the last sampled token is never fed
}

TEST_CASE("temperature fallback: repetitive text and low log-probability move on; silence stops") {
  auto table = std::make_shared<TokenBytes>(kV2.eot);
  (*table)[kHello] = " the";
  (*table)[kWorld] = " world";
  ScriptedRunner runner;
  std::vector<float> temperatures_seen;
  FallbackOptions fallback;
  DecodingHooks hooks;
  hooks.on_token = [&](const TokenEvent& event) {
    if (temperatures_seen.empty() || temperatures_seen.back() != event.temperature) {
      temperatures_seen.push_back(event.temperature);
    }
  };

  SUBCASE("a repetitive result (compression ratio above 2.4) falls back through every temperature") {
    runner.logits_script = [](const std::vector<int32_t>& context, std::vector<float>& logits) {
      logits[sampled_tokens(context, kV2).size() < 20 ? kHello : kV2.eot] = kSure;
    };
    DecodingTask task(runner, english(false), table);
    const DecodingResult result = decode_with_fallback(task, fallback, hooks);
    CHECK(result.compression_ratio > 2.4);
    CHECK(result.temperature == 1.0f);
    CHECK(temperatures_seen == std::vector<float>{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f});
  }
  SUBCASE("a confident varied result is kept at temperature 0") {
    runner.logits_script = plan({{{kHello, kSure}}, {{kWorld, kSure}}});
    DecodingTask task(runner, english(false), table);
    const DecodingResult result = decode_with_fallback(task, fallback, hooks);
    CHECK(result.temperature == 0.0f);
    CHECK(result.compression_ratio < 2.4);
    CHECK(temperatures_seen == std::vector<float>{0.0f});
  }
  SUBCASE("an improbable result (average log-probability below -1) falls back") {
    runner.logits_script = plan({{{kHello, 1.0f}}});  // nearly flat: log p ~ -10
    DecodingTask task(runner, english(false), table);
    const DecodingResult first = task.run(0.0f, {});
    CHECK(first.avg_logprob < -1.0);
    CHECK(needs_fallback(first, fallback));
    CHECK_FALSE(is_silence(first, fallback));
  }
  SUBCASE("an improbable result with a high no-speech probability is silence: no fallback") {
    const auto steps = plan({{{kHello, 1.0f}}});
    runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
      if (context.back() == kV2.sot) logits[kV2.nospeech] = kSure;
      steps(context, logits);
    };
    DecodingTask task(runner, english(false), table);
    const DecodingResult result = decode_with_fallback(task, fallback, hooks);
    CHECK(result.no_speech_prob > 0.99);
    CHECK(temperatures_seen == std::vector<float>{0.0f});
    CHECK(is_silence(result, fallback));
    fallback.no_speech_threshold.reset();
    CHECK(needs_fallback(result, fallback));
  }
}

TEST_CASE("sampling above temperature 0 is deterministic for a seed") {
  ScriptedRunner runner;
  runner.logits_script = [](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (sampled_tokens(context, kV2).size() >= 12) {
      logits[kV2.eot] = kSure;
      return;
    }
    for (int32_t t = kHello; t < kHello + 8; ++t) logits[t] = 20.0f;  // eight equally likely tokens
  };
  const auto sample = [&](uint64_t seed) {
    DecodingOptions options = english(false);
    options.seed = seed;
    return decode_once(runner, options, 1.0f).tokens;
  };
  const std::vector<int32_t> first = sample(7);
  CHECK(first.size() == 12);
  CHECK(sample(7) == first);
  CHECK(sample(8) != first);
  for (int32_t token : first) CHECK((token >= kHello && token < kHello + 8));
  CHECK(decode_once(runner, english(false), 0.0f).tokens == std::vector<int32_t>(12, kHello));  // greedy: first max
}

TEST_CASE("cancellation stops decoding before the next model call") {
  ScriptedRunner runner;
  runner.logits_script = [](const std::vector<int32_t>&, std::vector<float>& logits) { logits[kHello] = kSure; };
  bool cancel = false;
  int calls_after_cancel = 0;
  runner.before_decode = [&] { calls_after_cancel += cancel ? 1 : 0; };
  DecodingHooks hooks;
  int tokens_seen = 0;
  hooks.on_token = [&](const TokenEvent&) { cancel = ++tokens_seen == 3; };
  hooks.cancelled = [&] { return cancel; };
  DecodingTask task(runner, english(false), nullptr);
  CHECK_THROWS_AS(task.run(0.0f, hooks), Cancelled);
  CHECK(tokens_seen == 3);
  CHECK(calls_after_cancel == 0);
}

TEST_CASE("language detection picks the most probable language token; a window without a language detects it") {
  ScriptedRunner runner;
  const int32_t german = kV2.language_token(2);
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (context == std::vector<int32_t>{kV2.sot}) {
      logits[kV2.language_token(0)] = 2.0f;
      logits[german] = 3.0f;
      logits[kHello] = 50.0f;  // not a language: ignored
      return;
    }
    logits[sampled_tokens(context, kV2).empty() ? kHello : kV2.eot] = kSure;
  };
  const std::vector<float> mel(80 * 3000, 0.0f);
  const LanguageDetection detection = detect_language(runner, mel.data());
  CHECK(detection.token == german);
  REQUIRE(detection.probabilities.size() == 99);
  const double rest = 97.0;  // the other languages at logit 0
  CHECK(detection.probabilities[2] == doctest::Approx(std::exp(3.0) / (std::exp(3.0) + std::exp(2.0) + rest)));
  CHECK(runner.cached_tokens() == 0);

  DecodingOptions options = english(false);
  options.language_token = -1;
  const DecodingResult result = decode_once(runner, options);
  CHECK(result.language_token == german);
  CHECK(result.tokens == std::vector<int32_t>{kHello});

  ScriptedRunner english_only(verbatim::testing::scripted_dims(51864));
  CHECK_THROWS_AS(detect_language(english_only, mel.data()), std::invalid_argument);
}

TEST_CASE("one-window decoding matches openai's DecodingTask on synthetic logits") {
  const std::string here = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/'));
  const std::string path = here + "/data/decoding_reference.json";
  const json::Value reference = json::parse(read_file(path), path);
  const auto table = std::make_shared<const TokenBytes>(verbatim::testing::synthetic_token_bytes());
  const auto ints = [](const json::Value& array) {
    std::vector<int32_t> out;
    for (const json::Value& item : array.items()) out.push_back(static_cast<int32_t>(*item.as_int64()));
    return out;
  };
  const auto number = [](const json::Value& value) { return std::stod(value.number_text()); };

  int cases = 0;
  for (const json::Value& expected : reference.find("windows")->items()) {
    const int seek = static_cast<int>(*expected.find("seek")->as_int64());
    CAPTURE(seek);
    CAPTURE(expected.find("timestamps")->as_bool());
    ScriptedRunner runner;
    runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
      verbatim::testing::synthetic_logits(context, static_cast<uint32_t>(runner.encoded_windows.back()[0]), logits);
    };
    std::vector<float> window(80 * 3000, 0.0f);
    window[0] = static_cast<float>(seek + 1);
    runner.encode(window.data());

    DecodingOptions options = english(expected.find("timestamps")->as_bool());
    options.suppress_tokens = {5, 6, 7};
    options.prompt = ints(*expected.find("prompt"));
    if (expected.find("translate")->as_bool()) options.task = Task::Translate;
    const DecodingResult result = decode_once(runner, options, 0.0f, table);
    CHECK(result.tokens == ints(*expected.find("tokens")));
    CHECK(result.avg_logprob == doctest::Approx(number(*expected.find("avg_logprob"))).epsilon(1e-5));
    CHECK(result.no_speech_prob == doctest::Approx(number(*expected.find("no_speech_prob"))).epsilon(1e-4));
    CHECK(result.compression_ratio == doctest::Approx(number(*expected.find("compression_ratio"))).epsilon(1e-12));
    ++cases;
  }
  CHECK(cases == 40);
}
