// affine_quantize against its documented formula computed one element at a time in plain floats: the packing's
// vector path (AVX2 and F16C builds) must give the same bits on the groups where rounding is delicate (halves,
// zeros of either sign, constant and one-signed groups), and 0 for a value that comes out NaN, whose place it notes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "formats/affine_quantize.h"
#include "formats/half.h"

using namespace verbatim;

namespace {

constexpr int64_t kRows = 9, kCols = 256;

uint16_t to_stored(float f, WeightMatrix::Format format) {
  return format == WeightMatrix::Format::F16 ? float_to_half(f) : float_to_bf16(f);
}

float from_stored(uint16_t bits, WeightMatrix::Format format) {
  return format == WeightMatrix::Format::F16 ? half_to_float(bits) : bf16_to_float(bits);
}

// Row r's values: one kind of group per row, each representable in fp16 and bf16 alike.
std::vector<float> test_values() {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> values(static_cast<std::size_t>(kRows * kCols));
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kCols; ++c) {
      float& v = values[static_cast<std::size_t>(r * kCols + c)];
      switch (r) {
        case 0: v = normal(rng); break;
        case 1: v = static_cast<float>(c % 16) * 0.5f - 3.75f; break;  // evenly spaced: quotients on halves
        case 2: v = (c % 2 != 0) ? 2.5f : -2.5f; break;
        case 3: v = 0.0f; break;
        case 4: v = (c % 3 != 0) ? -0.0f : 0.0f; break;
        case 5: v = 1.0f; break;
        case 6: v = -0.0078125f * static_cast<float>(c % 64 + 1); break;  // negative only
        case 7: v = 256.0f * static_cast<float>(c % 7) - 768.0f; break;
        default: v = normal(rng) * 100.0f; break;
      }
    }
  }
  return values;
}

struct Expected {
  std::vector<uint32_t> q;
  std::vector<uint16_t> scales, biases;
};

// The header's formula, one element at a time.
Expected reference(const std::vector<float>& stored, int bits, int group_size, WeightMatrix::Format format) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  Expected out;
  for (std::size_t first = 0; first < stored.size(); first += static_cast<std::size_t>(group_size)) {
    float w_min = INFINITY, w_max = 0.0f;
    for (int j = 0; j < group_size; ++j) {
      const float v = stored[first + static_cast<std::size_t>(j)];
      if (v < w_min) w_min = v;
      if (v > w_max) w_max = v;
    }
    float scale = std::max((w_max - w_min) / n_bins, 1e-7f);
    const bool min_side = std::abs(w_min) > std::abs(w_max);
    if (!min_side) scale = -scale;
    const float edge = min_side ? w_min : w_max;
    const float q0 = std::round(edge / scale);
    float bias = 0.0f;
    if (q0 != 0.0f) {
      scale = edge / q0;
      bias = edge;
    }
    out.scales.push_back(to_stored(scale, format));
    out.biases.push_back(to_stored(bias, format));
    for (int j = 0; j < group_size; ++j) {
      const float q = std::round((stored[first + static_cast<std::size_t>(j)] - bias) / scale);
      out.q.push_back(static_cast<uint32_t>(std::clamp(q, 0.0f, n_bins)));
    }
  }
  return out;
}

uint32_t packed_element(const PackedMatrix& packed, int bits, std::size_t index) {
  const std::size_t per_word = static_cast<std::size_t>(32 / bits);
  uint32_t word;
  std::memcpy(&word, packed.words.data() + index / per_word * 4, 4);
  return (word >> (index % per_word * static_cast<std::size_t>(bits))) & ((1u << bits) - 1u);
}

uint16_t stored_param(const std::vector<uint8_t>& params, std::size_t group) {
  uint16_t bits;
  std::memcpy(&bits, params.data() + 2 * group, 2);
  return bits;
}

}  // namespace

TEST_CASE("affine quantize: every width, group size and half format equals the formula element by element") {
  const std::vector<float> values = test_values();
  for (const auto format : {WeightMatrix::Format::F16, WeightMatrix::Format::BF16}) {
    std::vector<uint16_t> data(values.size());
    std::vector<float> stored(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      data[i] = to_stored(values[i], format);
      stored[i] = from_stored(data[i], format);
    }
    WeightMatrix w;
    w.format = format;
    w.rows = kRows;
    w.cols = kCols;
    w.data = data.data();
    for (int bits : {2, 4, 8}) {
      for (int group_size : {32, 64, 128}) {
        const PackedMatrix packed = affine_quantize(w, bits, group_size);
        const Expected want = reference(stored, bits, group_size, format);
        int wrong_values = 0, wrong_params = 0;
        for (std::size_t i = 0; i < want.q.size(); ++i) wrong_values += packed_element(packed, bits, i) != want.q[i];
        for (std::size_t g = 0; g < want.scales.size(); ++g) {
          wrong_params += stored_param(packed.scales, g) != want.scales[g];
          wrong_params += stored_param(packed.biases, g) != want.biases[g];
        }
        const bool bf16 = format == WeightMatrix::Format::BF16;
        CHECK_MESSAGE(wrong_values == 0, "bits ", bits, " group ", group_size, " bf16 ", bf16);
        CHECK_MESSAGE(wrong_params == 0, "bits ", bits, " group ", group_size, " bf16 ", bf16);
      }
    }
  }
}

TEST_CASE("affine quantize: a value that comes out NaN is 0, and its group's other values are as without it") {
  const std::vector<float> values = test_values();
  std::vector<uint16_t> data(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) data[i] = float_to_half(values[i]);
  WeightMatrix w;
  w.format = WeightMatrix::Format::F16;
  w.rows = kRows;
  w.cols = kCols;
  w.data = data.data();
  const PackedMatrix clean = affine_quantize(w, 4, 64);
  // In row 0's first group (normal values), a place holding neither its least nor its greatest value, so that the
  // group's range is the same without it.
  const auto group = values.begin(), group_end = values.begin() + 64;
  std::size_t at = 0;
  while (values[at] == *std::min_element(group, group_end) || values[at] == *std::max_element(group, group_end)) ++at;
  data[at] = 0x7e00;  // fp16 NaN
  const PackedMatrix with_nan = affine_quantize(w, 4, 64);
  CHECK(clean.first_non_finite == -1);
  CHECK(with_nan.first_non_finite == static_cast<int64_t>(at));
  CHECK(packed_element(with_nan, 4, at) == 0);
  int changed = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != at) changed += packed_element(with_nan, 4, i) != packed_element(clean, 4, i);
  }
  CHECK(changed == 0);
  CHECK(std::memcmp(with_nan.scales.data(), clean.scales.data(), clean.scales.size()) == 0);
}

TEST_CASE("affine quantize: the first value that is not finite is noted, whichever thread packs its group") {
  // 16,384 groups: packed on every hardware thread (4,096 groups a thread at least).
  constexpr int64_t kManyRows = 16384, kWidth = 64;
  for (const WeightMatrix::Format format : {WeightMatrix::Format::F16, WeightMatrix::Format::BF16}) {
    const bool f16 = format == WeightMatrix::Format::F16;
    std::vector<uint16_t> data(static_cast<std::size_t>(kManyRows * kWidth), to_stored(0.25f, format));
    WeightMatrix w;
    w.format = format;
    w.rows = kManyRows;
    w.cols = kWidth;
    w.data = data.data();
    CHECK(affine_quantize(w, 8, 64).first_non_finite == -1);
    const std::size_t last = data.size() - 1, middle = data.size() / 2 + 17, early = 5 * 64 + 63;
    data[last] = f16 ? 0xfc00 : 0xff80;  // -inf, in the last thread's groups
    CHECK(affine_quantize(w, 8, 64).first_non_finite == static_cast<int64_t>(last));
    data[middle] = f16 ? 0x7e00 : 0x7fc0;  // NaN
    CHECK(affine_quantize(w, 4, 64).first_non_finite == static_cast<int64_t>(middle));
    data[early] = f16 ? 0x7c00 : 0x7f80;  // +inf, the last value of a group
    CHECK(affine_quantize(w, 2, 64).first_non_finite == static_cast<int64_t>(early));
  }
}
