// Nemotron's network on each backend (nemotron_cpu.cpp, nemotron_mlx.cpp).
#pragma once

#include <memory>

#include "backends/mlx/mlx_backend.h"
#include "nemotron/nemotron_model.h"
#include "nemotron/nemotron_weights.h"

namespace verbatim {

// On the portable CPU backend, with `threads` as make_cpu_ops takes them.
std::unique_ptr<NemotronRunner> make_nemotron_cpu_runner(std::shared_ptr<const NemotronWeights> weights, int threads);

// On MLX (defined only when MLX is built: VERBATIM_HAS_MLX): fp32 activations, weights as held.
std::unique_ptr<NemotronRunner> make_nemotron_mlx_runner(std::shared_ptr<const NemotronWeights> weights,
                                                         MlxDevice device);

}  // namespace verbatim
