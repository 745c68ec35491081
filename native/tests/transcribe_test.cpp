#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <functional>
#include <memory>
#include <vector>

#include "formats/json.h"
#include "whisper/mel.h"
#include "whisper/special_tokens.h"
#include "support/backends.h"
#include "support/random_weights.h"
#include "support/scripted_runner.h"
#include "support/synthetic_model.h"
#include "whisper/transcribe.h"
#include "whisper/words.h"

using namespace verbatim;
using verbatim::testing::at_prompt_end;
using verbatim::testing::sampled_tokens;
using verbatim::testing::ScriptedRunner;

namespace {

const SpecialTokens kV2 = SpecialTokens::for_vocabulary(51865);
constexpr int32_t kHello = 1000, kWorld = 1001, kSpace = 220;
constexpr float kSure = 30.0f;
const int32_t kGerman = kV2.language_token(2);

int32_t ts(double seconds) { return kV2.timestamp_begin + static_cast<int32_t>(std::lround(seconds / 0.02)); }

// A spectrogram of `content_frames` frames followed by 3000 frames of padding: frame f holds f + 1 in every
// bin, the padding -1, so each encoded window shows where it came from.
Spectrogram numbered_mel(int content_frames) {
  Spectrogram mel;
  mel.n_mels = 80;
  mel.n_frames = content_frames + kWindowFrames;
  mel.data.resize(static_cast<std::size_t>(mel.n_mels) * mel.n_frames);
  for (int m = 0; m < mel.n_mels; ++m) {
    for (int f = 0; f < mel.n_frames; ++f) {
      mel.data[static_cast<std::size_t>(m) * mel.n_frames + f] = f < content_frames ? static_cast<float>(f + 1) : -1;
    }
  }
  return mel;
}

std::shared_ptr<const TokenBytes> token_table() {
  auto table = std::make_shared<TokenBytes>(kV2.eot);
  (*table)[kHello] = " hello";
  (*table)[kWorld] = " world";
  (*table)[kSpace] = " ";
  return table;
}

WhisperTranscribeOptions options_with_language(int32_t language = kV2.language_token(0)) {
  WhisperTranscribeOptions options;
  options.decoding.language_token = language;
  options.token_bytes = token_table();
  return options;
}

// The window start (in frames) of the window the runner last encoded.
int window_seek(const ScriptedRunner& runner) { return static_cast<int>(runner.encoded_windows.back()[0]) - 1; }

// Logits from a per-window plan: tokens(seek) is what the window at `seek` says, token by token, then eot.
// At <|sot|> the no-speech logit is nospeech(seek).
ScriptedRunner::LogitsScript window_plan(ScriptedRunner& runner, std::function<std::vector<int32_t>(int)> tokens,
                                         std::function<float(int)> nospeech = nullptr) {
  return [&runner, tokens, nospeech](const std::vector<int32_t>& context, std::vector<float>& logits) {
    const int seek = window_seek(runner);
    if (context == std::vector<int32_t>{kV2.sot}) logits[kGerman] = 5.0f;  // language detection
    if (context.back() == kV2.sot && nospeech) logits[kV2.nospeech] = nospeech(seek);
    if (!at_prompt_end(context, kV2) && sampled_tokens(context, kV2).empty()) return;
    const std::vector<int32_t> plan = tokens(seek);
    const std::size_t step = sampled_tokens(context, kV2).size();
    logits[step < plan.size() ? plan[step] : kV2.eot] = kSure;
  };
}

}  // namespace

TEST_CASE("transcribe seeks to the last complete segment and takes the whole last window") {
  ScriptedRunner runner;
  const int content = 6500;  // 65 s
  runner.logits_script = window_plan(runner, [&](int seek) -> std::vector<int32_t> {
    if (seek + kWindowFrames >= content) return {ts(0.0), kHello, ts(4.0)};  // single timestamp at the end
    return {ts(0.0), kHello, ts(5.0), ts(5.0), kWorld, ts(10.0), ts(10.0), kHello};  // last segment unfinished
  });
  WhisperTranscribeOptions options = options_with_language(-1);
  std::vector<std::pair<int, int>> progress;
  std::vector<double> segment_starts;
  TranscribeEvents events;
  events.on_progress = [&](int done, int total) { progress.emplace_back(done, total); };
  events.on_segment = [&](const Segment& segment) { segment_starts.push_back(segment.start); };

  const Transcript transcript = transcribe(runner, numbered_mel(content), options, events);

  CHECK(transcript.language == language_code(kV2, kGerman));
  CHECK(transcript.language_probabilities.size() == 99);
  // Detection encodes the first window, which the first decoding reuses: five windows in all.
  REQUIRE(runner.encoded_windows.size() == 5);
  const std::vector<int> seeks = {0, 1000, 2000, 3000, 4000};
  for (std::size_t i = 0; i < seeks.size(); ++i) CHECK(runner.encoded_windows[i][0] == seeks[i] + 1);
  const std::vector<float>& last = runner.encoded_windows.back();
  CHECK(last[2499] == 6500);  // the last window: 2500 frames of audio, then zeros (not the padding's -1)
  CHECK(last[2500] == 0.0f);
  CHECK(last[kWindowFrames - 1] == 0.0f);
  CHECK(last[kWindowFrames] == 4001);  // the second mel bin starts again at the window's first frame

  REQUIRE(transcript.segments.size() == 4 * 2 + 1);
  for (int w = 0; w < 4; ++w) {
    const Segment& first = transcript.segments[2 * w];
    const Segment& second = transcript.segments[2 * w + 1];
    CHECK(first.seek == seeks[w]);
    CHECK(first.start == doctest::Approx(seeks[w] / 100.0));
    CHECK(first.end == doctest::Approx(seeks[w] / 100.0 + 5));
    CHECK(first.tokens == std::vector<int32_t>{ts(0.0), kHello, ts(5.0)});
    CHECK(second.start == doctest::Approx(seeks[w] / 100.0 + 5));
    CHECK(second.end == doctest::Approx(seeks[w] / 100.0 + 10));
    CHECK(second.tokens == std::vector<int32_t>{ts(5.0), kWorld, ts(10.0)});
  }
  const Segment& tail = transcript.segments.back();
  CHECK(tail.start == doctest::Approx(40.0));
  CHECK(tail.end == doctest::Approx(44.0));
  CHECK(tail.temperature == 0.0f);
  CHECK(segment_starts.size() == transcript.segments.size());
  CHECK(progress == std::vector<std::pair<int, int>>{{1000, 6500}, {2000, 6500}, {3000, 6500}, {4000, 6500},
                                                     {6500, 6500}});
  // Every window's prompt carried the detected language.
  for (const auto& call : runner.decode_calls) {
    if (call.size() >= 2 && call.back() == kV2.transcribe) CHECK(call[call.size() - 2] == kGerman);
  }
}

TEST_CASE("transcribe: consecutive timestamps ending the window close every segment") {
  ScriptedRunner runner;
  runner.logits_script = window_plan(runner, [](int) -> std::vector<int32_t> {
    return {ts(0.0), kHello, ts(3.0), ts(3.0), kWorld, ts(7.0), ts(7.0)};
  });
  const Transcript transcript = transcribe(runner, numbered_mel(4000), options_with_language(), {});
  // Ending with a pair: seek to the last timestamp, 7 s into each window.
  REQUIRE(runner.encoded_windows.size() == 6);
  CHECK(runner.encoded_windows[1][0] == 701);
  CHECK(transcript.segments.size() == 12);
  CHECK(transcript.segments[2].start == doctest::Approx(7.0));
  CHECK(transcript.language_probabilities.empty());
}

TEST_CASE("transcribe without timestamps takes whole windows; a window ending in a timestamp ends there") {
  ScriptedRunner runner;
  SUBCASE("timestamps off") {
    runner.logits_script = window_plan(runner, [](int) -> std::vector<int32_t> { return {kHello, kWorld}; });
    WhisperTranscribeOptions options = options_with_language();
    options.decoding.timestamps = false;
    const Transcript transcript = transcribe(runner, numbered_mel(4500), options, {});
    REQUIRE(transcript.segments.size() == 2);
    CHECK(transcript.segments[0].end == doctest::Approx(30.0));
    CHECK(transcript.segments[1].start == doctest::Approx(30.0));
    CHECK(transcript.segments[1].end == doctest::Approx(45.0));
    CHECK(transcript.segments[1].tokens == std::vector<int32_t>{kHello, kWorld});
  }
}

TEST_CASE("transcribe conditions on previous text, and resets it after a high temperature") {
  ScriptedRunner runner;
  const std::vector<int32_t> said = {ts(0.0), kHello, ts(30.0)};  // one segment, whole window
  runner.logits_script = window_plan(runner, [&](int) { return said; });
  WhisperTranscribeOptions options = options_with_language();
  options.initial_prompt = {kWorld, kWorld};

  // The first prompt call of each window: up to <|sot|>.
  const auto prompts = [&] {
    std::vector<std::vector<int32_t>> result;
    for (const auto& call : runner.decode_calls) {
      if (call.back() == kV2.sot) result.push_back(call);
    }
    return result;
  };

  SUBCASE("previous text follows the initial prompt") {
    transcribe(runner, numbered_mel(9000), options, {});
    const auto p = prompts();
    REQUIRE(p.size() == 3);
    CHECK(p[0] == std::vector<int32_t>{kV2.startofprev, kWorld, kWorld, kV2.sot});
    CHECK(p[1] == std::vector<int32_t>{kV2.startofprev, kWorld, kWorld, ts(0.0), kHello, ts(30.0), kV2.sot});
    CHECK(p[2].size() == 1 + 2 + 6 + 1);
  }
  SUBCASE("condition_on_previous_text off: only the first window sees the initial prompt") {
    options.condition_on_previous_text = false;
    transcribe(runner, numbered_mel(9000), options, {});
    const auto p = prompts();
    REQUIRE(p.size() == 3);
    CHECK(p[0] == std::vector<int32_t>{kV2.startofprev, kWorld, kWorld, kV2.sot});
    CHECK(p[1] == std::vector<int32_t>{kV2.sot});
    CHECK(p[2] == std::vector<int32_t>{kV2.sot});
  }
  SUBCASE("a window decoded above temperature 0.5 is not carried forward") {
    options.fallback.temperatures = {0.6f};
    options.initial_prompt.clear();
    transcribe(runner, numbered_mel(6000), options, {});
    const auto p = prompts();
    REQUIRE(p.size() == 2);
    CHECK(p[1] == std::vector<int32_t>{kV2.sot});
  }
}

TEST_CASE("transcribe skips a silent window and clears segments without text") {
  ScriptedRunner runner;
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    const int seek = window_seek(runner);
    if (context.back() == kV2.sot && seek == 3000) logits[kV2.nospeech] = kSure;
    if (!at_prompt_end(context, kV2) && sampled_tokens(context, kV2).empty()) return;
    const std::size_t step = sampled_tokens(context, kV2).size();
    if (seek == 3000) {  // silence: no-speech at <|sot|> and nothing probable after it
      logits[step == 0 ? ts(0.0) : kV2.eot] = 1.0f;
      return;
    }
    const std::vector<int32_t> plan = seek == 0 ? std::vector<int32_t>{ts(0.0), kHello, ts(30.0)}
                                                : std::vector<int32_t>{ts(0.0), kSpace, ts(20.0)};
    logits[step < plan.size() ? plan[step] : kV2.eot] = kSure;
  };
  const Transcript transcript = transcribe(runner, numbered_mel(8000), options_with_language(), {});
  REQUIRE(runner.encoded_windows.size() == 3);
  REQUIRE(transcript.segments.size() == 2);
  CHECK(transcript.segments[0].tokens == std::vector<int32_t>{ts(0.0), kHello, ts(30.0)});
  CHECK(transcript.segments[1].seek == 6000);
  CHECK(transcript.segments[1].start == doctest::Approx(60.0));
  CHECK(transcript.segments[1].tokens.empty());  // only a space: cleared, as openai does
}

TEST_CASE("transcribe stops at a cancel request within one model call") {
  ScriptedRunner runner;
  runner.logits_script = window_plan(runner, [](int) -> std::vector<int32_t> { return {ts(0.0), kHello, ts(30.0)}; });
  bool cancel = false;
  int calls_after_cancel = 0;
  runner.before_decode = [&] { calls_after_cancel += cancel ? 1 : 0; };
  TranscribeEvents events;
  int tokens = 0;
  events.on_token = [&](const TokenEvent& event, double window_start) {
    CHECK(window_start == 0.0);
    if (event.timestamp) CHECK(*event.timestamp == doctest::Approx(event.token == ts(0.0) ? 0.0 : 30.0));
    cancel = ++tokens == 2;
  };
  events.cancelled = [&] { return cancel; };
  CHECK_THROWS_AS(transcribe(runner, numbered_mel(9000), options_with_language(), events), Cancelled);
  CHECK(calls_after_cancel == 0);
  CHECK(runner.encoded_windows.size() == 1);
}

TEST_CASE("transcribe with word timestamps times every text token and seeks to the last one's end") {
  ScriptedRunner runner;
  const int first_row = 3;  // sot, language, task; then <|notimestamps|> predicts the first text token
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    if (std::find(context.begin(), context.end(), kV2.notimestamps) != context.end()) return;  // alignment pass
    if (!at_prompt_end(context, kV2) && sampled_tokens(context, kV2).empty()) return;
    const std::vector<int32_t> plan = window_seek(runner) == 0
                                          ? std::vector<int32_t>{ts(0.0), kHello, kWorld, ts(6.0), ts(6.0), kHello}
                                          : std::vector<int32_t>{ts(0.0), kWorld, ts(2.0)};
    const std::size_t step = sampled_tokens(context, kV2).size();
    logits[step < plan.size() ? plan[step] : kV2.eot] = kSure;
  };
  // Text token r of the alignment pass attends to encoder frames [100 r, 100 r + 100): 2 s each.
  runner.attention_script = [&](const std::vector<int32_t>& context, int, int, std::vector<float>& frames) {
    const int row = static_cast<int>(context.size()) - 1 - first_row;
    if (row < 0 || row > 3) return;
    std::fill(frames.begin(), frames.end(), 0.0f);
    for (int f = row * 100; f < row * 100 + 100; ++f) frames[f] = 0.01f;
  };
  WhisperTranscribeOptions options = options_with_language();
  options.word_timestamps = true;
  options.alignment_heads = {{1, 0}};
  const Transcript transcript = transcribe(runner, numbered_mel(4000), options, {});

  REQUIRE(transcript.segments.size() >= 2);
  const Segment& first = transcript.segments[0];
  REQUIRE(first.token_timings.size() == 2);
  CHECK(first.token_timings[0].token == kHello);
  CHECK(first.token_timings[0].start == doctest::Approx(0.0));
  CHECK(first.token_timings[0].end == doctest::Approx(2.0));
  CHECK(first.token_timings[1].end == doctest::Approx(4.0));
  // The unfinished segment (hello after 6 s) is left out of the alignment. The window does not end on a single
  // timestamp, so the next window starts where the last timed token ends (4 s), not at <|6.00|>.
  CHECK(runner.encoded_windows[1][0] == 401);
  const Segment& second = transcript.segments[1];
  CHECK(second.seek == 400);
  REQUIRE(second.token_timings.size() == 1);
  CHECK(second.token_timings[0].start == doctest::Approx(4.0));
  CHECK(second.token_timings[0].end == doctest::Approx(6.0));
}

TEST_CASE("transcribe_audio computes the padded spectrogram; English-only models skip language detection") {
  ScriptedRunner runner(verbatim::testing::scripted_dims(51864));
  const SpecialTokens en = SpecialTokens::for_vocabulary(51864);
  runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
    logits[sampled_tokens(context, en).empty() ? kHello : en.eot] = kSure;
  };
  std::vector<float> samples(16000 * 45);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = 0.1f * std::sin(0.05f * static_cast<float>(i));
  WhisperTranscribeOptions options;
  options.decoding.timestamps = false;
  options.token_bytes = token_table();
  const Transcript transcript = transcribe_audio(runner, samples.data(), samples.size(), options, {});
  CHECK(transcript.language == "en");  // English-only: no language token, English
  REQUIRE(transcript.segments.size() == 2);
  CHECK(transcript.segments[1].start == doctest::Approx(30.0));
  CHECK(transcript.segments[1].end == doctest::Approx(45.0));
  CHECK(runner.decode_calls.front() == std::vector<int32_t>{en.sot});
  Spectrogram wrong_bins = numbered_mel(100);
  wrong_bins.n_mels = 128;
  CHECK_THROWS_AS(transcribe(runner, wrong_bins, options, {}), std::invalid_argument);
}


TEST_CASE("transcribe runs end to end on a random model, deterministically, on every backend") {
  WhisperDims dims = verbatim::testing::scripted_dims(51866);
  dims.n_audio_state = 32;
  dims.n_audio_head = 2;
  dims.n_text_state = 32;
  dims.n_text_head = 2;
  const auto weights = verbatim::testing::RandomWhisper::share(std::make_shared<verbatim::testing::RandomWhisper>(
      dims, verbatim::testing::StorageFormat::dense(WeightMatrix::Format::F32), DType::F16, 11));
  const SpecialTokens special = SpecialTokens::for_vocabulary(dims.n_vocab);

  std::vector<float> samples(16000 * 35);
  verbatim::testing::Rng rng(4);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = 0.3f * std::sin(0.03f * static_cast<float>(i)) + rng.uniform(-0.05f, 0.05f);
  }
  auto table = std::make_shared<TokenBytes>(special.eot);
  for (int32_t id = 0; id < special.eot; ++id) (*table)[id] = "t" + std::to_string(id) + " ";
  WhisperTranscribeOptions options;
  options.token_bytes = table;
  options.decoding.sample_len = 8;
  options.decoding.seed = 5;
  options.fallback.temperatures = {0.0f, 0.5f};
  options.word_timestamps = true;
  options.alignment_heads = {{1, 0}, {1, 1}};

  for (const verbatim::testing::TestBackend& backend : verbatim::testing::built_test_backends()) {
    CAPTURE(backend.name);
    const auto run = [&] {
      auto runner = backend.make(weights, 1);
      std::vector<std::pair<int, int>> progress;
      TranscribeEvents events;
      events.on_progress = [&](int done, int total) { progress.emplace_back(done, total); };
      Transcript transcript = transcribe_audio(*runner, samples.data(), samples.size(), options, events);
      REQUIRE_FALSE(progress.empty());
      CHECK(progress.back() == std::pair<int, int>{3500, 3500});
      return transcript;
    };
    const Transcript first = run();
    CHECK(language_token_for_code(special, first.language) >= 0);
    CHECK(first.language_probabilities.size() == 100);
    REQUIRE_FALSE(first.segments.empty());
    for (const Segment& segment : first.segments) {
      CHECK(segment.tokens.size() <= 8);
      for (int32_t token : segment.tokens) CHECK((token >= 0 && token < dims.n_vocab && token != special.eot));
      for (const TokenTiming& timing : segment.token_timings) {
        CHECK(timing.start >= segment.seek / 100.0);
        CHECK(timing.start <= timing.end);
        CHECK(timing.end <= segment.seek / 100.0 + 30.0);
        CHECK((timing.probability >= 0.0f && timing.probability <= 1.0f));
      }
    }

    const Transcript second = run();
    CHECK(second.language == first.language);
    REQUIRE(second.segments.size() == first.segments.size());
    for (std::size_t i = 0; i < first.segments.size(); ++i) {
      CHECK(second.segments[i].tokens == first.segments[i].tokens);
      CHECK(second.segments[i].start == first.segments[i].start);
      CHECK(second.segments[i].end == first.segments[i].end);
      CHECK(second.segments[i].temperature == first.segments[i].temperature);
      CHECK(second.segments[i].token_timings.size() == first.segments[i].token_timings.size());
    }
  }
}

TEST_CASE("transcribe matches openai's transcribe() on synthetic logits") {
  const std::string here = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/'));
  const std::string path = here + "/data/decoding_reference.json";
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const json::Value reference = json::parse(std::string(std::istreambuf_iterator<char>(in), {}), path);
  const auto number = [](const json::Value& value) { return std::stod(value.number_text()); };
  const auto ints = [](const json::Value& array) {
    std::vector<int32_t> out;
    for (const json::Value& item : array.items()) out.push_back(static_cast<int32_t>(*item.as_int64()));
    return out;
  };

  int cases = 0;
  for (const json::Value& expected : reference.find("transcripts")->items()) {
    const int content = static_cast<int>(*expected.find("content")->as_int64());
    CAPTURE(content);
    ScriptedRunner runner;
    runner.logits_script = [&](const std::vector<int32_t>& context, std::vector<float>& logits) {
      verbatim::testing::synthetic_logits(context, static_cast<uint32_t>(runner.encoded_windows.back()[0]), logits);
    };
    WhisperTranscribeOptions options;
    options.token_bytes = std::make_shared<const TokenBytes>(verbatim::testing::synthetic_token_bytes());
    options.decoding.suppress_tokens = {5, 6, 7};
    options.decoding.timestamps = expected.find("timestamps")->as_bool();
    options.fallback.temperatures = {0.0f};
    options.condition_on_previous_text = expected.find("condition")->as_bool();
    options.initial_prompt = ints(*expected.find("initial_prompt"));
    const Transcript transcript = transcribe(runner, numbered_mel(content), options, {});

    CHECK(expected.find("language")->as_string() == "zh");
    CHECK(transcript.language == language_code(kV2, kV2.language_token(1)));
    const auto& segments = expected.find("segments")->items();
    REQUIRE(transcript.segments.size() == segments.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
      CAPTURE(i);
      const Segment& got = transcript.segments[i];
      CHECK(got.seek == *segments[i].find("seek")->as_int64());
      CHECK(got.start == doctest::Approx(number(*segments[i].find("start"))));
      CHECK(got.end == doctest::Approx(number(*segments[i].find("end"))));
      CHECK(got.tokens == ints(*segments[i].find("tokens")));
      CHECK(got.avg_logprob == doctest::Approx(number(*segments[i].find("avg_logprob"))).epsilon(1e-5));
      CHECK(got.no_speech_prob == doctest::Approx(number(*segments[i].find("no_speech_prob"))).epsilon(1e-4));
      CHECK(got.compression_ratio == doctest::Approx(number(*segments[i].find("compression_ratio"))));
    }
    ++cases;
  }
  CHECK(cases == 6);
}

TEST_CASE("transcribe decodes only the clips of clip_timestamps, each window cut at its clip's end") {
  ScriptedRunner runner;
  const int content = 6500;  // 65 s
  // Every window: one segment, then a single timestamp (no speech after it): the next window follows the whole one.
  const auto two_segments = [](int) -> std::vector<int32_t> {
    return {ts(0.0), kHello, ts(2.0), ts(2.0), kWorld, ts(4.0)};
  };
  runner.logits_script = window_plan(runner, two_segments);
  WhisperTranscribeOptions options = options_with_language();
  options.clip_timestamps = {5, 12, 40};  // 5-12 s, then 40 s to the end
  std::vector<std::pair<int, int>> progress;
  TranscribeEvents events;
  events.on_progress = [&](int done, int total) { progress.emplace_back(done, total); };
  const Transcript transcript = transcribe(runner, numbered_mel(content), options, events);

  REQUIRE(runner.encoded_windows.size() == 2);
  const std::vector<float>& first = runner.encoded_windows[0];
  CHECK(first[0] == 501);
  CHECK(first[699] == 1200);  // the clip's 700 frames, then zeros
  CHECK(first[700] == 0.0f);
  const std::vector<float>& second = runner.encoded_windows[1];
  CHECK(second[0] == 4001);
  CHECK(second[2499] == 6500);
  CHECK(second[2500] == 0.0f);
  REQUIRE(transcript.segments.size() == 4);
  CHECK(transcript.segments[0].seek == 500);
  CHECK(transcript.segments[0].start == doctest::Approx(5.0));
  CHECK(transcript.segments[1].end == doctest::Approx(9.0));
  CHECK(transcript.segments[2].seek == 4000);
  CHECK(transcript.segments[3].end == doctest::Approx(44.0));
  CHECK(progress == std::vector<std::pair<int, int>>{{1200, 6500}, {6500, 6500}});

  SUBCASE("times past the end of the audio are cut to it") {
    ScriptedRunner past;
    past.logits_script = window_plan(past, two_segments);
    options.clip_timestamps = {60, 500, 600, 700};
    const Transcript cut = transcribe(past, numbered_mel(content), options, {});
    REQUIRE(past.encoded_windows.size() == 1);
    CHECK(past.encoded_windows[0][0] == 6001);
    CHECK(cut.segments.size() == 2);
  }
  SUBCASE("negative times are refused") {
    options.clip_timestamps = {-1, 5};
    CHECK_THROWS_AS(transcribe(runner, numbered_mel(content), options, {}), std::invalid_argument);
  }
}

TEST_CASE("words as openai's add_word_timestamps makes them: punctuation merged, times rounded as Python rounds") {
  CHECK(round_to_hundredths(0.125) == 0.12);  // an exact tie: to even
  CHECK(round_to_hundredths(2.675) == 2.67);  // 2.67499999... in binary
  CHECK(round_to_hundredths(1.0 / 3) == 0.33);

  TokenBytes table(kV2.eot);
  table[kHello] = " hello";
  table[kWorld] = " world";
  constexpr int32_t kComma = 11;
  table[kComma] = ",";
  std::vector<WordSegment> segments(2);
  segments[0].text_tokens = {kHello, kComma};
  segments[0].start = 10.0;
  segments[0].end = 10.6;
  segments[1].text_tokens = {kWorld};
  segments[1].start = 10.6;
  segments[1].end = 11.0;
  // Window-relative token times; the window starts at 10 s.
  const std::vector<TokenTiming> timings = {
      {kHello, 0.0, 0.4, 0.9f}, {kComma, 0.4, 0.6, 0.5f}, {kWorld, 0.6, 1.0, 0.1f}};
  add_word_timestamps(segments, timings, 10.0, table, false, 10.0);

  REQUIRE(segments[0].words.size() == 1);
  const Word& hello = segments[0].words[0];
  CHECK(hello.text == " hello,");
  CHECK(hello.tokens == std::vector<int32_t>{kHello, kComma});
  CHECK(hello.start == 10.0);
  CHECK(hello.end == 10.4);  // the word keeps its own end; the comma's time is dropped
  CHECK(hello.probability == doctest::Approx(0.9));
  // The segment ends with its last word.
  CHECK(segments[0].end == 10.4);
  REQUIRE(segments[1].words.size() == 1);
  CHECK(segments[1].words[0].start == 10.6);
  CHECK(segments[1].start == 10.6);
  CHECK(segments[1].words[0].probability == doctest::Approx(0.1));
}
