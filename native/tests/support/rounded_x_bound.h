// How far x · w may move when x is rounded as the 4-bit integer kernels round it (backends/cpu/q4_gemm.h): each x
// within half a unit (its group's largest |x| / (2 · kQ4GemmUnits)) of its value, so the product within the sum over
// groups of half a unit times Σ|w| over the group's columns.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "backends/cpu/q4_gemm.h"

namespace verbatim::testing {

template <class Weight>
double rounded_x_bound(const float* x, const Weight* w, int64_t k, int64_t group_size) {
  double bound = 0.0;
  for (int64_t g = 0; g < k; g += group_size) {
    double largest = 0.0, weight_sum = 0.0;
    for (int64_t c = g; c < g + group_size; ++c) {
      largest = std::max(largest, std::fabs(static_cast<double>(x[c])));
      weight_sum += std::fabs(static_cast<double>(w[c]));
    }
    bound += largest / (2.0 * cpu::kQ4GemmUnits) * weight_sum;
  }
  return bound;
}

}  // namespace verbatim::testing
