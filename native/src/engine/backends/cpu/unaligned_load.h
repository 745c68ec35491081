// A value read from bytes at any alignment: memcpy, which compilers turn into one plain load.
#pragma once

#include <cstring>

namespace verbatim {
namespace cpu {

template <typename T>
inline T load_unaligned(const void* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

}  // namespace cpu
}  // namespace verbatim
