// The Nemotron Speech Streaming family (cache-aware FastConformer + RNN-T) as the engine's registry
// (model_families.h) sees it.
#pragma once

#include <memory>
#include <string>

#include "engine.h"

namespace verbatim {

// Loads a nemotron_asr_streaming folder in transformers' layout (nemotron_weights.h) on the portable CPU backend
// (the cache-aware attention is not written for MLX yet: "mlx" is refused, "auto" runs the CPU backend).
std::unique_ptr<Engine> load_nemotron_engine(const std::string& folder, const EngineOptions& options);

}  // namespace verbatim
