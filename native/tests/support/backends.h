// The engine backends this build has, for tests that run on each of them: the portable CPU backend always, MLX on
// the CPU when MLX is built, and MLX on the GPU when that MLX also has one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/mlx/mlx_backend.h"
#include "model/model_runner.h"
#include "formats/weights.h"

namespace verbatim::testing {

struct TestBackend {
  std::string name;         // "cpu", "mlx-cpu" or "mlx-gpu"
  std::string runner_name;  // what the runner's backend_name() says
  // `threads` is the portable CPU backend's worker count; MLX schedules its own.
  std::function<std::unique_ptr<ModelRunner>(std::shared_ptr<const WhisperWeights>, int threads)> make;
};

inline std::vector<TestBackend> built_test_backends() {
  std::vector<TestBackend> backends = {
      {"cpu", "cpu", [](std::shared_ptr<const WhisperWeights> w, int threads) { return make_cpu_runner(w, threads); }}};
#if defined(VERBATIM_HAS_MLX)
  backends.push_back(
      {"mlx-cpu", "mlx", [](std::shared_ptr<const WhisperWeights> w, int) { return make_mlx_runner(w, MlxDevice::Cpu); }});
  if (mlx_gpu_available()) {
    backends.push_back(
        {"mlx-gpu", "mlx", [](std::shared_ptr<const WhisperWeights> w, int) { return make_mlx_runner(w, MlxDevice::Gpu); }});
  }
#endif
  return backends;
}

}  // namespace verbatim::testing
