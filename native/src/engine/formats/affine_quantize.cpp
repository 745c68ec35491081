#include "formats/affine_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "formats/half.h"

namespace verbatim {
namespace {

float load_element(const uint8_t* p, WeightMatrix::Format format) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return format == WeightMatrix::Format::F16 ? half_to_float(bits) : bf16_to_float(bits);
}

uint16_t store_element(float f, WeightMatrix::Format format) {
  return format == WeightMatrix::Format::F16 ? float_to_half(f) : float_to_bf16(f);
}

}  // namespace

bool packable_bits(int bits) { return bits == 2 || bits == 4 || bits == 8; }

PackedMatrix affine_quantize(const WeightMatrix& w, int bits, int group_size) {
  if (w.format != WeightMatrix::Format::F16 && w.format != WeightMatrix::Format::BF16) {
    throw std::invalid_argument("affine_quantize takes fp16 or bf16 matrices");
  }
  if (!packable_bits(bits)) {
    throw std::invalid_argument("affine_quantize packs 2, 4 or 8 bits, not " + std::to_string(bits));
  }
  if (group_size <= 0 || group_size % 32 != 0 || w.cols % group_size != 0) {
    throw std::invalid_argument("affine_quantize: " + std::to_string(w.cols) + " columns are not groups of " +
                                std::to_string(group_size));
  }
  const int64_t groups = w.cols / group_size, per_word = 32 / bits;
  const float n_bins = static_cast<float>((1 << bits) - 1);
  PackedMatrix out;
  out.words.resize(static_cast<std::size_t>(w.rows * w.cols / per_word) * 4);
  out.scales.resize(static_cast<std::size_t>(w.rows * groups) * 2);
  out.biases.resize(out.scales.size());
  const auto* source = static_cast<const uint8_t*>(w.data);
  // Groups [first, last): each is independent, so large matrices are packed on every hardware thread.
  const auto pack_groups = [&](int64_t first, int64_t last) {
    std::vector<float> values(static_cast<std::size_t>(group_size));
    for (int64_t g = first; g < last; ++g) {  // row r's groups are r * groups ... r * groups + groups - 1
      const uint8_t* in = source + g * group_size * 2;
      float w_min = INFINITY, w_max = 0;  // as MLX's Metal kernel: the maximum starts from 0
      for (int j = 0; j < group_size; ++j) {
        values[static_cast<std::size_t>(j)] = load_element(in + 2 * j, w.format);
        w_min = std::min(w_min, values[static_cast<std::size_t>(j)]);
        w_max = std::max(w_max, values[static_cast<std::size_t>(j)]);
      }
      float scale = std::max((w_max - w_min) / n_bins, 1e-7f);
      const bool min_side = std::abs(w_min) > std::abs(w_max);
      if (!min_side) scale = -scale;
      const float edge = min_side ? w_min : w_max;
      const float q0 = std::round(edge / scale);
      float bias = 0;
      if (q0 != 0) scale = edge / q0, bias = edge;
      const uint16_t stored_scale = store_element(scale, w.format), stored_bias = store_element(bias, w.format);
      std::memcpy(out.scales.data() + g * 2, &stored_scale, 2);
      std::memcpy(out.biases.data() + g * 2, &stored_bias, 2);
      uint8_t* words = out.words.data() + g * group_size / per_word * 4;
      for (int j = 0; j < group_size; j += static_cast<int>(per_word)) {
        uint32_t word = 0;
        for (int k = 0; k < per_word; ++k) {
          const float q = std::round((values[static_cast<std::size_t>(j + k)] - bias) / scale);
          word |= static_cast<uint32_t>(std::clamp(q, 0.0f, n_bins)) << (k * bits);
        }
        std::memcpy(words + j / per_word * 4, &word, 4);
      }
    }
  };
  const int64_t total = w.rows * groups;
  constexpr int64_t kGroupsPerThread = 1 << 14;
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t threads = std::clamp<int64_t>(total / kGroupsPerThread, 1, cores);
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < threads; ++t) {
    workers.emplace_back(pack_groups, total * t / threads, total * (t + 1) / threads);
  }
  pack_groups(0, total / threads);
  for (std::thread& worker : workers) worker.join();
  return out;
}

WeightMatrix packed_matrix(const PackedMatrix& packed, int64_t rows, int64_t cols, int bits, int group_size,
                           DType scale_dtype) {
  WeightMatrix m;
  m.format = WeightMatrix::Format::Quantized;
  m.rows = rows;
  m.cols = cols;
  m.data = packed.words.data();
  m.bits = bits;
  m.group_size = group_size;
  m.scale_dtype = scale_dtype;
  m.scales = packed.scales.data();
  m.biases = packed.biases.data();
  return m;
}

}  // namespace verbatim
