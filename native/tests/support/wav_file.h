// Reads the test fixtures' 16-bit PCM WAV files as float samples (s16 / 32768).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/byte_reading.h"

namespace verbatim::test {

inline std::vector<float> read_wav_samples(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE_MESSAGE(file.good(), "cannot open " << path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto* wav = reinterpret_cast<const uint8_t*>(text.data());
  REQUIRE(text.size() >= 12);
  REQUIRE(std::memcmp(wav, "RIFF", 4) == 0);
  std::size_t offset = 12;
  while (offset + 8 <= text.size()) {
    const uint32_t size = load_le32(wav + offset + 4);
    REQUIRE(size <= text.size() - offset - 8);
    if (std::memcmp(wav + offset, "data", 4) == 0) {
      std::vector<float> samples(size / 2);
      for (std::size_t i = 0; i < samples.size(); ++i) {
        samples[i] = static_cast<int16_t>(load_le16(wav + offset + 8 + 2 * i)) / 32768.0f;
      }
      return samples;
    }
    offset += 8 + size + (size & 1u);
  }
  FAIL("no data chunk in " << path);
  return {};
}

}  // namespace verbatim::test
