// A linear layer's weights as stored: x · Wᵀ + b.
#pragma once

#include <optional>

#include "tensors/weight_matrix.h"

namespace verbatim {

struct Linear {
  WeightMatrix weight;
  std::optional<Vector> bias;  // absent for attention keys
};

}  // namespace verbatim
