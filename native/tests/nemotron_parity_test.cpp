// Nemotron Speech Streaming against transformers 5.18 (issue 64): the engine's features, cache-aware encoder and
// greedy RNN-T on two tiny random models in transformers' layout (test/fixtures/models/nemotron-tiny: fp32, biases
// and input scaling on, 128 mels; nemotron-tiny-nobias: bf16, both off, 80 mels, one LSTM layer; both with a left
// context of 14 frames so a few seconds run past the attention cache) and four held-out clips, against the committed
// outputs of test/reference/nemotron_reference.py run (test/fixtures/models/nemotron-reference/regenerate.sh):
// offline generate() and chunk-by-chunk streaming for each right context 13, 6, 1 and 0, token for token and frame
// for frame, and the encoder's rows. No Python at test time.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audio/nemo_features.h"
#include "formats/json.h"
#include "nemotron/nemotron_runners.h"
#include "nemotron/nemotron_stream.h"
#include "nemotron/nemotron_weights.h"
#include "support/held_bytes.h"
#include "support/reference_json.h"
#include "support/wav_file.h"

namespace {

using verbatim::json::Value;
using verbatim::test::at;
using verbatim::test::integer;
using verbatim::test::ints;
using verbatim::test::worst_row_difference;

const std::string kFixtures = std::string(VERBATIM_REFERENCE_DIR) + "/../";

// Stated tolerances (the reference is float32 torch; the engine computes features in float64, the network in
// float32 with the same weights). Measured on this machine (AMD EPYC, 2026-11-27; figures printed by the test):
// features 3.1e-5, encoder rows 4.8e-6 (fp32 model) and 4.2e-6 (bf16); each bound leaves at least 16x over them.
constexpr double kFeatureTolerance = 5e-4;  // absolute, log-mel features (|x| up to ~16, unnormalised)
constexpr double kEncoderTolerance = 2e-4;  // absolute, encoder rows (|x| up to ~4)

struct Run {
  std::vector<int> tokens, frames;
  std::vector<float> encoder;  // every chunk's rows, in order
};

// The stream over `samples`, pushed in pieces of `piece` samples, ended as `end` says.
Run run_stream(verbatim::NemotronRunner& runner, const verbatim::NemotronConfig& config,
               const std::vector<float>& samples, int lookahead, verbatim::StreamEnd end, std::size_t piece,
               int prompt = -1) {
  verbatim::NemotronStream stream(runner, config, lookahead, prompt);
  Run run;
  stream.on_encoded = [&run](const std::vector<float>& rows) {
    run.encoder.insert(run.encoder.end(), rows.begin(), rows.end());
  };
  const auto take = [&run](const std::vector<verbatim::DecodedToken>& tokens) {
    for (const verbatim::DecodedToken& t : tokens) {
      run.tokens.push_back(t.id);
      run.frames.push_back(static_cast<int>(t.frame));
    }
  };
  for (std::size_t first = 0; first < samples.size(); first += piece) {
    take(stream.push(samples.data() + first, std::min(piece, samples.size() - first)));
  }
  take(stream.finish(end));
  return run;
}

struct Figures {
  double features = 0, encoder = 0;
  int runs = 0, tokens = 0;
};

void check_clip(const std::string& model, const std::string& clip, Figures& figures) {
  const std::string folder = kFixtures + "models/nemotron-" + model;
  const std::string reference_path = kFixtures + "models/nemotron-reference/" + model + "-" + clip + ".json";
  INFO(model << " on " << clip);
  const Value reference = verbatim::test::read_reference(reference_path);
  auto weights = std::make_shared<const verbatim::NemotronWeights>(verbatim::load_nemotron_weights(folder));
  const verbatim::NemotronConfig& config = weights->config;
  const std::unique_ptr<verbatim::NemotronRunner> runner = verbatim::make_nemotron_cpu_runner(weights, 2);
  const std::vector<float> samples = verbatim::test::read_wav_samples(kFixtures + "heldout/" + clip + ".wav");
  REQUIRE(static_cast<int>(samples.size()) == integer(at(reference, "samples")));
  REQUIRE(config.max_symbols == integer(at(reference, "max_symbols")));
  const Value* prompt_id = reference.find("prompt_id");  // Nemotron 3.5: the language prompt's slot
  const int prompt = prompt_id != nullptr ? integer(*prompt_id) : -1;

  const verbatim::NemoFeatures features = verbatim::nemo_log_mel(samples.data(), samples.size(), config.features);
  REQUIRE(features.n_frames == integer(at(at(reference, "features"), "valid_frames")));
  const double feature_difference = worst_row_difference(at(at(reference, "features"), "rows"), features.data,
                                                         config.features.n_mels);
  CHECK(feature_difference <= kFeatureTolerance);
  figures.features = std::max(figures.features, feature_difference);

  for (const int lookahead : {13, 6, 1, 0}) {
    const std::string R = std::to_string(lookahead);
    INFO("right context " << R);
    for (const bool offline : {true, false}) {
      INFO((offline ? "offline generate()" : "streaming generate()"));
      const Value& expected = at(at(reference, offline ? "offline" : "streaming"), R);
      // Pieces of 1,000 samples: chunks complete inside pushes, never on their edges.
      const Run run = run_stream(*runner, config, samples, lookahead,
                                 offline ? verbatim::StreamEnd::Offline : verbatim::StreamEnd::PaddedChunk, 1000, prompt);
      CHECK(run.tokens == ints(at(expected, "tokens")));
      CHECK(run.frames == ints(at(expected, "frames")));
      if (offline) CHECK(static_cast<int>(run.encoder.size()) / config.d_model == integer(at(expected, "encoder_frames")));
      const double encoder_difference = worst_row_difference(at(expected, "encoder_rows"), run.encoder, config.d_model);
      CHECK(encoder_difference <= kEncoderTolerance);
      figures.encoder = std::max(figures.encoder, encoder_difference);
      ++figures.runs;
      figures.tokens += static_cast<int>(run.tokens.size());
    }
  }
}

}  // namespace

TEST_CASE("nemotron: features, encoder and RNN-T tokens equal transformers' offline and streaming generate()") {
  for (const std::string model : {"tiny", "tiny-nobias"}) {
    Figures figures;
    for (const std::string clip : {"heldout-00", "heldout-01", "heldout-02", "heldout-03"}) check_clip(model, clip, figures);
    MESSAGE("nemotron-" << model << ": " << figures.runs << " decodes, " << figures.tokens
                        << " tokens; largest differences: features " << figures.features << ", encoder rows "
                        << figures.encoder);
  }
}

TEST_CASE("nemotron 3.5: the language prompt fused after the encoder gives transformers' tokens for each language") {
  // nemotron-tiny-3.5 (Nemotron3_5AsrForRNNT's form: no biases, no input scaling, 128 prompt slots) with "auto"
  // (slot 101) on heldout-00, "de-DE" on heldout-01 and "en" on heldout-02.
  Figures figures;
  for (const std::string clip : {"heldout-00", "heldout-01", "heldout-02"}) check_clip("tiny-3.5", clip, figures);
  MESSAGE("nemotron-tiny-3.5: " << figures.runs << " decodes, " << figures.tokens << " tokens; largest differences: "
                                << "features " << figures.features << ", encoder rows " << figures.encoder);
}

TEST_CASE("nemotron: a stream's tokens do not depend on how its audio is cut into pushes") {
  auto weights = std::make_shared<const verbatim::NemotronWeights>(
      verbatim::load_nemotron_weights(kFixtures + "models/nemotron-tiny"));
  const std::unique_ptr<verbatim::NemotronRunner> runner = verbatim::make_nemotron_cpu_runner(weights, 2);
  const std::vector<float> samples = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-01.wav");
  for (const int lookahead : {6, 0}) {
    const Run whole = run_stream(*runner, weights->config, samples, lookahead, verbatim::StreamEnd::PaddedChunk,
                                 samples.size());
    const Run small = run_stream(*runner, weights->config, samples, lookahead, verbatim::StreamEnd::PaddedChunk, 37);
    CHECK(small.tokens == whole.tokens);
    CHECK(small.frames == whole.frames);
    CHECK(small.encoder == whole.encoder);
  }
}

TEST_CASE("nemotron: two streams on one model keep their own state") {
  auto weights = std::make_shared<const verbatim::NemotronWeights>(
      verbatim::load_nemotron_weights(kFixtures + "models/nemotron-tiny"));
  const std::unique_ptr<verbatim::NemotronRunner> runner = verbatim::make_nemotron_cpu_runner(weights, 2);
  const std::vector<float> a = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-00.wav");
  const std::vector<float> b = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-02.wav");
  const Run alone_a = run_stream(*runner, weights->config, a, 1, verbatim::StreamEnd::PaddedChunk, 4000);
  const Run alone_b = run_stream(*runner, weights->config, b, 1, verbatim::StreamEnd::PaddedChunk, 4000);
  verbatim::NemotronStream sa(*runner, weights->config, 1), sb(*runner, weights->config, 1);
  std::vector<int> ta, tb;
  const auto add = [](std::vector<int>& out, const std::vector<verbatim::DecodedToken>& tokens) {
    for (const auto& t : tokens) out.push_back(t.id);
  };
  for (std::size_t first = 0; first < std::max(a.size(), b.size()); first += 4000) {
    if (first < a.size()) add(ta, sa.push(a.data() + first, std::min<std::size_t>(4000, a.size() - first)));
    if (first < b.size()) add(tb, sb.push(b.data() + first, std::min<std::size_t>(4000, b.size() - first)));
  }
  add(ta, sa.finish(verbatim::StreamEnd::PaddedChunk));
  add(tb, sb.finish(verbatim::StreamEnd::PaddedChunk));
  CHECK(ta == alone_a.tokens);
  CHECK(tb == alone_b.tokens);
}

TEST_CASE("nemotron: a stream holds the same memory after ten minutes as after one") {
  auto weights = std::make_shared<const verbatim::NemotronWeights>(
      verbatim::load_nemotron_weights(kFixtures + "models/nemotron-tiny"));
  const std::unique_ptr<verbatim::NemotronRunner> runner = verbatim::make_nemotron_cpu_runner(weights, 2);
  const std::vector<float> clip = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-03.wav");
  verbatim::NemotronStream stream(*runner, weights->config, 0);
  const std::size_t minute = 60 * 16000;
  int64_t after_one = 0;
  std::size_t pushed = 0;
  std::vector<float> piece(16000);
  while (pushed < 10 * minute) {
    for (std::size_t i = 0; i < piece.size(); ++i) piece[i] = clip[(pushed + i) % clip.size()];
    stream.push(piece.data(), piece.size());  // tokens dropped: the caller keeps what it shows
    pushed += piece.size();
    if (pushed == minute) after_one = verbatim::testing::held_bytes();
  }
  const int64_t after_ten = verbatim::testing::held_bytes();
  MESSAGE("bytes held after 1 min " << after_one << ", after 10 min " << after_ten);
  // Caches and buffers are bounded by a chunk, the left context and the kernel: no growth with time. The bound
  // allows for allocator-independent jitter of a few buffers of one chunk (a chunk of features is 8 x 128 floats).
  CHECK(after_ten - after_one <= 64 * 1024);
}
