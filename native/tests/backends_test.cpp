// Choosing a backend through the Engine, and the backends agreeing with each other (each is also checked against
// the float64 and PyTorch references in whisper_model_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine.h"
#include "support/backends.h"
#include "support/model_writer.h"
#include "support/random_weights.h"

using verbatim::BackendChoice;
using verbatim::DType;
using verbatim::Engine;
using verbatim::EngineOptions;
using verbatim::WhisperDims;
using verbatim::WeightMatrix;
using verbatim::WhisperWeights;
using verbatim::testing::RandomWhisper;
using verbatim::testing::StorageFormat;
using verbatim::testing::TestBackend;
using verbatim::testing::attention_tolerance;
using verbatim::testing::computes_in_fp16;
using verbatim::testing::logits_tolerance;
using verbatim::testing::value_tolerance;

namespace {

std::unique_ptr<Engine> load_tiny_model(const verbatim::test::TempDir& dir, BackendChoice backend) {
  verbatim::test::write_tiny_whisper_model(dir.path(), verbatim::test::tiny_dims());
  EngineOptions options;
  options.backend = backend;
  return Engine::load(dir.path(), options);
}

}  // namespace

TEST_CASE("backend choice: auto, cpu and mlx are the names; others are refused") {
  CHECK(verbatim::parse_backend_choice("auto") == BackendChoice::Auto);
  CHECK(verbatim::parse_backend_choice("cpu") == BackendChoice::Cpu);
  CHECK(verbatim::parse_backend_choice("mlx") == BackendChoice::Mlx);
  CHECK_THROWS_WITH_AS(verbatim::parse_backend_choice("metal"), doctest::Contains("\"auto\", \"cpu\" or \"mlx\""),
                       std::invalid_argument);
}

TEST_CASE("engine: the portable CPU backend reports itself and has no MLX memory") {
  verbatim::test::TempDir dir;
  const auto engine = load_tiny_model(dir, BackendChoice::Cpu);
  CHECK(engine->backend_name() == "cpu");
  CHECK(engine->device_name() == "cpu");
  CHECK_FALSE(engine->memory().has_value());
}

#if defined(VERBATIM_HAS_MLX)

namespace {

WhisperDims agreement_dims() {
  WhisperDims d;
  d.n_mels = 20;
  d.n_audio_ctx = 70;
  d.n_audio_state = 64;
  d.n_audio_head = 4;
  d.n_audio_layer = 2;
  d.n_vocab = 300;
  d.n_text_ctx = 32;
  d.n_text_state = 64;
  d.n_text_head = 4;
  d.n_text_layer = 2;
  return d;
}

struct Decoded {
  std::vector<float> logits;     // of the prompt, then of every greedy step
  std::vector<float> attention;  // the prompt's, for heads {1, 2} and {0, 3}
  std::vector<int32_t> greedy;
};

// Encodes a random mel, decodes a four-token prompt at once, then 16 greedy steps (temperature 0): each step feeds
// the runner's own choice, or `follow`'s token when given (so that two backends' logits are compared on the same
// text even where their choices differ).
Decoded run_greedy(verbatim::WhisperRunner& runner, const WhisperDims& d, const std::vector<int32_t>* follow = nullptr) {
  verbatim::testing::Rng rng(21);
  std::vector<float> mel(static_cast<std::size_t>(d.n_mels) * 2 * d.n_audio_ctx);
  for (float& v : mel) v = rng.uniform(-1.0f, 1.5f);
  runner.encode(mel.data());
  Decoded out;
  const std::vector<int32_t> prompt = {7, 250, 3, 99};
  std::vector<float> logits(static_cast<std::size_t>(d.n_vocab));
  runner.decode(prompt.data(), 4, logits.data(), {{1, 2}, {0, 3}}, &out.attention);
  for (int step = 0; step < 16; ++step) {
    out.logits.insert(out.logits.end(), logits.begin(), logits.end());
    const auto next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.greedy.push_back(next);
    const int32_t fed = follow != nullptr ? (*follow)[static_cast<std::size_t>(step)] : next;
    runner.decode(&fed, 1, logits.data(), {}, nullptr);
  }
  return out;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

}  // namespace

TEST_CASE("engine: mlx runs on MLX, on its GPU when it has one, and reports MLX's memory") {
  const bool gpu = verbatim::mlx_gpu_available();
  CHECK(verbatim::built_backends().mlx);
  verbatim::test::TempDir dir;
  const auto engine = load_tiny_model(dir, BackendChoice::Mlx);
  CHECK(engine->backend_name() == "mlx");
  CHECK(engine->device_name() == (gpu ? "gpu" : "cpu"));
  const auto memory = engine->memory();
  REQUIRE(memory.has_value());
  CHECK(memory->active_bytes > 0);  // the weights
  CHECK(memory->peak_bytes >= memory->active_bytes);
}

TEST_CASE("engine: auto takes MLX only for its GPU, else the portable CPU backend") {
  const bool gpu = verbatim::mlx_gpu_available();
  verbatim::test::TempDir dir;
  const auto engine = load_tiny_model(dir, BackendChoice::Auto);
  CHECK(engine->backend_name() == (gpu ? "mlx" : "cpu"));
  CHECK(engine->device_name() == (gpu ? "gpu" : "cpu"));
  CHECK(engine->memory().has_value() == gpu);
}

TEST_CASE("engine: the MLX cache limit from the load options applies") {
  const auto weights = RandomWhisper::share(
      std::make_shared<RandomWhisper>(agreement_dims(), StorageFormat::quantized(4, 64), DType::F16, 2));
  const auto fill_cache = [&] {
    auto runner = verbatim::make_whisper_mlx_runner(weights, verbatim::mlx_gpu_available() ? verbatim::MlxDevice::Gpu
                                                                                   : verbatim::MlxDevice::Cpu);
    run_greedy(*runner, agreement_dims());
  };
  verbatim::set_mlx_cache_limit(64u << 20);
  fill_cache();  // intermediate buffers go back to the cache
  CHECK(verbatim::mlx_memory().cache_bytes > 0);

  verbatim::test::TempDir dir;
  verbatim::test::write_tiny_whisper_model(dir.path(), verbatim::test::tiny_dims());
  EngineOptions options;
  options.backend = BackendChoice::Mlx;
  options.mlx_cache_limit_bytes = 0;
  const auto engine = Engine::load(dir.path(), options);
  CHECK(engine->memory()->cache_bytes == 0);
  fill_cache();
  CHECK(engine->memory()->cache_bytes == 0);
  verbatim::set_mlx_cache_limit(64u << 20);
}

// Both backends use the same stored (rounded or quantized) weights. Computing in fp32, they differ only in the
// order of fp32 sums, so logits of order 10 agree to 1e-4, and greedy decoding, whose margins on these random
// models are far wider, picks the same tokens. MLX computes fp16 models in fp16 (value_tolerance): logits are
// compared on the CPU backend's tokens, and its choices only on trained models (native/tests/mlx.test.ts), since a
// random model's margins can be finer than fp16's resolution.
TEST_CASE("mlx and cpu backends agree on logits, attention and greedy tokens for fp32, fp16, 8-bit and 4-bit") {
  const WhisperDims d = agreement_dims();
  const std::vector<std::pair<const char*, StorageFormat>> formats = {
      {"fp32", StorageFormat::dense(WeightMatrix::Format::F32)},
      {"fp16", StorageFormat::dense(WeightMatrix::Format::F16)},
      {"8-bit", StorageFormat::quantized(8, 64)},
      {"4-bit", StorageFormat::quantized(4, 64)}};
  for (const auto& [name, storage] : formats) {
    const std::string format = name;
    CAPTURE(format);
    const DType others = storage.format == WeightMatrix::Format::F32 ? DType::F32 : DType::F16;
    const auto weights = RandomWhisper::share(std::make_shared<RandomWhisper>(d, storage, others, 17));
    const std::vector<TestBackend> backends = verbatim::testing::built_test_backends();
    const Decoded cpu = run_greedy(*backends.front().make(weights, 2), d);
    for (std::size_t b = 1; b < backends.size(); ++b) {
      CAPTURE(backends[b].name);
      const Decoded other = run_greedy(*backends[b].make(weights, 2), d, &cpu.greedy);
      CHECK(max_difference(other.logits, cpu.logits) < logits_tolerance(backends[b], *weights));
      CHECK(max_difference(other.attention, cpu.attention) < attention_tolerance(backends[b], *weights));
      if (!computes_in_fp16(backends[b], *weights)) CHECK(other.greedy == cpu.greedy);
    }
  }
}

#else

TEST_CASE("engine: without MLX built in, auto is the portable CPU backend and mlx says how to get MLX") {
  CHECK_FALSE(verbatim::built_backends().mlx);
  verbatim::test::TempDir dir;
  CHECK(load_tiny_model(dir, BackendChoice::Auto)->backend_name() == "cpu");
  CHECK_THROWS_WITH_AS(load_tiny_model(dir, BackendChoice::Mlx), doctest::Contains("brew install mlx"),
                       std::invalid_argument);
}

#endif
