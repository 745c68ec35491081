// The backend choice every family makes (backend_choice.h), checked on a family's fixture through Engine::load: with
// MLX built, "mlx" loads on MLX's device and transcribes a clip as the CPU backend does, "cpu" loads the portable CPU
// backend and "auto" takes MLX only for its GPU; without MLX, "mlx" says how to get it and "auto" is the CPU backend.
#pragma once

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "backends/mlx/mlx_backend.h"
#include "engine.h"
#include "wav_file.h"

namespace verbatim::test {

#if defined(VERBATIM_HAS_MLX)

// MLX's GPU when it has one, else its CPU: the device "mlx" loads on.
inline MlxDevice mlx_test_device() { return mlx_gpu_available() ? MlxDevice::Gpu : MlxDevice::Cpu; }

inline void check_engine_backend_choice(const std::string& folder, const std::string& clip) {
  EngineOptions options;
  options.backend = BackendChoice::Mlx;
  const auto mlx = Engine::load(folder, options);
  CHECK(mlx->backend_name() == "mlx");
  CHECK(mlx->device_name() == std::string(mlx_device_name(mlx_test_device())));
  CHECK(mlx->memory().has_value());
  options.backend = BackendChoice::Cpu;
  const auto cpu = Engine::load(folder, options);
  CHECK(cpu->backend_name() == "cpu");
  options.backend = BackendChoice::Auto;
  CHECK(Engine::load(folder, options)->backend_name() == (mlx_gpu_available() ? "mlx" : "cpu"));

  const std::vector<float> samples = read_wav_samples(clip);
  const Transcript a = cpu->transcription({}, nullptr)->run(samples.data(), samples.size(), {});
  const Transcript b = mlx->transcription({}, nullptr)->run(samples.data(), samples.size(), {});
  REQUIRE(a.segments.size() == b.segments.size());
  REQUIRE_FALSE(a.segments.empty());
  CHECK_FALSE(a.segments[0].tokens.empty());
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    CHECK(b.segments[i].tokens == a.segments[i].tokens);
    CHECK(b.segments[i].start == a.segments[i].start);
    CHECK(b.segments[i].end == a.segments[i].end);
  }
}

#else

inline void check_engine_backend_choice_without_mlx(const std::string& folder) {
  EngineOptions options;
  options.backend = BackendChoice::Mlx;
  CHECK_THROWS_WITH_AS(Engine::load(folder, options), doctest::Contains("brew install mlx"), std::invalid_argument);
  options.backend = BackendChoice::Auto;
  CHECK(Engine::load(folder, options)->backend_name() == "cpu");
}

#endif

}  // namespace verbatim::test
