// Parakeet's network on each backend (parakeet_cpu.cpp, parakeet_mlx.cpp).
#pragma once

#include <memory>

#include "backends/mlx/mlx_backend.h"
#include "parakeet/parakeet_weights.h"
#include "transducer/transducer_runner.h"

namespace verbatim {

// On the portable CPU backend, with `threads` as make_cpu_ops takes them.
std::unique_ptr<TransducerRunner> make_parakeet_cpu_runner(std::shared_ptr<const ParakeetWeights> weights,
                                                           int threads);

// On MLX (defined only when MLX is built: VERBATIM_HAS_MLX): fp32 activations, weights as held (quantized ones packed).
std::unique_ptr<TransducerRunner> make_parakeet_mlx_runner(std::shared_ptr<const ParakeetWeights> weights,
                                                           MlxDevice device);

}  // namespace verbatim
