// A file through a Parakeet model in chunks (parakeet/tdt_transcribe.h) on the tiny fixtures: the chunked decode is
// each chunk decoded as a file of its own, its times moved to the chunk's start, merged by merge_chunk_tokens; and
// the chunks come with progress and a chance to yield, and can be cancelled between them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "parakeet/parakeet_runners.h"
#include "parakeet/tdt_transcribe.h"
#include "transcript/cancelled.h"
#include "formats/byte_reading.h"
#include "support/held_bytes.h"

namespace {

const std::string kFixtures = std::string(VERBATIM_REFERENCE_DIR) + "/../";

// heldout-00 … 08 (44-byte-header 16-bit WAVs) one after another: 31.3 s of speech.
std::vector<float> speech() {
  std::vector<float> out;
  for (int i = 0; i < 9; ++i) {
    std::ifstream file(kFixtures + "heldout/heldout-0" + std::to_string(i) + ".wav", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 44);
    REQUIRE(std::memcmp(bytes.data() + 36, "data", 4) == 0);
    const auto* pcm = reinterpret_cast<const uint8_t*>(bytes.data()) + 44;
    for (std::size_t k = 0; k + 1 < bytes.size() - 44; k += 2) {
      out.push_back(static_cast<int16_t>(verbatim::load_le16(pcm + k)) / 32768.0f);
    }
  }
  return out;
}

verbatim::SampleReader reader_of(const std::vector<float>& samples, std::size_t* most_read = nullptr) {
  return [&samples, most_read](std::size_t first, std::size_t count, float* out) {
    REQUIRE(first + count <= samples.size());
    if (most_read != nullptr) *most_read = std::max(*most_read, count);
    std::copy(samples.begin() + static_cast<std::ptrdiff_t>(first),
              samples.begin() + static_cast<std::ptrdiff_t>(first + count), out);
  };
}

}  // namespace

TEST_CASE("tdt transcribe: a chunked decode is its chunks decoded alone, moved to their times and merged") {
  const std::vector<float> audio = speech();
  const verbatim::ChunkingOptions chunking{10, 2};
  for (const char* name : {"parakeet-tiny", "parakeet-tiny-v3"}) {
    INFO(name);
    auto weights = std::make_shared<const verbatim::ParakeetWeights>(
        verbatim::load_parakeet_weights(kFixtures + "models/" + name));
    auto runner = verbatim::make_parakeet_cpu_runner(weights, 2);

    std::vector<std::pair<int, int>> progress;
    int yields = 0;
    verbatim::TranscribeEvents events;
    events.on_progress = [&progress](int done, int total) { progress.emplace_back(done, total); };
    events.between_windows = [&yields] { return ++yields, false; };
    std::size_t most_read = 0;
    const verbatim::SampleReader read = reader_of(audio, &most_read);
    const verbatim::Transcript chunked =
        verbatim::transcribe_tdt(*runner, weights->config, read, audio.size(), chunking, {}, {}, events);
    REQUIRE(chunked.segments.size() == 1);
    const std::vector<verbatim::TokenTiming>& tokens = chunked.segments[0].token_timings;

    const auto chunks = verbatim::plan_chunks(audio.size(), 16000, chunking);
    REQUIRE(chunks.size() == 4);  // 0-10, 8-18, 16-26, 24-31.3 s
    CHECK(most_read == 160000);   // one chunk's samples at a time
    CHECK(yields == 3);
    REQUIRE(progress.size() == 4);
    const int frames = static_cast<int>(audio.size() / 160);
    CHECK(progress.back() == std::pair<int, int>(frames, frames));

    std::vector<verbatim::TokenTiming> expected;
    for (const verbatim::SampleRange& chunk : chunks) {
      const std::vector<float> slice(audio.begin() + static_cast<std::ptrdiff_t>(chunk.first),
                                     audio.begin() + static_cast<std::ptrdiff_t>(chunk.first + chunk.count));
      const verbatim::Transcript alone = verbatim::transcribe_tdt(*runner, weights->config, reader_of(slice),
                                                                  slice.size(), verbatim::ChunkingOptions{}, {}, {}, {});
      std::vector<verbatim::TokenTiming> moved = alone.segments[0].token_timings;
      for (verbatim::TokenTiming& t : moved) t.start += chunk.first / 16000.0, t.end += chunk.first / 16000.0;
      expected = verbatim::merge_chunk_tokens(std::move(expected), moved, chunking.overlap_seconds);
    }
    REQUIRE(tokens.size() == expected.size());
    CHECK(!tokens.empty());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      CHECK(tokens[i].token == expected[i].token);
      CHECK(tokens[i].start == doctest::Approx(expected[i].start).epsilon(1e-12));
      CHECK(tokens[i].end == doctest::Approx(expected[i].end).epsilon(1e-12));
      CHECK(tokens[i].end <= audio.size() / 16000.0);
    }
    CHECK(chunked.segments[0].tokens.size() == tokens.size());
  }
}

TEST_CASE("tdt transcribe: a cancelled job stops between chunks") {
  const std::vector<float> audio = speech();
  auto weights = std::make_shared<const verbatim::ParakeetWeights>(
      verbatim::load_parakeet_weights(kFixtures + "models/parakeet-tiny-v3"));
  auto runner = verbatim::make_parakeet_cpu_runner(weights, 2);
  int chunks_done = 0;
  verbatim::TranscribeEvents events;
  events.on_progress = [&chunks_done](int, int) { ++chunks_done; };
  events.cancelled = [&chunks_done] { return chunks_done >= 2; };
  CHECK_THROWS_AS(verbatim::transcribe_tdt(*runner, weights->config, reader_of(audio), audio.size(),
                                           verbatim::ChunkingOptions{10, 2}, {}, {}, events),
                  verbatim::Cancelled);
  CHECK(chunks_done == 2);
}

TEST_CASE("tdt transcribe: a long file's later chunks hold what its first held, but the tokens merged") {
  const std::vector<float> clip = speech();
  std::vector<float> audio;
  while (audio.size() < 90 * 16000) audio.insert(audio.end(), clip.begin(), clip.end());
  auto weights = std::make_shared<const verbatim::ParakeetWeights>(
      verbatim::load_parakeet_weights(kFixtures + "models/parakeet-tiny-v3"));
  auto runner = verbatim::make_parakeet_cpu_runner(weights, 1);  // one thread: the same allocations in each chunk
  // The most bytes held during each chunk (through operator new, support/held_bytes.h), from its samples read to
  // its tokens merged: between_windows comes before every chunk but the first.
  std::vector<int64_t> peaks;
  verbatim::TranscribeEvents events;
  events.between_windows = [&peaks] {
    peaks.push_back(verbatim::testing::peak_held_bytes());
    verbatim::testing::reset_peak_held_bytes();
    return false;
  };
  verbatim::testing::reset_peak_held_bytes();
  const verbatim::ChunkingOptions chunking{30, 5};
  const verbatim::Transcript transcript = verbatim::transcribe_tdt(*runner, weights->config, reader_of(audio),
                                                                   audio.size(), chunking, {}, {}, events);
  REQUIRE(peaks.size() == 3);  // 0-30, 25-55, 50-80 s before the last, 75-94 s
  // A chunk's encoder output, 375 rows of d_model floats: what the runner held through the next chunk before issue 66
  // (with the joint's projection of it: +147 KB a chunk, 2026-11-27). Now the growth is the merged tokens', +3.4 KB.
  const int64_t encoder_output = 375 * weights->config.d_model * static_cast<int64_t>(sizeof(float));
  INFO("peaks " << peaks[0] << ", " << peaks[1] << ", " << peaks[2] << "; encoder output " << encoder_output);
  CHECK(peaks[1] - peaks[0] < encoder_output / 2);
  CHECK(peaks[2] - peaks[0] < encoder_output / 2);
  CHECK(!transcript.segments[0].tokens.empty());
}
