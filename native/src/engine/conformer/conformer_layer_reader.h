// Reading a FastConformer layer's norms, feed-forward modules and self-attention, which every checkpoint layout
// stores alike apart from the attention's tensor names. The convolution module is left to the family's loader: its
// layouts differ (parakeet-mlx's batch norm folded at load, the cache-aware models' layer norm, kernel axes).
#pragma once

#include <string>

#include "conformer/conformer_weights.h"
#include "tensors/weights_reader.h"

namespace verbatim {

// The attention's tensor names under a layer's "self_attn.", as a layout spells them.
struct ConformerAttentionNames {
  const char* query;
  const char* key;
  const char* value;
  const char* out;
  const char* pos;
  const char* pos_bias_u;
  const char* pos_bias_v;
};

// parakeet-mlx's names (NeMo's).
inline constexpr ConformerAttentionNames kNemoAttentionNames{
    "linear_q", "linear_k", "linear_v", "linear_out", "linear_pos", "pos_bias_u", "pos_bias_v"};
// transformers' names.
inline constexpr ConformerAttentionNames kTransformersAttentionNames{
    "q_proj", "k_proj", "v_proj", "o_proj", "relative_k_proj", "bias_u", "bias_v"};

// Layer `prefix` ("encoder.layers.3."): its five norms, both feed-forward modules and the attention; the
// convolution module's fields are left empty for the caller.
ConformerLayerWeights read_conformer_layer(WeightsReader& r, const std::string& prefix, const ConformerConfig& c,
                                           const ConformerAttentionNames& names);

}  // namespace verbatim
