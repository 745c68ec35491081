// config.json of a Whisper model folder: MLX keys (n_audio_state, ...) or Hugging Face WhisperConfig keys
// (d_model, ...), mapped as mlx-examples whisper/convert.py does.
#include <string>

#include "formats/json.h"
#include "formats/tensor_file.h"
#include "whisper/model_config.h"

namespace verbatim {
namespace {

// Upper bounds well above every Whisper release (large: 1280 state, 32 layers, 20 heads, 51866 tokens,
// 1500/448 positions) that keep a hostile config from sizing huge buffers.
constexpr int kMaxMels = 512;
constexpr int kMaxContext = 1 << 14;
constexpr int kMaxState = 1 << 14;
constexpr int kMaxHeads = 256;
constexpr int kMaxLayers = 256;
constexpr int kMaxVocabulary = 1 << 20;

struct DimKey {
  const char* mlx;
  const char* hf;
  int WhisperDims::*field;
  int max;
};

// n_text_state has no HF key of its own: HF's d_model serves both the encoder and the decoder.
const DimKey kDimKeys[] = {
    {"n_mels", "num_mel_bins", &WhisperDims::n_mels, kMaxMels},
    {"n_audio_ctx", "max_source_positions", &WhisperDims::n_audio_ctx, kMaxContext},
    {"n_audio_state", "d_model", &WhisperDims::n_audio_state, kMaxState},
    {"n_audio_head", "encoder_attention_heads", &WhisperDims::n_audio_head, kMaxHeads},
    {"n_audio_layer", "encoder_layers", &WhisperDims::n_audio_layer, kMaxLayers},
    {"n_vocab", "vocab_size", &WhisperDims::n_vocab, kMaxVocabulary},
    {"n_text_ctx", "max_target_positions", &WhisperDims::n_text_ctx, kMaxContext},
    {"n_text_state", "d_model", &WhisperDims::n_text_state, kMaxState},
    {"n_text_head", "decoder_attention_heads", &WhisperDims::n_text_head, kMaxHeads},
    {"n_text_layer", "decoder_layers", &WhisperDims::n_text_layer, kMaxLayers},
};

class ConfigReader {
 public:
  explicit ConfigReader(const std::string& path) : path_(path) {}

  WhisperConfig read(const json::Value& root) const {
    if (!root.is_object()) fail("the file holds " + root.describe() + ", not a JSON object");
    const bool mlx_keys = root.find("n_audio_state") != nullptr;
    if (!mlx_keys && root.find("d_model") == nullptr) {
      fail("not a Whisper config: it has neither MLX keys (n_audio_state, n_text_layer, ...) nor Hugging Face "
           "keys (d_model, decoder_layers, ...)");
    }
    WhisperConfig config;
    for (const DimKey& key : kDimKeys) {
      config.dims.*key.field = read_dimension(root, mlx_keys ? key.mlx : key.hf, key.max);
    }
    check_consistency(config.dims);
    config.model_type = read_model_type(root);
    if (const json::Value* quantization = root.find("quantization")) {
      config.quantization = read_quantization(*quantization);
    }
    return config;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }

  int read_dimension(const json::Value& root, const char* key, int max) const {
    const json::Value* value = root.find(key);
    if (value == nullptr) fail("\"" + std::string(key) + "\" is missing");
    const auto number = value->as_int64();
    if (!number || *number <= 0) {
      fail("\"" + std::string(key) + "\" must be a positive integer, found " + value->describe());
    }
    if (*number > max) {
      fail("\"" + std::string(key) + "\" is " + value->describe() + ", above the supported maximum of " +
           std::to_string(max));
    }
    return static_cast<int>(*number);
  }

  void check_consistency(const WhisperDims& dims) const {
    if (dims.n_audio_state != dims.n_text_state) {
      fail("n_audio_state (" + std::to_string(dims.n_audio_state) + ") and n_text_state (" +
           std::to_string(dims.n_text_state) + ") differ; Whisper ties them");
    }
    // The encoder's sinusoidal position embedding splits the channels into sin and cos halves of >= 2 each.
    if (dims.n_audio_state % 2 != 0 || dims.n_audio_state < 4) {
      fail("n_audio_state (" + std::to_string(dims.n_audio_state) + ") must be even and at least 4");
    }
    if (dims.n_audio_state % dims.n_audio_head != 0) {
      fail("n_audio_head (" + std::to_string(dims.n_audio_head) + ") does not divide n_audio_state (" +
           std::to_string(dims.n_audio_state) + ")");
    }
    if (dims.n_text_state % dims.n_text_head != 0) {
      fail("n_text_head (" + std::to_string(dims.n_text_head) + ") does not divide n_text_state (" +
           std::to_string(dims.n_text_state) + ")");
    }
  }

  std::string read_model_type(const json::Value& root) const {
    const json::Value* value = root.find("model_type");
    if (value == nullptr) return std::string();
    if (!value->is_string() || value->as_string() != "whisper") {
      fail("\"model_type\" is " + value->describe() + ", not \"whisper\"");
    }
    return value->as_string();
  }

  int read_choice(const json::Value& block, const char* key, std::initializer_list<int> allowed) const {
    const json::Value* value = block.find(key);
    if (value == nullptr) fail("\"quantization\" lacks \"" + std::string(key) + "\"");
    const auto number = value->as_int64();
    std::string choices;
    for (int choice : allowed) {
      if (number && *number == choice) return choice;
      choices += (choices.empty() ? "" : ", ") + std::to_string(choice);
    }
    fail("quantization \"" + std::string(key) + "\" is " + value->describe() + "; supported: " + choices);
  }

  Quantization read_quantization(const json::Value& block) const {
    if (!block.is_object()) fail("\"quantization\" is " + block.describe() + ", not an object");
    Quantization quantization;
    quantization.bits = read_choice(block, "bits", {2, 3, 4, 5, 6, 8});
    quantization.group_size = read_choice(block, "group_size", {32, 64, 128});
    for (const auto& [key, value] : block.members()) {
      if (key == "mode") {
        if (!value.is_string() || value.as_string() != "affine") {
          fail("quantization mode " + value.describe() + " is not supported (only \"affine\"): use an affine "
               "quantized model such as mlx-community's -4bit or -8bit repositories");
        }
      } else if (value.is_object() || value.is_bool()) {
        fail("per-layer quantization settings (\"quantization\" entry \"" + key + "\") are not supported");
      }
    }
    return quantization;
  }

  const std::string& path_;
};

}  // namespace

bool is_whisper_config(const json::Value& config) {
  return config.find("n_audio_state") != nullptr || config.find("d_model") != nullptr;
}

WhisperConfig parse_whisper_config(const std::string& json_text, const std::string& path) {
  json::Limits limits;
  limits.max_bytes = 4u << 20;
  limits.max_values = 1u << 16;
  return ConfigReader(path).read(json::parse(json_text, path, limits));
}

}  // namespace verbatim
