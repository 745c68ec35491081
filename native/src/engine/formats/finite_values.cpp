#include "formats/finite_values.h"

#include <algorithm>
#include <cstring>

namespace verbatim {
namespace {

// A float format's exponent and mantissa bits: a value is NaN or infinite when its exponent bits are all set.
struct FloatBits {
  uint32_t exponent;
  uint32_t mantissa;
};

constexpr FloatBits kF32{0x7f800000u, 0x007fffffu};
constexpr FloatBits kF16{0x7c00u, 0x03ffu};
constexpr FloatBits kBF16{0x7f80u, 0x007fu};

// Whole blocks are tested without a branch per value (the compiler makes vector code of the loop); only a block
// that holds a non-finite value is looked at again for its index.
template <typename Word>
int64_t first_with_exponent_set(const uint8_t* data, int64_t count, Word exponent) {
  constexpr int64_t kBlock = 4096;
  for (int64_t start = 0; start < count; start += kBlock) {
    const int64_t end = std::min(count, start + kBlock);
    unsigned found = 0;
    for (int64_t i = start; i < end; ++i) {
      Word word;
      std::memcpy(&word, data + i * static_cast<int64_t>(sizeof(Word)), sizeof(Word));
      found |= static_cast<unsigned>((word & exponent) == exponent);
    }
    if (found == 0) continue;
    for (int64_t i = start; i < end; ++i) {
      Word word;
      std::memcpy(&word, data + i * static_cast<int64_t>(sizeof(Word)), sizeof(Word));
      if ((word & exponent) == exponent) return i;
    }
  }
  return -1;
}

// "NaN", "+inf" or "-inf": the value at `index`, which is not finite.
std::string describe_non_finite(const uint8_t* data, DType dtype, int64_t index) {
  uint32_t word = 0;
  FloatBits bits = kF32;
  uint32_t sign = 0;
  if (dtype == DType::F32) {
    std::memcpy(&word, data + index * 4, 4);
    sign = word >> 31;
  } else {
    uint16_t half;
    std::memcpy(&half, data + index * 2, 2);
    word = half;
    bits = dtype == DType::F16 ? kF16 : kBF16;
    sign = word >> 15;
  }
  if ((word & bits.mantissa) != 0) return "NaN";
  return sign != 0 ? "-inf" : "+inf";
}

}  // namespace

int64_t first_non_finite(const uint8_t* data, DType dtype, int64_t count) {
  switch (dtype) {
    case DType::F32:
      return first_with_exponent_set<uint32_t>(data, count, kF32.exponent);
    case DType::F16:
      return first_with_exponent_set<uint16_t>(data, count, static_cast<uint16_t>(kF16.exponent));
    case DType::BF16:
      return first_with_exponent_set<uint16_t>(data, count, static_cast<uint16_t>(kBF16.exponent));
    default:
      return -1;
  }
}

void fail_non_finite(const std::string& path, const std::string& name, DType dtype, const uint8_t* data,
                     int64_t index, int64_t count) {
  throw FormatError(path + ": tensor \"" + name + "\" holds " + describe_non_finite(data, dtype, index) +
                    " (element " + std::to_string(index) + " of " + std::to_string(count) + ", " +
                    dtype_name(dtype) + "): the model's weights are damaged or were converted wrongly; download "
                    "the model again, or convert it again from its source");
}

void check_finite(const std::string& path, const std::string& name, const TensorView& view) {
  const int64_t count = view.elements();
  const int64_t index = first_non_finite(view.data, view.dtype, count);
  if (index >= 0) fail_non_finite(path, name, view.dtype, view.data, index, count);
}

}  // namespace verbatim
