// A transducer's decoder side, as a family's loader reads it: the LSTM prediction network over the emitted tokens and
// the joint network over an encoder frame and the prediction (NeMo's RNNTDecoder and RNNTJoint). TDT's duration head
// is the joint's last outputs.
#pragma once

#include <vector>

#include "tensors/linear.h"
#include "tensors/weight_matrix.h"

namespace verbatim {

struct TransducerConfig {
  int vocab_size = 0;  // V text tokens; the blank is V
  int pred_hidden = 0;
  int pred_layers = 0;
  int joint_hidden = 0;
  enum class Activation { Relu, Sigmoid, Tanh } joint_activation = Activation::Relu;
  int max_symbols = 10;  // decisions at one frame before decoding moves on to the next
  // The prediction network's start: one step on the blank's embedding row (transformers' RNN-T generate, whose
  // decoder start token is the blank), rather than a zero input (NeMo's blank-as-pad, whose blank row is zero).
  bool start_from_blank_embedding = false;
};

struct LstmLayerWeights {
  WeightMatrix wx, wh;      // (4H, in), (4H, H), gates i, f, g, o
  std::vector<float> bias;  // 4H (b_ih + b_hh)
};

struct TransducerWeights {
  WeightMatrix embedding;  // (V + 1, pred_hidden)
  std::vector<LstmLayerWeights> lstm;
  Linear joint_pred, joint_enc, joint_out;  // joint_out: (V + 1 + durations, joint_hidden)
};

}  // namespace verbatim
