// A layer norm's weights as stored.
#pragma once

#include "tensors/weight_matrix.h"

namespace verbatim {

struct LayerNormWeights {
  Vector weight;
  Vector bias;
};

}  // namespace verbatim
