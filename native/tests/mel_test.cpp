#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/byte_reading.h"
#include "whisper/mel.h"

// Reference data: native/tests/data/*.f32 are written by test/reference/make_mel_reference.py: openai/whisper's
// log_mel_spectrogram in float64 on test/fixtures/reference/jfk.wav + 30 s of zeros, and the filters of its
// mel_filters.npz (whose members are deflate-compressed, which the engine's npz reader does not take).

namespace {

const std::string kReference = std::string(VERBATIM_REFERENCE_DIR) + "/";
// This file's folder (CMake compiles sources by absolute path) holds data/.
const std::string kTestData = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/')) + "/data/";

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE_MESSAGE(file.good(), "cannot open " << path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// Raw little-endian float32 reference file with a known element count.
std::vector<float> read_f32(const std::string& name, std::size_t count) {
  const std::vector<uint8_t> bytes = read_bytes(kTestData + name);
  REQUIRE(bytes.size() == count * sizeof(float));
  std::vector<float> values(count);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// jfk.wav: 16 kHz mono s16, scaled as whisper does (/ 32768).
std::vector<float> read_jfk() {
  const std::vector<uint8_t> wav = read_bytes(kReference + "jfk.wav");
  REQUIRE(wav.size() >= 12);
  REQUIRE(std::memcmp(wav.data(), "RIFF", 4) == 0);
  std::size_t offset = 12;
  while (offset + 8 <= wav.size()) {
    const uint32_t chunk_size = verbatim::load_le32(&wav[offset + 4]);
    REQUIRE(chunk_size <= wav.size() - offset - 8);
    if (std::memcmp(&wav[offset], "data", 4) == 0) {
      std::vector<float> samples(chunk_size / 2);
      for (std::size_t i = 0; i < samples.size(); ++i) {
        samples[i] = static_cast<int16_t>(verbatim::load_le16(&wav[offset + 8 + 2 * i])) / 32768.0f;
      }
      return samples;
    }
    offset += 8 + chunk_size + (chunk_size & 1);
  }
  FAIL("jfk.wav has no data chunk");
  return {};
}

float max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const float difference = std::fabs(a[i] - b[i]);
    if (!(difference <= worst)) worst = difference;  // a NaN sticks and fails the caller's check
  }
  return worst;
}

// Frames [first, first + count * step) at `step`, all mels, as a (n_mels, count) row-major block.
std::vector<float> frames(const verbatim::Spectrogram& s, int first, int count, int step) {
  std::vector<float> block;
  for (int m = 0; m < s.n_mels; ++m) {
    for (int i = 0; i < count; ++i) block.push_back(s.at(m, first + i * step));
  }
  return block;
}

}  // namespace

TEST_CASE("mel filters match librosa's Slaney filterbank in mel_filters.npz") {
  for (int n_mels : {80, 128}) {
    const std::vector<float> reference = read_f32("mel_filters" + std::to_string(n_mels) + ".f32", n_mels * 201);
    const std::vector<float> generated = verbatim::mel_filters(n_mels);
    CAPTURE(n_mels);
    CHECK(max_abs_difference(generated, reference) <= 1e-8f);
  }
  CHECK_THROWS_AS(verbatim::mel_filters(0), std::invalid_argument);
}

TEST_CASE("log-mel spectrogram of jfk.wav matches openai/whisper") {
  const std::vector<float> jfk = read_jfk();
  REQUIRE(jfk.size() == 176000);

  SUBCASE("80 mels") {
    const verbatim::Spectrogram s = verbatim::log_mel_spectrogram(jfk.data(), jfk.size(), 80, 480000);
    REQUIRE(s.n_mels == 80);
    REQUIRE(s.n_frames == 4100);
    const std::vector<float> reference = read_f32("jfk_log_mel80_3000.f32", 80 * 3000);
    CHECK(max_abs_difference(frames(s, 0, 3000, 1), reference) <= 1e-5f);
    // Past frame 3000 everything is padding, at the floor (8 below the maximum, normalised).
    const float floor_value = *std::min_element(reference.begin(), reference.end());
    const std::vector<float> tail = frames(s, 3000, 1100, 1);
    CHECK(max_abs_difference(tail, std::vector<float>(tail.size(), floor_value)) <= 1e-5f);
  }
  SUBCASE("128 mels") {
    const verbatim::Spectrogram s = verbatim::log_mel_spectrogram(jfk.data(), jfk.size(), 128, 480000);
    REQUIRE(s.n_mels == 128);
    REQUIRE(s.n_frames == 4100);
    const std::vector<float> reference = read_f32("jfk_log_mel128_every10th.f32", 128 * 300);
    CHECK(max_abs_difference(frames(s, 0, 300, 10), reference) <= 1e-5f);
  }
}

TEST_CASE("log-mel zero padding is the same as appending zeros") {
  const std::vector<float> jfk = read_jfk();
  std::vector<float> head(jfk.begin(), jfk.begin() + 40000);
  const verbatim::Spectrogram padded = verbatim::log_mel_spectrogram(head.data(), head.size(), 80, 8123);
  head.resize(head.size() + 8123, 0.0f);
  const verbatim::Spectrogram appended = verbatim::log_mel_spectrogram(head.data(), head.size(), 80, 0);
  CHECK(padded.n_frames == (40000 + 8123) / 160);
  CHECK(appended.n_frames == padded.n_frames);
  CHECK(appended.data == padded.data);
}

TEST_CASE("log-mel of signals shorter than torch accepts reflects back and forth like numpy.pad") {
  const std::vector<float> jfk = read_jfk();
  const std::vector<float> reference = read_f32("short_signals_log_mel80.f32", 2 * 80);
  // (real samples, zero padding) from jfk sample 16000, as SHORT_SIGNALS in make_mel_reference.py.
  const int cases[2][2] = {{170, 0}, {120, 60}};
  for (int c = 0; c < 2; ++c) {
    CAPTURE(c);
    const verbatim::Spectrogram s = verbatim::log_mel_spectrogram(&jfk[16000], cases[c][0], 80, cases[c][1]);
    REQUIRE(s.n_frames == 1);
    const std::vector<float> expected(reference.begin() + c * 80, reference.begin() + (c + 1) * 80);
    CHECK(max_abs_difference(s.data, expected) <= 1e-5f);
  }
}

TEST_CASE("log-mel edge cases: no frames, silence, invalid arguments") {
  const std::vector<float> jfk = read_jfk();
  SUBCASE("less than one hop has no frames") {
    const verbatim::Spectrogram s = verbatim::log_mel_spectrogram(jfk.data(), 100, 80, 59);
    CHECK(s.n_mels == 80);
    CHECK(s.n_frames == 0);
    CHECK(s.data.empty());
    CHECK(verbatim::log_mel_spectrogram(nullptr, 0, 80, 0).n_frames == 0);
  }
  SUBCASE("pure silence is -1.5 everywhere, as whisper gives") {
    const verbatim::Spectrogram s = verbatim::log_mel_spectrogram(nullptr, 0, 128, verbatim::kWindowSamples);
    CHECK(s.n_frames == verbatim::kWindowFrames);
    CHECK(std::all_of(s.data.begin(), s.data.end(), [](float v) { return v == -1.5f; }));
  }
  SUBCASE("invalid arguments") {
    CHECK_THROWS_AS(verbatim::log_mel_spectrogram(jfk.data(), jfk.size(), 0, 0), std::invalid_argument);
    CHECK_THROWS_AS(verbatim::log_mel_spectrogram(jfk.data(), jfk.size(), 80, SIZE_MAX - 10), std::invalid_argument);
  }
}

TEST_CASE("log-mel frames a range at a time are the whole spectrogram's, bit for bit") {
  const std::vector<float> jfk = read_jfk();
  // 33 s of quiet speech, then loud: the clamp's maximum comes from late frames, which every earlier range must use.
  std::vector<float> quiet(jfk.begin(), jfk.end());
  for (float& v : quiet) v *= 0.01f;
  std::vector<float> signal;
  for (int copy = 0; copy < 3; ++copy) signal.insert(signal.end(), quiet.begin(), quiet.end());
  signal.insert(signal.end(), jfk.begin(), jfk.end());
  for (int n_mels : {80, 128}) {
    CAPTURE(n_mels);
    const verbatim::Spectrogram whole =
        verbatim::log_mel_spectrogram(signal.data(), signal.size(), n_mels, verbatim::kWindowSamples);
    verbatim::LogMelFrames frames(signal.data(), signal.size(), n_mels, verbatim::kWindowSamples);
    REQUIRE(frames.n_mels() == n_mels);
    REQUIRE(frames.n_frames() == whole.n_frames);
    // The same through a reader, which is asked for about 30 s at a time, never the whole signal.
    std::size_t largest_read = 0;
    verbatim::LogMelFrames read_frames(
        [&](std::size_t first, std::size_t count, float* out) {
          REQUIRE(first + count <= signal.size());
          largest_read = std::max(largest_read, count);
          std::copy(signal.begin() + static_cast<std::ptrdiff_t>(first),
                    signal.begin() + static_cast<std::ptrdiff_t>(first + count), out);
        },
        signal.size(), n_mels, verbatim::kWindowSamples);
    REQUIRE(read_frames.n_frames() == whole.n_frames);
    // Whole windows, ranges starting and ending inside a block, the last frames, the padding, nothing.
    const int n = whole.n_frames;
    const int ranges[][2] = {{0, 3000}, {7, 123}, {1000, 3000}, {2185, 2999}, {16, 16}, {n - 5, 5}, {n - 3000, 3000},
                             {3300, 1}, {0, 0}};
    for (const auto& range : ranges) {
      const int first = range[0], count = range[1];
      CAPTURE(first);
      CAPTURE(count);
      const std::vector<float> got = frames.frames(first, count);
      REQUIRE(got.size() == static_cast<std::size_t>(n_mels) * count);
      bool same = true;
      for (int m = 0; m < n_mels; ++m) {
        const float* row = got.data() + static_cast<std::size_t>(m) * count;
        for (int f = 0; f < count; ++f) same = same && row[f] == whole.at(m, first + f);
      }
      CHECK(same);
      CHECK(read_frames.frames(first, count) == got);
    }
    CHECK(largest_read > 0);
    CHECK(largest_read <= 3008 * 160 + 400);
    CHECK(largest_read < signal.size());
    CHECK_THROWS_AS(frames.frames(n - 5, 6), std::invalid_argument);
    CHECK_THROWS_AS(frames.frames(-1, 2), std::invalid_argument);
  }
}
