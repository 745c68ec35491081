// A Whisper model's weights as stored, checked against its config: nothing expanded, nothing copied (except
// Hugging Face conv weights, transposed at load into MLX layout).
// Every data pointer below points into a mapped file and is NOT ALIGNED in general (MLX and numpy write tensor
// data at arbitrary byte offsets): read elements with std::memcpy or convert the tensor, never through a
// float* / uint16_t* / uint32_t* cast of the pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "formats/tensor_file.h"

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

struct Quantization {
  int bits = 0;        // 2, 3, 4, 5, 6 or 8
  int group_size = 0;  // 32, 64 or 128
};

struct WhisperConfig {
  WhisperDims dims;
  std::optional<Quantization> quantization;  // from config.json "quantization" (mode "affine" only)
  std::string model_type;
};

// Parses config.json text (MLX keys, or HF-transformers keys such as d_model / encoder_layers).
// `path` is used in error messages. Throws FormatError.
WhisperConfig parse_whisper_config(const std::string& json_text, const std::string& path);

// A (rows = out features, cols = in features) matrix in its stored format.
struct WeightMatrix {
  enum class Format { F32, F16, BF16, Quantized };
  Format format = Format::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;  // dense: rows*cols elements; quantized: uint32 words, rows * (cols*bits/32)

  // Quantized (MLX affine) only: w[r][c] = scales[r][c/group_size] * q + biases[r][c/group_size].
  int bits = 0;
  int group_size = 0;
  DType scale_dtype = DType::F32;  // F32, F16 or BF16
  const void* scales = nullptr;    // rows * (cols/group_size)
  const void* biases = nullptr;    // rows * (cols/group_size)

  // Quantized only. Rows: as MLX stores them (above), row after row. RowBlocks: as the CPU backend's 4-bit integer
  // kernels read them, 16 rows interleaved (backends/cpu/q4_row_blocks.h); made by that backend, never stored.
  enum class Layout { Rows, RowBlocks };
  Layout layout = Layout::Rows;
};

// The element type of a dense WeightMatrix format (F32 for anything else).
inline DType dense_dtype(WeightMatrix::Format format) {
  switch (format) {
    case WeightMatrix::Format::F16:
      return DType::F16;
    case WeightMatrix::Format::BF16:
      return DType::BF16;
    default:
      return DType::F32;
  }
}

struct Vector {  // a 1-D float tensor as stored (F32, F16 or BF16)
  DType dtype = DType::F32;
  int64_t size = 0;
  const void* data = nullptr;
};

struct Linear {
  WeightMatrix weight;
  std::optional<Vector> bias;  // absent for attention keys
};

// How a model multiplies a matrix, for a backend that lays weights out for one kind of product: Encoding, by whole
// windows (hundreds of rows of x at once: the encoders, and the decoder's products of the encoder's output); or
// Decoding, a step at a time (a few rows of x per call: tokens, beams, transducer steps).
enum class MatrixUse { Encoding, Decoding };

struct LayerNormWeights {
  Vector weight;
  Vector bias;
};

struct AttentionWeights {
  Linear query, key, value, out;
};

struct ResidualBlockWeights {
  AttentionWeights attn;
  LayerNormWeights attn_ln;
  std::optional<AttentionWeights> cross_attn;  // decoder blocks only
  std::optional<LayerNormWeights> cross_attn_ln;
  Linear mlp1, mlp2;
  LayerNormWeights mlp_ln;
};

struct Conv1dWeights {
  DType dtype = DType::F32;  // F32, F16 or BF16
  int out_channels = 0, kernel = 0, in_channels = 0;
  const void* weight = nullptr;  // MLX layout (out, kernel, in)
  Vector bias;
};

struct WhisperWeights {
  WhisperConfig config;
  Conv1dWeights conv1, conv2;
  std::vector<ResidualBlockWeights> encoder_blocks;
  LayerNormWeights ln_post;
  WeightMatrix token_embedding;  // (n_vocab, n_text_state), possibly quantized; also the logits projection
  DType positional_embedding_dtype = DType::F32;
  const void* positional_embedding = nullptr;  // (n_text_ctx, n_text_state)
  std::vector<ResidualBlockWeights> decoder_blocks;
  LayerNormWeights decoder_ln;
  std::vector<std::pair<int, int>> stored_alignment_heads;  // [layer, head] from an `alignment_heads` tensor, if any
  std::string weights_path;

  std::vector<std::unique_ptr<TensorFile>> files;  // owns the mappings every pointer above refers to
  // Tensors converted at load: Hugging Face conv weights, stored (out, in, kernel), transposed to MLX layout.
  std::vector<std::vector<uint8_t>> converted_tensors;
};

// The precision the model was stored in: its token embedding's dtype, or its scales' when quantized.
inline DType stored_dtype(const WhisperWeights& weights) {
  const WeightMatrix& embedding = weights.token_embedding;
  return embedding.format == WeightMatrix::Format::Quantized ? embedding.scale_dtype : dense_dtype(embedding.format);
}

// Loads a model folder: config.json plus weights.safetensors, weights.npz or model.safetensors (HF names are
// mapped to MLX names as mlx-examples convert.py does). Checks every tensor's name, shape and dtype against
// the config; a missing, extra-shaped or wrongly typed tensor throws FormatError naming the file and tensor.
WhisperWeights load_whisper_weights(const std::string& folder);

}  // namespace verbatim
