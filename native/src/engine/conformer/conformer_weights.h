// A FastConformer encoder's shape and weights (NeMo's ConformerEncoder with dw_striding subsampling by 8), as a
// family's loader reads them: the block Parakeet TDT and the cache-aware streaming families are built on.
#pragma once

#include <optional>
#include <vector>

#include "audio/nemo_features.h"
#include "tensors/convolution.h"
#include "tensors/layer_norm.h"
#include "tensors/linear.h"

namespace verbatim {

struct ConformerConfig {
  NemoFeatureConfig features;
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int ff_hidden = 0;             // d_model * ff_expansion_factor
  int subsampling_channels = 0;  // dw_striding, factor 8
  int conv_kernel = 0;           // odd
  bool use_bias = true;          // feed-forward, attention and convolution-module biases
  bool xscaling = true;          // multiply the subsampled input by sqrt(d_model)
  // Causal subsampling (NeMo's CausalConv2D, the cache-aware models'): each 3x3 stride-2 convolution pads 2 before
  // and 1 after on both axes, rather than 1 each side.
  bool causal_subsampling = false;

  // The mel axis after three stride-2 convolutions.
  int subsampled_mels() const {
    int f = features.n_mels;
    for (int i = 0; i < 3; ++i) f = causal_subsampling ? f / 2 + 1 : (f - 1) / 2 + 1;
    return f;
  }
};

struct ConformerLayerWeights {
  LayerNormWeights norm_ff1, norm_att, norm_conv, norm_ff2, norm_out;
  Linear ff1_in, ff1_out, ff2_in, ff2_out;
  Linear query, key, value, out, pos;  // pos: linear_pos, never a bias
  std::vector<float> pos_bias_u, pos_bias_v;  // heads x head_dim
  Linear pointwise1, pointwise2;              // (2d, d) and (d, d)
  // The depthwise convolution with the batch norm folded in: weight (d, kernel), bias (d).
  std::vector<float> depthwise_weight, depthwise_bias;
  // The cache-aware models normalise the depthwise convolution's output with a layer norm instead (nothing folded).
  std::optional<LayerNormWeights> depthwise_norm;
};

struct ConformerWeights {
  Conv2dWeights conv0, depthwise1, pointwise1, depthwise2, pointwise2;
  Linear subsampling_out;  // (d_model, channels * subsampled_mels)
  std::vector<ConformerLayerWeights> layers;
};

}  // namespace verbatim
