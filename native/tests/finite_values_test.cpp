// The scan for values that are not finite (formats/finite_values.h): every NaN and infinity of F32, F16 and BF16 is
// found at its index, wherever it sits in its block and however the data is aligned; finite extremes (the largest
// value, subnormals, negative zero) are not; the error names the file, the tensor and the value.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "formats/finite_values.h"

using namespace verbatim;

namespace {

// The stored bits of finite extremes and of the values that are not finite, per dtype.
struct Patterns {
  DType dtype;
  std::vector<uint32_t> finite;  // zero, negative zero, the smallest subnormal, ±the largest value, one
  uint32_t nan, quiet_nan_with_payload, positive_infinity, negative_infinity;
};

const Patterns kPatterns[] = {
    {DType::F32, {0x00000000u, 0x80000000u, 0x00000001u, 0x7f7fffffu, 0xff7fffffu, 0x3f800000u}, 0x7fc00000u,
     0xffc00123u, 0x7f800000u, 0xff800000u},
    {DType::F16, {0x0000u, 0x8000u, 0x0001u, 0x7bffu, 0xfbffu, 0x3c00u}, 0x7e00u, 0xfe01u, 0x7c00u, 0xfc00u},
    {DType::BF16, {0x0000u, 0x8000u, 0x0001u, 0x7f7fu, 0xff7fu, 0x3f80u}, 0x7fc0u, 0xffc1u, 0x7f80u, 0xff80u},
};

// `count` values of `dtype`, the finite patterns in turn, starting `offset` bytes into the buffer.
std::vector<uint8_t> finite_values(const Patterns& patterns, int64_t count, std::size_t offset) {
  const std::size_t size = dtype_size(patterns.dtype);
  std::vector<uint8_t> bytes(offset + static_cast<std::size_t>(count) * size);
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t bits = patterns.finite[static_cast<std::size_t>(i) % patterns.finite.size()];
    std::memcpy(bytes.data() + offset + static_cast<std::size_t>(i) * size, &bits, size);  // little-endian
  }
  return bytes;
}

void put(std::vector<uint8_t>& bytes, DType dtype, std::size_t offset, int64_t index, uint32_t bits) {
  const std::size_t size = dtype_size(dtype);
  std::memcpy(bytes.data() + offset + static_cast<std::size_t>(index) * size, &bits, size);
}

}  // namespace

TEST_CASE("finite values: every NaN and infinity is found at its index; finite extremes are not") {
  constexpr int64_t kCount = 3 * 4096 + 7;  // whole blocks and a part of one
  for (const Patterns& patterns : kPatterns) {
    for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {  // unaligned data too
      const std::vector<uint8_t> clean = finite_values(patterns, kCount, offset);
      CHECK(first_non_finite(clean.data() + offset, patterns.dtype, kCount) == -1);
      for (uint32_t bad : {patterns.nan, patterns.quiet_nan_with_payload, patterns.positive_infinity,
                           patterns.negative_infinity}) {
        for (int64_t at : {int64_t{0}, int64_t{1}, int64_t{4095}, int64_t{4096}, int64_t{8191}, kCount - 1}) {
          std::vector<uint8_t> bytes = clean;
          put(bytes, patterns.dtype, offset, at, bad);
          CHECK_MESSAGE(first_non_finite(bytes.data() + offset, patterns.dtype, kCount) == at,
                        dtype_name(patterns.dtype), " bits ", bad, " at ", at, " offset ", offset);
          // Only the first one counts; past `count` nothing is read.
          put(bytes, patterns.dtype, offset, kCount - 1, bad);
          CHECK(first_non_finite(bytes.data() + offset, patterns.dtype, kCount) == at);
          CHECK(first_non_finite(bytes.data() + offset, patterns.dtype, at) == -1);
        }
      }
    }
  }
  const uint8_t integers[4] = {0xff, 0xff, 0xff, 0xff};
  CHECK(first_non_finite(integers, DType::U32, 1) == -1);
  CHECK(first_non_finite(integers, DType::F32, 0) == -1);
}

TEST_CASE("finite values: the error names the file, the tensor, the value and what to do") {
  for (const Patterns& patterns : kPatterns) {
    std::vector<uint8_t> bytes = finite_values(patterns, 10, 0);
    TensorView view{patterns.dtype, {2, 5}, bytes.data(), bytes.size()};
    CHECK_NOTHROW(check_finite("/m/model.safetensors", "joint.joint_net.2.bias", view));
    const std::string where = std::string("/m/model.safetensors: tensor \"joint.joint_net.2.bias\" holds ");
    const std::string of = " of 10, " + std::string(dtype_name(patterns.dtype)) + "): the model's weights are damaged";
    put(bytes, patterns.dtype, 0, 7, patterns.negative_infinity);
    CHECK_THROWS_WITH_AS(check_finite("/m/model.safetensors", "joint.joint_net.2.bias", view),
                         doctest::Contains((where + "-inf (element 7" + of).c_str()), FormatError);
    put(bytes, patterns.dtype, 0, 6, patterns.positive_infinity);
    CHECK_THROWS_WITH_AS(check_finite("/m/model.safetensors", "joint.joint_net.2.bias", view),
                         doctest::Contains((where + "+inf (element 6" + of).c_str()), FormatError);
    put(bytes, patterns.dtype, 0, 2, patterns.quiet_nan_with_payload);
    CHECK_THROWS_WITH_AS(check_finite("/m/model.safetensors", "joint.joint_net.2.bias", view),
                         doctest::Contains((where + "NaN (element 2" + of).c_str()), FormatError);
  }
}

