#include "engine.h"
#include "formats/tensor_file.h"

namespace verbatim {

std::unique_ptr<Engine> load_parakeet_engine(const std::string& folder, const EngineOptions&) {
  throw FormatError(folder + "/config.json: a Parakeet TDT model; this build of the engine runs Whisper models only");
}

}  // namespace verbatim
