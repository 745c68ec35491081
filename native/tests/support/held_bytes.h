// The bytes the test binary's C++ code holds through operator new (the engine's tensors are std::vectors), counted by
// tests/held_bytes.cpp's replacement of the global operator new and delete: what is held now and the most held since
// the last reset, whatever the C allocator keeps.
#pragma once

#include <cstdint>

namespace verbatim::testing {

int64_t held_bytes();
int64_t peak_held_bytes();
// Starts a new peak from what is held now.
void reset_peak_held_bytes();

}  // namespace verbatim::testing
