// The audio every family takes: 16 kHz mono float samples in [-1, 1], in memory or read a range at a time.
#pragma once

#include <cstddef>
#include <functional>

namespace verbatim {

constexpr int kSampleRate = 16000;

// Reads samples [first, first + count) of a signal into `out` (from a file, say). Throws when it cannot.
using SampleReader = std::function<void(std::size_t first, std::size_t count, float* out)>;

}  // namespace verbatim
