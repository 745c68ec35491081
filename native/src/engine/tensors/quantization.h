// MLX's affine quantization of a weight matrix: how many bits a value, how many values share a scale and a bias.
#pragma once

#include <optional>
#include <string>

namespace verbatim {

struct Quantization {
  int bits = 0;        // 2, 3, 4, 5, 6 or 8
  int group_size = 0;  // 32, 64 or 128
};

// The packing a load's "quantize" names: "8bit" or "4bit", in groups of 64 (as mlx_lm and parakeet-mlx pack);
// nullopt for anything else.
inline std::optional<Quantization> packing_named(const std::string& name) {
  if (name == "8bit") return Quantization{8, 64};
  if (name == "4bit") return Quantization{4, 64};
  return std::nullopt;
}

}  // namespace verbatim
