// Model families: what a model folder is (Whisper or Parakeet TDT, decided by its config.json) and what a loaded
// model of that family can do. Shared code (the addon, decoding, streaming) asks capabilities, never the family.
#pragma once

#include <string>
#include <vector>

#include "formats/json.h"

namespace verbatim {

enum class ModelFamily { Whisper, Parakeet };

const char* model_family_name(ModelFamily family);  // "whisper", "parakeet"

// What a loaded model can do beyond transcribing 16 kHz audio into timed tokens.
struct FamilyCapabilities {
  bool language_detection = false;  // detect_language(), and "auto" languages
  bool choose_language = false;     // an explicit language for decoding
  bool translate = false;           // the translate task
  bool prompt = false;              // a decoder prompt (previous text, the user's vocabulary terms)
  bool decoding_options = false;    // Whisper's beam size, temperatures, fallback and logit filters
  bool word_timestamps = false;     // timed tokens (Whisper: on request, from cross-attention)
  bool streaming = false;           // live sessions (Engine::stream)
  // Language codes the model knows; empty for English-only Whisper vocabularies and families that do not say.
  std::vector<std::string> languages;
};

// The family of a parsed config.json: Whisper's MLX keys (n_audio_state, ...) or Hugging Face keys (d_model,
// ...), or a NeMo model config (an object with "encoder", "decoder" and "joint"). Throws FormatError naming
// `path` for anything else.
ModelFamily model_family_of(const json::Value& config, const std::string& path);

// Reads and parses <folder>/config.json (bounded in size) and returns its family.
ModelFamily read_model_family(const std::string& folder);

}  // namespace verbatim
