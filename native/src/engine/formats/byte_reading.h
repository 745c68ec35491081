// Little-endian loads from byte buffers and overflow-checked size arithmetic, for the file parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace verbatim {

inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

// Reads a T from possibly unaligned memory (tensor data in safetensors and npz files is not aligned).
template <typename T>
T load_unaligned(const void* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// a * b and a + b without wrap-around: false when the result does not fit.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* result) { return !__builtin_mul_overflow(a, b, result); }
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* result) { return !__builtin_add_overflow(a, b, result); }

// True when [offset, offset + length) lies inside a buffer of `size` bytes.
inline bool range_fits(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace verbatim
