// A Whisper model's weights as stored, checked against its config: nothing expanded, nothing copied (except
// Hugging Face conv weights, transposed at load into MLX layout). Every data pointer points into a mapped file and is
// not aligned in general (tensors/weight_matrix.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "formats/tensor_file.h"
#include "tensors/convolution.h"
#include "tensors/layer_norm.h"
#include "tensors/linear.h"
#include "tensors/weight_matrix.h"
#include "whisper/model_config.h"

namespace verbatim {

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
