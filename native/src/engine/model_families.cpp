#include "model_families.h"

#include "formats/mapped_file.h"
#include "formats/tensor_file.h"

namespace verbatim {

const char* model_family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::Whisper: return "whisper";
    case ModelFamily::Parakeet: return "parakeet";
  }
  return "unknown";
}

ModelFamily model_family_of(const json::Value& config, const std::string& path) {
  if (!config.is_object()) throw FormatError(path + ": the file holds " + config.describe() + ", not a JSON object");
  if (config.find("n_audio_state") != nullptr || config.find("d_model") != nullptr) return ModelFamily::Whisper;
  if (config.find("encoder") != nullptr && config.find("decoder") != nullptr && config.find("joint") != nullptr) {
    return ModelFamily::Parakeet;
  }
  throw FormatError(path +
                    ": not a model config Verbatim knows: neither Whisper's keys (n_audio_state, ... or d_model, "
                    "...) nor a NeMo Parakeet config (\"encoder\", \"decoder\" and \"joint\")");
}

ModelFamily read_model_family(const std::string& folder) {
  const std::string path = folder + (folder.empty() || folder.back() == '/' ? "" : "/") + "config.json";
  json::Limits limits;
  limits.max_bytes = 4u << 20;
  limits.max_values = 1u << 18;
  return model_family_of(json::parse(read_text_file(path, limits.max_bytes), path, limits), path);
}

}  // namespace verbatim
