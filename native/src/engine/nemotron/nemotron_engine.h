// The Nemotron Speech Streaming family (cache-aware FastConformer + RNN-T) as the engine's registry
// (model_families.h) sees it.
#pragma once

#include <memory>
#include <string>

#include "engine.h"

namespace verbatim {

// Loads a nemotron_asr_streaming folder in transformers' layout (nemotron_weights.h) on the backend
// backend_choice.h chooses, as every family does.
std::unique_ptr<Engine> load_nemotron_engine(const std::string& folder, const EngineOptions& options);

}  // namespace verbatim
