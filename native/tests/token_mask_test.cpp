// The token mask (transducer/token_mask.h): a language lock's suppressed pieces set to -infinity before greedy TDT's
// argmax, in a file's chunks and a live update alike. That the locked decode equals transformers' greedy decode with
// the same pieces masked is native/tests/parakeet.test.ts's (parakeet-tiny-v3-multilingual's reference).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/byte_reading.h"
#include "options/option_values.h"
#include "parakeet/parakeet_runners.h"
#include "parakeet/parakeet_streaming.h"
#include "parakeet/tdt_transcribe.h"
#include "transducer/token_mask.h"

namespace {

const std::string kFixtures = std::string(VERBATIM_REFERENCE_DIR) + "/../";

std::vector<float> heldout(int i) {
  std::ifstream file(kFixtures + "heldout/heldout-0" + std::to_string(i) + ".wav", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 44);
  REQUIRE(std::memcmp(bytes.data() + 36, "data", 4) == 0);
  const auto* pcm = reinterpret_cast<const uint8_t*>(bytes.data()) + 44;
  std::vector<float> out;
  for (std::size_t k = 0; k + 1 < bytes.size() - 44; k += 2) {
    out.push_back(static_cast<int16_t>(verbatim::load_le16(pcm + k)) / 32768.0f);
  }
  return out;
}

verbatim::SampleReader reader_of(const std::vector<float>& samples) {
  return [&samples](std::size_t first, std::size_t count, float* out) {
    std::copy(samples.begin() + static_cast<std::ptrdiff_t>(first),
              samples.begin() + static_cast<std::ptrdiff_t>(first + count), out);
  };
}

std::vector<int32_t> ids_of(const verbatim::Transcript& transcript) {
  std::vector<int32_t> ids;
  for (const verbatim::Segment& s : transcript.segments) ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
  return ids;
}

}  // namespace

TEST_CASE("token mask: the suppressed logits become -infinity, the others and the blank stay") {
  const verbatim::TokenMask mask({3, 1, 3}, 5);
  std::vector<float> logits{0.5f, 9.0f, -1.0f, 7.0f, 2.0f, 1.5f, 0.1f};  // 5 tokens, the blank, a duration
  mask.apply(logits.data());
  CHECK(logits[0] == 0.5f);
  CHECK(std::isinf(logits[1]));
  CHECK(logits[1] < 0);
  CHECK(logits[2] == -1.0f);
  CHECK(std::isinf(logits[3]));
  CHECK(logits[4] == 2.0f);
  CHECK(logits[5] == 1.5f);  // the blank
  CHECK(logits[6] == 0.1f);  // a duration
  CHECK(verbatim::TokenMask().empty());
  std::vector<float> untouched{1, 2, 3};
  verbatim::TokenMask().apply(untouched.data());
  CHECK(untouched == std::vector<float>{1, 2, 3});
}

TEST_CASE("token mask: suppressTokens must be piece ids, never the blank") {
  using verbatim::OptionValue;
  const auto read = [](OptionValue value) {
    return verbatim::read_token_mask(verbatim::OptionValues{{"suppressTokens", std::move(value)}}, 64);
  };
  CHECK(read(OptionValue(std::vector<OptionValue>{})).empty());
  CHECK_FALSE(read(OptionValue(std::vector<OptionValue>{OptionValue(63.0)})).empty());
  CHECK_THROWS_WITH_AS(read(OptionValue(std::vector<OptionValue>{OptionValue(64.0)})),
                       doctest::Contains("suppressTokens"), std::invalid_argument);  // 64 is the blank
  CHECK_THROWS_WITH_AS(read(OptionValue(std::vector<OptionValue>{OptionValue(-1.0)})),
                       doctest::Contains("suppressTokens"), std::invalid_argument);
  CHECK_THROWS_AS(read(OptionValue(3.0)), std::invalid_argument);
  CHECK(verbatim::read_token_mask({}, 64).empty());
}

TEST_CASE("token mask: greedy TDT never emits a suppressed piece, in a file's chunks and a live update") {
  auto weights = std::make_shared<const verbatim::ParakeetWeights>(
      verbatim::load_parakeet_weights(kFixtures + "models/parakeet-tiny-v3-multilingual"));
  auto runner = verbatim::make_parakeet_cpu_runner(weights, 1);
  std::vector<float> audio = heldout(0);
  const std::vector<float> more = heldout(1);
  audio.insert(audio.end(), more.begin(), more.end());
  const verbatim::ChunkingOptions chunking{4, 1};  // several chunks: each decoded with the mask
  const std::vector<int32_t> free =
      ids_of(verbatim::transcribe_tdt(*runner, weights->config, reader_of(audio), audio.size(), chunking, {}, {}, {}));
  // Suppress every piece the unmasked decode emitted but the first: what is left is decoded from the others.
  const std::set<int32_t> emitted(free.begin(), free.end());
  REQUIRE(emitted.size() >= 3);
  const std::set<int32_t> suppressed(std::next(emitted.begin()), emitted.end());
  const verbatim::TokenMask mask({suppressed.begin(), suppressed.end()}, weights->config.vocab_size);
  const std::vector<int32_t> locked = ids_of(
      verbatim::transcribe_tdt(*runner, weights->config, reader_of(audio), audio.size(), chunking, {}, mask, {}));
  CHECK_FALSE(locked.empty());
  for (const int32_t id : locked) CHECK(suppressed.count(id) == 0);

  const verbatim::TransducerHypothesis live =
      verbatim::decode_transducer(*runner, weights->config, audio.data(), audio.size(), {}, mask, nullptr);
  CHECK_FALSE(live.tokens.empty());
  for (const verbatim::TdtToken& t : live.tokens) {
    CHECK(suppressed.count(t.token) == 0);
    CHECK(t.probability > 0);
  }
}
