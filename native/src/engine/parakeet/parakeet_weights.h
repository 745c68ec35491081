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

#include "audio/nemo_features.h"
#include "formats/affine_quantize.h"
#include "formats/tensor_file.h"
#include "whisper/weights.h"

namespace verbatim {

struct ParakeetConfig {
  NemoFeatureConfig features;
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int ff_hidden = 0;             // d_model * ff_expansion_factor
  int subsampling_channels = 0;  // dw_striding, factor 8
  int conv_kernel = 0;           // odd
  bool use_bias = true;          // feed-forward, attention and convolution-module biases
  bool xscaling = true;          // multiply the subsampled input by sqrt(d_model)
  int vocab_size = 0;            // V text tokens; the blank is V
  int pred_hidden = 0;
  int pred_layers = 0;
  int joint_hidden = 0;
  enum class Activation { Relu, Sigmoid, Tanh } joint_activation = Activation::Relu;
  std::vector<int> durations;  // TDT durations (frames); the duration head has this many outputs
  int max_symbols = 10;        // zero-duration decisions at one frame before it advances
  std::vector<std::string> vocabulary;  // V SentencePiece pieces
  // TDT-CTC hybrids (parakeet-tdt_ctc-110m, "aux_ctc"): the auxiliary CTC head's classes (V + 1), its tensors checked
  // at load and not used: decoding is the TDT head's, as parakeet-mlx's. 0: a plain TDT model.
  int aux_ctc_classes = 0;
  // "quantize": "8bit" or "4bit": every weight matrix whose width is a multiple of 64 packed at load, groups of 64.
  std::optional<Quantization> quantize;
  // "quantization": {"bits", "group_size"}: the file's MLX-quantized matrices (`.weight` uint32, `.scales`, `.biases`).
  std::optional<Quantization> stored_quantization;
  int subsampled_mels() const;          // the mel axis after three stride-2 convolutions
};

// The packing a "quantize" value names: "8bit" or "4bit" (groups of 64); nullopt for anything else.
std::optional<Quantization> parakeet_packing(const std::string& name);

// Parses config.json text; `path` names the file in errors. Throws FormatError naming the field.
ParakeetConfig parse_parakeet_config(const std::string& json_text, const std::string& path);

struct Conv2dWeights {  // MLX layout (out, kh, kw, in / groups), converted to fp32
  int out_channels = 0, kernel_h = 0, kernel_w = 0, in_per_group = 0;
  std::vector<float> weight;
  std::vector<float> bias;  // out_channels
};

struct ParakeetLayerWeights {
  LayerNormWeights norm_ff1, norm_att, norm_conv, norm_ff2, norm_out;
  Linear ff1_in, ff1_out, ff2_in, ff2_out;
  Linear query, key, value, out, pos;  // pos: linear_pos, never a bias
  std::vector<float> pos_bias_u, pos_bias_v;  // heads x head_dim
  Linear pointwise1, pointwise2;              // (2d, d) and (d, d)
  // The depthwise convolution with the batch norm folded in: weight (d, kernel), bias (d).
  std::vector<float> depthwise_weight, depthwise_bias;
};

struct LstmLayerWeights {
  WeightMatrix wx, wh;      // (4H, in), (4H, H), gates i, f, g, o
  std::vector<float> bias;  // 4H (b_ih + b_hh)
};

struct ParakeetWeights {
  ParakeetConfig config;
  Conv2dWeights conv0, depthwise1, pointwise1, depthwise2, pointwise2;
  Linear subsampling_out;  // (d_model, channels * subsampled_mels)
  std::vector<ParakeetLayerWeights> layers;
  WeightMatrix embedding;  // (V + 1, pred_hidden)
  std::vector<LstmLayerWeights> lstm;
  Linear joint_pred, joint_enc, joint_out;  // joint_out: (V + 1 + durations, joint_hidden)
  std::string weights_path;
  std::vector<std::unique_ptr<TensorFile>> files;    // owns the mappings the pointers refer to
  std::vector<std::vector<uint8_t>> converted_tensors;  // fp32 matrices held as bf16
  std::vector<PackedMatrix> packed_tensors;             // matrices packed at load ("quantize")
};

// Loads <folder>/config.json and <folder>/model.safetensors. Throws FormatError naming the file and the field or
// tensor: a missing or extra tensor, a wrong shape or dtype. Matrices packed at load leave the mapped file's pages.
// `quantize` packs as config.json's "quantize" would (in its place, when both are given); with a folder that is
// MLX-quantized already it throws std::invalid_argument.
ParakeetWeights load_parakeet_weights(const std::string& folder, std::optional<Quantization> quantize = std::nullopt);

}  // namespace verbatim
