// Whisper's network on each backend (whisper_cpu.cpp, whisper_mlx.cpp).
#pragma once

#include <memory>

#include "backends/mlx/mlx_backend.h"
#include "whisper/weights.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

// On the portable CPU backend, with `threads` as make_cpu_ops takes them. The weights stay shared (and
// memory-mapped) and nothing is expanded, except that the decoder's 4-bit matrices are copied into the integer
// kernels' row blocks where this build has them (cpu::kernel_weights): the copies take the place of the stored
// bytes' pages.
std::unique_ptr<WhisperRunner> make_whisper_cpu_runner(std::shared_ptr<const WhisperWeights> weights, int threads);

// On MLX (defined only when MLX is built: VERBATIM_HAS_MLX): the weights converted for MLX (quantized ones stay
// packed), activations in fp16 when the weights are fp16 (their scales, when quantized), else fp32.
std::unique_ptr<WhisperRunner> make_whisper_mlx_runner(std::shared_ptr<const WhisperWeights> weights,
                                                       MlxDevice device);

}  // namespace verbatim
