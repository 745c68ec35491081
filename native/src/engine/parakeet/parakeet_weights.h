// A Parakeet TDT model folder in parakeet-mlx's layout (config.json = the NeMo model config, model.safetensors
// with MLX names and layouts; native/PARAKEET.md), checked field by field and tensor by tensor.
// Large matrices are held as fp16 or bf16 whatever the file stores (fp32 files are converted to bf16 at load, as
// parakeet-mlx does), or packed to MLX's affine 8 or 4 bits when config.json or the loader asks ("quantize"), or as
// the file stores them when it is MLX-quantized ("quantization"); the rest point into the mapped file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformer/conformer_weights.h"
#include "formats/affine_quantize.h"
#include "formats/json.h"
#include "formats/tensor_file.h"
#include "tensors/quantization.h"
#include "tensors/weights_reader.h"
#include "transducer/transducer_weights.h"

namespace verbatim {

// A Parakeet TDT model's config: a FastConformer encoder and a transducer whose joint also predicts durations.
struct ParakeetConfig : ConformerConfig, TransducerConfig {
  std::vector<int> durations;  // TDT durations (frames); the duration head has this many outputs
  std::vector<std::string> vocabulary;  // V SentencePiece pieces
  // TDT-CTC hybrids (parakeet-tdt_ctc-110m, "aux_ctc"): the auxiliary CTC head's classes (V + 1), its tensors checked
  // at load and not used: decoding is the TDT head's, as parakeet-mlx's. 0: a plain TDT model.
  int aux_ctc_classes = 0;
  // "quantize": "8bit" or "4bit": every weight matrix whose width is a multiple of 64 packed at load, groups of 64.
  std::optional<Quantization> quantize;
  // "quantization": {"bits", "group_size"}: the file's MLX-quantized matrices (`.weight` uint32, `.scales`, `.biases`).
  std::optional<Quantization> stored_quantization;
};

// Whether a parsed config.json is a NeMo model config (an object with "encoder", "decoder" and "joint").
bool is_parakeet_config(const json::Value& config);

// Parses config.json text; `path` names the file in errors. Throws FormatError naming the field.
ParakeetConfig parse_parakeet_config(const std::string& json_text, const std::string& path);

struct ParakeetWeights : ConformerWeights, TransducerWeights, HeldWeights {
  ParakeetConfig config;
  std::string weights_path;
};

// Loads <folder>/config.json and <folder>/model.safetensors. Throws FormatError naming the file and the field or
// tensor: a missing or extra tensor, a wrong shape or dtype. Matrices packed at load leave the mapped file's pages.
// `quantize` packs as config.json's "quantize" would (in its place, when both are given); with a folder that is
// MLX-quantized already it throws std::invalid_argument.
ParakeetWeights load_parakeet_weights(const std::string& folder, std::optional<Quantization> quantize = std::nullopt);

}  // namespace verbatim
