// The Whisper family as the engine's registry (model_families.h) sees it.
#pragma once

#include <memory>
#include <string>

#include "engine.h"

namespace verbatim {

// Loads a Whisper model folder (mlx-community's layout or Hugging Face's) on the chosen backend. `quantize` is
// refused: Whisper's MLX repositories come packed.
std::unique_ptr<Engine> load_whisper_engine(const std::string& folder, const EngineOptions& options);

}  // namespace verbatim
