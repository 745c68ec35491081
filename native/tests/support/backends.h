// The engine backends this build has, for tests that run on each of them: the portable CPU backend always, MLX on
// the CPU when MLX is built, and MLX on the GPU when that MLX also has one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/mlx/mlx_backend.h"
#include "whisper/weights.h"
#include "whisper/whisper_runner.h"
#include "whisper/whisper_runners.h"

namespace verbatim::testing {

struct TestBackend {
  std::string name;         // "cpu", "mlx-cpu" or "mlx-gpu"
  std::string runner_name;  // what the runner's backend_name() says
  // `threads` is the portable CPU backend's worker count; MLX schedules its own.
  std::function<std::unique_ptr<WhisperRunner>(std::shared_ptr<const WhisperWeights>, int threads)> make;
  // Computes fp16 models in fp16 (MLX, as mlx_whisper does), not fp32.
  bool fp16_activations = false;
};

// Whether `backend` computes this model in fp16 (MLX on an fp16 model, or a quantized one with fp16 scales).
inline bool computes_in_fp16(const TestBackend& backend, const WhisperWeights& weights) {
  return backend.fp16_activations && stored_dtype(weights) == DType::F16;
}

// Whether the CPU backend rounds x for this model's encoder products (4-bit weights meet a window's frames in
// integers where the build has the kernel, q4_gemm.h, reading them from the row blocks it copies them into).
inline bool rounds_encoder_inputs(const TestBackend& backend, const WhisperWeights& weights) {
  return backend.name == "cpu" && !weights.encoder_blocks.empty() &&
         cpu::packs_row_blocks(weights.encoder_blocks.front().mlp1.weight);
}

// How far `backend`'s values (encoder output, logits: of order 1 to 10) may be from fp32 or float64 ones: fp32
// rounding over a few layers, or, computed in fp16, fp16's: each rounding costs up to 2^-11 relative (an ulp of
// 3.9e-3 at 4 to 8); MLX came within 1.1e-2 of the reference on these models, and 3e-2 leaves 3x.
// On the CPU backend with 4-bit weights, the encoder's products round x to 1/65024 of each group's largest |x|
// (q4_gemm.h): at most 4.1e-4 from the reference on these tests' models (2026-11-26); 2e-3 leaves 5x.
inline double value_tolerance(const TestBackend& backend, const WhisperWeights& weights) {
  if (computes_in_fp16(backend, weights)) return 3e-2;
  return rounds_encoder_inputs(backend, weights) ? 2e-3 : 1e-4;
}

// How far `backend`'s logits may be from fp32 or float64 ones: value_tolerance's, or, on backends that compute
// in fp32, the rounding of the cross-attention keys and values the CPU backend holds in fp16 (each up to 2^-11
// relative): at most 1.5e-4 from the PyTorch reference on these tests' models (2026-11-26, AVX-512 kernels; 1e-4
// before the cache was fp16), 2.4e-4 where a 4-bit model's encoder rounds x as well; 1e-3 leaves 4x.
inline double logits_tolerance(const TestBackend& backend, const WhisperWeights& weights) {
  return computes_in_fp16(backend, weights) ? value_tolerance(backend, weights) : 1e-3;
}

// The same for attention weights (probabilities, at most 1): MLX's fp16 came within 2.1e-4 of fp32; 1e-3 leaves 5x.
// Computing in fp32, MLX's cross-attention weights differ from the CPU backend's by its fp16 cache's rounding: 8.8e-6,
// 1.1e-5 and 1.8e-5 on the fp32 model of three seeds (MLX's CPU, 2026-11-26); 1e-4 leaves 5x.
inline double attention_tolerance(const TestBackend& backend, const WhisperWeights& weights) {
  return computes_in_fp16(backend, weights) ? 1e-3 : 1e-4;
}

inline std::vector<TestBackend> built_test_backends() {
  std::vector<TestBackend> backends = {
      {"cpu", "cpu",
       [](std::shared_ptr<const WhisperWeights> w, int threads) { return make_whisper_cpu_runner(w, threads); }}};
#if defined(VERBATIM_HAS_MLX)
  backends.push_back(
      {"mlx-cpu", "mlx",
       [](std::shared_ptr<const WhisperWeights> w, int) { return make_whisper_mlx_runner(w, MlxDevice::Cpu); }, true});
  if (mlx_gpu_available()) {
    backends.push_back(
        {"mlx-gpu", "mlx",
         [](std::shared_ptr<const WhisperWeights> w, int) { return make_whisper_mlx_runner(w, MlxDevice::Gpu); },
         true});
  }
#endif
  return backends;
}

}  // namespace verbatim::testing
