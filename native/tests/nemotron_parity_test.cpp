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
#include "nemotron/nemotron_options.h"
#include "nemotron/nemotron_runners.h"
#include "nemotron/nemotron_stream.h"
#include "nemotron/nemotron_weights.h"
#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"
#include "support/held_bytes.h"
#include "support/nemotron_stream_run.h"
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

using Run = verbatim::test::NemotronRun;
using verbatim::test::run_nemotron_stream;

struct Figures {
  double features = 0, encoder = 0;
  int runs = 0, tokens = 0;
};

Value read_named_reference(const std::string& name) {
  return verbatim::test::read_reference(kFixtures + "models/nemotron-reference/" + name + ".json");
}

// A loaded fixture model and a held-out clip.
struct Loaded {
  std::shared_ptr<const verbatim::NemotronWeights> weights;
  std::unique_ptr<verbatim::NemotronRunner> runner;
  std::vector<float> samples;
};

Loaded load(const std::string& model, const std::string& clip) {
  Loaded loaded;
  loaded.weights = std::make_shared<const verbatim::NemotronWeights>(
      verbatim::load_nemotron_weights(kFixtures + "models/nemotron-" + model));
  loaded.runner = verbatim::make_nemotron_cpu_runner(loaded.weights, 2);
  loaded.samples = verbatim::test::read_wav_samples(kFixtures + "heldout/" + clip + ".wav");
  return loaded;
}

verbatim::PhraseBoost boost_of(const std::vector<std::vector<int32_t>>& phrases, int vocab_size, float strength) {
  verbatim::PhraseBoost boost;
  boost.tree = std::make_shared<const verbatim::PhraseBoostTree>(phrases, vocab_size);
  boost.strength = strength;
  return boost;
}

void check_clip(const std::string& model, const std::string& clip, Figures& figures) {
  const std::string folder = kFixtures + "models/nemotron-" + model;
  INFO(model << " on " << clip);
  const Value reference = read_named_reference(model + "-" + clip);
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
      const Run run = run_nemotron_stream(*runner, config, samples, lookahead,
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
  // With a term boosted too (one that never finishes, its last piece masked): a term held back at a chunk's end goes
  // on the same whichever push completes the chunk.
  const verbatim::PhraseBoost failing = boost_of({{5, 6, 7}}, weights->config.vocab_size, 20.0f);
  const verbatim::TokenMask mask({7}, weights->config.vocab_size);
  for (const int lookahead : {6, 0}) {
    for (const bool boosted : {false, true}) {
      INFO("right context " << lookahead << (boosted ? ", boosted" : ""));
      const verbatim::PhraseBoost boost = boosted ? failing : verbatim::PhraseBoost{};
      const verbatim::StreamEnd end = verbatim::StreamEnd::PaddedChunk;
      const Run whole =
          run_nemotron_stream(*runner, weights->config, samples, lookahead, end, samples.size(), -1, boost, mask);
      const Run small = run_nemotron_stream(*runner, weights->config, samples, lookahead, end, 37, -1, boost, mask);
      CHECK(small.tokens == whole.tokens);
      CHECK(small.frames == whole.frames);
      CHECK(small.encoder == whole.encoder);
    }
  }
}

TEST_CASE("nemotron: two streams on one model keep their own state") {
  auto weights = std::make_shared<const verbatim::NemotronWeights>(
      verbatim::load_nemotron_weights(kFixtures + "models/nemotron-tiny"));
  const std::unique_ptr<verbatim::NemotronRunner> runner = verbatim::make_nemotron_cpu_runner(weights, 2);
  const std::vector<float> a = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-00.wav");
  const std::vector<float> b = verbatim::test::read_wav_samples(kFixtures + "heldout/heldout-02.wav");
  const Run alone_a = run_nemotron_stream(*runner, weights->config, a, 1, verbatim::StreamEnd::PaddedChunk, 4000);
  const Run alone_b = run_nemotron_stream(*runner, weights->config, b, 1, verbatim::StreamEnd::PaddedChunk, 4000);
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

TEST_CASE("nemotron: no terms, or a strength of 0, decode as before; the options read terms and the mask") {
  for (const std::string model : {"tiny", "tiny-nobias"}) {
    INFO(model);
    const Loaded m = load(model, "heldout-00");
    const verbatim::NemotronConfig& config = m.weights->config;
    const Value reference = read_named_reference(model + "-heldout-00");
    using verbatim::OptionValue;
    const verbatim::NemotronOptions none = verbatim::read_nemotron_options(
        {{"boostPhrases", OptionValue(std::vector<OptionValue>{})}, {"boostStrength", OptionValue(4.0)}}, config);
    CHECK(none.boost.tree == nullptr);
    CHECK(none.mask.empty());
    const verbatim::PhraseBoost off = boost_of({{1, 2}, {3}}, config.vocab_size, 0.0f);
    for (const int lookahead : {13, 0}) {
      INFO("right context " << lookahead);
      const Value& expected = at(at(reference, "offline"), std::to_string(lookahead));
      for (const verbatim::PhraseBoost& boost : {none.boost, off}) {
        const Run run = run_nemotron_stream(*m.runner, config, m.samples, lookahead, verbatim::StreamEnd::Offline, 1000, -1,
                                   boost);
        CHECK(run.tokens == ints(at(expected, "tokens")));
        CHECK(run.frames == ints(at(expected, "frames")));
      }
    }
    const verbatim::NemotronOptions read = verbatim::read_nemotron_options(
        {{"boostPhrases", OptionValue(std::vector<OptionValue>{OptionValue(std::vector<OptionValue>{
                              OptionValue(5.0), OptionValue(6.0)})})},
         {"boostStrength", OptionValue(2.5)},
         {"suppressTokens", OptionValue(std::vector<OptionValue>{OptionValue(7.0)})}},
        config);
    REQUIRE(read.boost.tree != nullptr);
    CHECK(read.boost.strength == 2.5f);
    CHECK(read.boost.joiner != nullptr);
    CHECK_FALSE(read.mask.empty());
    CHECK_THROWS_WITH_AS(verbatim::read_nemotron_options(
                             {{"suppressTokens", OptionValue(std::vector<OptionValue>{OptionValue(
                                                     static_cast<double>(config.vocab_size))})}},
                             config),
                         doctest::Contains("suppressTokens"), std::invalid_argument);  // the blank is never masked
    CHECK_THROWS_WITH_AS(verbatim::read_nemotron_options({{"boostStrength", OptionValue(51.0)}}, config),
                         doctest::Contains("boostStrength"), std::invalid_argument);
  }
}

TEST_CASE("nemotron: suppressTokens gives the reference's tokens with those pieces masked, offline and streaming") {
  // nemotron_reference.py run --suppress-pieces '["▁w23"]' on nemotron-tiny: its most frequent piece (id 48) masked
  // in the decode loop, offline and chunk by chunk, for each right context.
  const Loaded m = load("tiny", "heldout-00");
  const verbatim::NemotronConfig& config = m.weights->config;
  const Value reference = read_named_reference("tiny-heldout-00-suppressed");
  const std::vector<int> suppressed = ints(at(reference, "suppressed"));
  REQUIRE(suppressed == std::vector<int>{48});
  const verbatim::TokenMask mask({suppressed.begin(), suppressed.end()}, config.vocab_size);
  const Value unmasked = read_named_reference("tiny-heldout-00");
  int tokens = 0;
  for (const int lookahead : {13, 6, 1, 0}) {
    const std::string R = std::to_string(lookahead);
    INFO("right context " << R);
    for (const bool offline : {true, false}) {
      INFO((offline ? "offline" : "streaming"));
      const Value& expected = at(at(reference, offline ? "offline" : "streaming"), R);
      const Run run =
          run_nemotron_stream(*m.runner, config, m.samples, lookahead,
                     offline ? verbatim::StreamEnd::Offline : verbatim::StreamEnd::PaddedChunk, 1000, -1, {}, mask);
      CHECK(run.tokens == ints(at(expected, "tokens")));
      CHECK(run.frames == ints(at(expected, "frames")));
      CHECK(std::count(run.tokens.begin(), run.tokens.end(), 48) == 0);
      // The mask changed the decode: the unmasked one is mostly that piece.
      CHECK(ints(at(at(at(unmasked, offline ? "offline" : "streaming"), R), "tokens")) != run.tokens);
      tokens += static_cast<int>(run.tokens.size());
    }
  }
  CHECK(tokens > 0);
}

TEST_CASE("nemotron: a term's next piece is favoured by exactly the tree's bonus, in one chunk and across chunks") {
  // On nemotron-tiny-nobias (max_symbols_per_step tokens at most frames), the term is the first frame's tokens
  // followed by the reference's runner-up at the next frame's first decision (a token, no blank between). At right
  // context 13 both frames lie in one chunk; at 0 every frame is a chunk of its own, so the walk through the term must
  // go on from one chunk to the next. The runner-up is emitted instead exactly when the strength times the tree's
  // scores from the term's state (its piece's, less the model's token's) outweigh the logits it is behind. The
  // strengths tried are 2% either side of that: about 0.02 logits, far above the engine's and torch's differences
  // (encoder rows within 5e-6).
  const Loaded m = load("tiny-nobias", "heldout-00");
  const verbatim::NemotronConfig& config = m.weights->config;
  const Value reference = read_named_reference("tiny-nobias-heldout-00");
  for (const int lookahead : {13, 0}) {
    INFO("right context " << lookahead);
    const Value& expected = at(at(reference, "offline"), std::to_string(lookahead));
    const std::vector<int> tokens = ints(at(expected, "tokens")), frames = ints(at(expected, "frames"));
    const std::vector<Value>& runner_up = at(expected, "runner_up").items();
    REQUIRE(runner_up.size() == tokens.size());
    // k: the first decision at the frame after the first frame's max_symbols tokens.
    const std::size_t k = static_cast<std::size_t>(config.max_symbols);
    REQUIRE(tokens.size() > k);
    REQUIRE(std::count(frames.begin(), frames.end(), frames[0]) == config.max_symbols);
    REQUIRE(frames[k] == frames[k - 1] + 1);
    const int chunk_frames = lookahead + 1;
    CHECK((frames[k] / chunk_frames != frames[k - 1] / chunk_frames) == (lookahead == 0));
    const int32_t wanted = integer(runner_up[k].items()[0]);
    const double gap = std::stod(runner_up[k].items()[1].number_text());
    REQUIRE(wanted != tokens[k]);
    std::vector<int32_t> term(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(k));
    term.push_back(wanted);
    const verbatim::PhraseBoostTree tree({term}, config.vocab_size);
    int state = verbatim::PhraseBoostTree::kRoot;
    for (std::size_t i = 0; i < k; ++i) state = tree.advance(state, term[i]).first;
    std::vector<float> scores(static_cast<std::size_t>(config.vocab_size));
    tree.scores(state, scores.data());
    const double favour = scores[static_cast<std::size_t>(wanted)] - scores[static_cast<std::size_t>(tokens[k])];
    REQUIRE(favour > 0);
    const double threshold = gap / favour;
    MESSAGE("R " << lookahead << ": the runner-up is " << gap << " logits behind, the tree favours it by " << favour
                 << ": strength " << threshold << " tips it");
    const std::vector<int> prefix(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(k));
    for (const double factor : {0.98, 1.02}) {
      INFO("strength x " << factor);
      const Run run = run_nemotron_stream(*m.runner, config, m.samples, lookahead, verbatim::StreamEnd::Offline, 1000, -1,
                                 boost_of({term}, config.vocab_size, static_cast<float>(threshold * factor)));
      REQUIRE(run.tokens.size() > k);
      CHECK(std::vector<int>(run.tokens.begin(), run.tokens.begin() + static_cast<std::ptrdiff_t>(k)) == prefix);
      CHECK(run.tokens[k] == (factor > 1 ? wanted : tokens[k]));
      CHECK(run.frames[k] == frames[k]);
    }
  }
}

TEST_CASE("nemotron: with terms boosted, streaming gives the offline decode's tokens until the audio ends") {
  // The live stream (pushed 1,000 samples at a time, its last chunk padded) and the file job (one push, its last chunk
  // ended as transformers' offline pass) decode the same chunks until the audio ends: what their pushes gave must be
  // the same tokens, the walk through the terms carried over every chunk boundary and a term open at a chunk's end
  // held back in both; only what the end settles (the last chunk's frames, which the two endings encode differently,
  // and a term open then, taken back or finished there) may differ. Two terms: the decode's first piece followed by a
  // piece the model did not write there, and one that never finishes (its last piece masked), taken back wherever
  // the boost begins it.
  int compared = 0, changed = 0, tokens = 0;
  for (const std::string model : {"tiny", "tiny-nobias"}) {
    for (const std::string clip : {"heldout-00", "heldout-01", "heldout-02", "heldout-03"}) {
      INFO(model << " on " << clip);
      const Loaded m = load(model, clip);
      const verbatim::NemotronConfig& config = m.weights->config;
      const Value reference = read_named_reference(model + "-" + clip);
      for (const int lookahead : {13, 6, 1, 0}) {
        INFO("right context " << lookahead);
        const std::string R = std::to_string(lookahead);
        const std::vector<int> offline = ints(at(at(at(reference, "offline"), R), "tokens"));
        REQUIRE(offline.size() >= 2);
        const int32_t other = (offline[1] + 1) % config.vocab_size;
        const int32_t masked = (offline[1] + 2) % config.vocab_size;
        const verbatim::TokenMask mask({masked}, config.vocab_size);
        const verbatim::PhraseBoost boost =
            boost_of({{offline[0], other}, {5, 6, masked}}, config.vocab_size, 4.0f);
        const Run whole = run_nemotron_stream(*m.runner, config, m.samples, lookahead, verbatim::StreamEnd::Offline,
                                     m.samples.size(), -1, boost, mask);
        const Run live = run_nemotron_stream(*m.runner, config, m.samples, lookahead, verbatim::StreamEnd::PaddedChunk, 1000,
                                    -1, boost, mask);
        const auto pushed = [](const Run& run) {
          return std::vector<int>(run.tokens.begin(), run.tokens.begin() + static_cast<std::ptrdiff_t>(run.pushed));
        };
        CHECK(pushed(live) == pushed(whole));
        ++compared;
        tokens += static_cast<int>(live.pushed);
        if (whole.tokens != offline) ++changed;
      }
    }
  }
  MESSAGE(compared << " decodes compared (" << tokens << " tokens given before the end), " << changed
                   << " of them changed by the terms");
  CHECK(changed >= compared / 2);
}

TEST_CASE("nemotron: a term whose first pieces the boost pushes in but whose next piece never comes is taken back") {
  // The term's last piece is masked, so it can never finish: its first two pieces, which the boost pushes in where the
  // model emits a token (as the same two pieces alone, a whole term, show: on nemotron-tiny in every decode, on
  // -nobias at right contexts 1 and 0), must be taken back every time, the bonus given back, leaving exactly the
  // decode with the mask alone (nemotron-tiny's equals the reference's masked decode, above). Before terms were taken
  // back, the pieces stayed in. On nemotron-tiny-nobias, which emits max_symbols tokens at most frames, the terms begin
  // everywhere and fail within their frame or after a pause, at right context 0 across chunk boundaries. Offline and
  // streaming.
  for (const std::string model : {"tiny", "tiny-nobias"}) {
    INFO(model);
    const Loaded m = load(model, "heldout-00");
    const verbatim::NemotronConfig& config = m.weights->config;
    // The model's first piece (nemotron-tiny's is its most frequent, ▁w23), masked.
    const int32_t never = ints(at(at(at(read_named_reference(model + "-heldout-00"), "offline"), "13"), "tokens"))[0];
    const verbatim::TokenMask mask({never}, config.vocab_size);
    const std::vector<int32_t> pushed{5, 6};
    std::vector<int32_t> term = pushed;
    term.push_back(never);
    int takes = 0;
    for (const int lookahead : {13, 6, 1, 0}) {
      INFO("right context " << lookahead);
      for (const verbatim::StreamEnd end : {verbatim::StreamEnd::Offline, verbatim::StreamEnd::PaddedChunk}) {
        INFO((end == verbatim::StreamEnd::Offline ? "offline" : "streaming"));
        const Run alone = run_nemotron_stream(*m.runner, config, m.samples, lookahead, end, 1000, -1, {}, mask);
        const Run whole = run_nemotron_stream(*m.runner, config, m.samples, lookahead, end, 1000, -1,
                                     boost_of({pushed}, config.vocab_size, 20.0f), mask);
        const auto pushed_in = [&pushed](const Run& run) {
          int count = 0;
          for (std::size_t i = 0; i + 1 < run.tokens.size(); ++i) {
            count += run.tokens[i] == pushed[0] && run.tokens[i + 1] == pushed[1];
          }
          return count;
        };
        REQUIRE(pushed_in(alone) == 0);
        const Run failed = run_nemotron_stream(*m.runner, config, m.samples, lookahead, end, 1000, -1,
                                      boost_of({term}, config.vocab_size, 20.0f), mask);
        CHECK(failed.tokens == alone.tokens);
        CHECK(failed.frames == alone.frames);
        takes += pushed_in(whole);
      }
    }
    MESSAGE("nemotron-" << model << ": the first pieces alone were pushed in " << takes
                        << " times over 8 decodes; the failing term left every decode as the mask alone");
    CHECK(takes > 0);  // the boost does push the first pieces in
  }
}
