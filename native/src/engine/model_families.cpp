#include "model_families.h"

#include "formats/mapped_file.h"
#include "formats/tensor_file.h"
#include "nemotron/nemotron_engine.h"
#include "nemotron/nemotron_weights.h"
#include "parakeet/parakeet_engine.h"
#include "parakeet/parakeet_weights.h"
#include "speakers/speaker_weights.h"
#include "whisper/model_config.h"
#include "whisper/whisper_engine.h"

namespace verbatim {

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> families = {
      {"whisper", "Whisper's keys (n_audio_state, ... or d_model, ...)", is_whisper_config, load_whisper_engine},
      {"parakeet", "a NeMo Parakeet config (\"encoder\", \"decoder\" and \"joint\")", is_parakeet_config,
       load_parakeet_engine},
      {"nemotron", "a transformers nemotron_asr_streaming config (\"model_type\")", is_nemotron_config,
       load_nemotron_engine},
  };
  return families;
}

const ModelFamily& model_family_of(const json::Value& config, const std::string& path) {
  if (!config.is_object()) throw FormatError(path + ": the file holds " + config.describe() + ", not a JSON object");
  const std::vector<ModelFamily>& families = model_families();
  for (const ModelFamily& family : families) {
    if (family.is_its_config(config)) return family;
  }
  if (is_speaker_config(config)) {
    throw FormatError(path + ": a speaker diarization model (nemotron3_diarization), not a transcription model: load it "
                             "as a speaker model (SpeakerModel.load)");
  }
  std::string known;
  for (std::size_t i = 0; i < families.size(); ++i) {
    known += i == 0 ? "neither " : i + 1 == families.size() ? " nor " : ", ";
    known += families[i].config_description;
  }
  throw FormatError(path + ": not a model config Verbatim knows: " + known);
}

const ModelFamily& read_model_family(const std::string& folder) {
  const std::string path = folder + (folder.empty() || folder.back() == '/' ? "" : "/") + "config.json";
  json::Limits limits;
  limits.max_bytes = 4u << 20;
  limits.max_values = 1u << 18;
  return model_family_of(json::parse(read_text_file(path, limits.max_bytes), path, limits), path);
}

}  // namespace verbatim
