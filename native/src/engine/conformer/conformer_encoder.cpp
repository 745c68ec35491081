#include "conformer/conformer_encoder.h"

#include <cmath>
#include <cstddef>

namespace verbatim {

std::vector<float> relative_positions(int frames, int d_model) {
  const int rows = 2 * frames - 1;
  std::vector<float> pe(static_cast<std::size_t>(rows) * d_model);
  std::vector<float> inv_freq(static_cast<std::size_t>(d_model / 2));
  for (int k = 0; k < d_model / 2; ++k) {
    const float exponent = static_cast<float>(2 * k) / static_cast<float>(d_model);
    inv_freq[static_cast<std::size_t>(k)] = 1.0f / std::pow(10000.0f, exponent);
  }
  for (int row = 0; row < rows; ++row) {
    const auto r = static_cast<float>(frames - 1 - row);
    float* out = pe.data() + static_cast<std::size_t>(row) * d_model;
    for (int k = 0; k < d_model / 2; ++k) {
      const float angle = r * inv_freq[static_cast<std::size_t>(k)];
      out[2 * k] = std::sin(angle);
      out[2 * k + 1] = std::cos(angle);
    }
  }
  return pe;
}

}  // namespace verbatim
