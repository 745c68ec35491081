// A Whisper model's config.json: its dimensions and how its weights are quantized.
#pragma once

#include <optional>
#include <string>

#include "formats/json.h"
#include "tensors/quantization.h"

namespace verbatim {

struct WhisperDims {
  int n_mels = 0;
  int n_audio_ctx = 0;
  int n_audio_state = 0;
  int n_audio_head = 0;
  int n_audio_layer = 0;
  int n_vocab = 0;
  int n_text_ctx = 0;
  int n_text_state = 0;
  int n_text_head = 0;
  int n_text_layer = 0;
};

struct WhisperConfig {
  WhisperDims dims;
  std::optional<Quantization> quantization;  // from config.json "quantization" (mode "affine" only)
  std::string model_type;
};

// Whether a parsed config.json is Whisper's: MLX's keys (n_audio_state, ...) or Hugging Face's (d_model, ...).
bool is_whisper_config(const json::Value& config);

// Parses config.json text (MLX keys, or HF-transformers keys such as d_model / encoder_layers).
// `path` is used in error messages. Throws FormatError.
WhisperConfig parse_whisper_config(const std::string& json_text, const std::string& path);

}  // namespace verbatim
