// Every model family the engine runs, and which one a model folder holds (its config.json). The one shared file that
// names the families: a new family adds its row in model_families.cpp and keeps everything else in its own folder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/json.h"

namespace verbatim {

class Engine;
struct EngineOptions;

struct ModelFamily {
  const char* name;                // "whisper", "parakeet": what Engine::family() and info().family say
  const char* config_description;  // what its config.json holds, for the error when no family takes a config
  bool (*is_its_config)(const json::Value& config);  // a parsed config.json (an object) is this family's
  std::unique_ptr<Engine> (*load)(const std::string& folder, const EngineOptions& options);
};

// In the order configs are tried.
const std::vector<ModelFamily>& model_families();

// The family of a parsed config.json. Throws FormatError naming `path` when it is not an object or no family takes it.
const ModelFamily& model_family_of(const json::Value& config, const std::string& path);

// Reads and parses <folder>/config.json (bounded in size) and returns its family.
const ModelFamily& read_model_family(const std::string& folder);

}  // namespace verbatim
