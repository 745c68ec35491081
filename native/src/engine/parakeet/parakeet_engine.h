// The Parakeet TDT family as the engine's registry (model_families.h) sees it.
#pragma once

#include <memory>
#include <string>

#include "engine.h"

namespace verbatim {

// Loads a Parakeet TDT folder in parakeet-mlx's layout (parakeet_weights.h) on the chosen backend, its float matrices
// packed as `quantize` asks.
std::unique_ptr<Engine> load_parakeet_engine(const std::string& folder, const EngineOptions& options);

}  // namespace verbatim
