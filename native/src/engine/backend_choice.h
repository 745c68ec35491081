// Which backend a model loads on: one rule for every family (engine.h's BackendChoice).
#pragma once

#include "backends/mlx/mlx_backend.h"
#include "engine.h"

namespace verbatim {

struct ChosenBackend {
  bool mlx = false;                  // false: the portable CPU backend
  MlxDevice device = MlxDevice::Cpu;  // MLX's device when `mlx`
  const char* device_name = "cpu";   // "gpu" or "cpu"
};

// "mlx", or "auto" where MLX is built and has a GPU: MLX, on its GPU when it has one, with the options' MLX memory
// limits applied. Otherwise the portable CPU backend. "mlx" in a build without MLX throws std::invalid_argument
// saying how to get MLX.
ChosenBackend choose_backend(const EngineOptions& options);

}  // namespace verbatim
