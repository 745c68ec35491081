// Long files in chunks (transducer/transducer_chunks.h): the chunk plan, and parakeet-mlx's merge of two chunks' timed
// tokens on constructed token lists (each expected result worked out by hand from parakeet_mlx/alignment.py).
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "transducer/transducer_chunks.h"

namespace {

using verbatim::ChunkingOptions;
using verbatim::merge_chunk_tokens;
using verbatim::plan_chunks;
using verbatim::SampleRange;
using verbatim::TokenTiming;

TokenTiming token(int32_t id, double start, double end) { return TokenTiming{id, start, end, 0.5f}; }

// Tokens `ids` starting every `step` seconds from `first`, each lasting 0.2 s.
std::vector<TokenTiming> spaced(const std::vector<int32_t>& ids, double first, double step) {
  std::vector<TokenTiming> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back(token(ids[i], first + step * i, first + step * i + 0.2));
  return out;
}

std::vector<int32_t> ids(const std::vector<TokenTiming>& tokens) {
  std::vector<int32_t> out;
  for (const TokenTiming& t : tokens) out.push_back(t.token);
  return out;
}

std::vector<std::pair<std::size_t, std::size_t>> ranges(const std::vector<SampleRange>& chunks) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (const SampleRange& c : chunks) out.emplace_back(c.first, c.first + c.count);
  return out;
}

}  // namespace

TEST_CASE("tdt chunks: a file that fits one chunk is one chunk; longer ones step by the chunk minus the overlap") {
  const ChunkingOptions defaults;  // 120 s, 15 s
  using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(ranges(plan_chunks(0, 16000, defaults)) == Ranges{{0, 0}});
  CHECK(ranges(plan_chunks(120 * 16000, 16000, defaults)) == Ranges{{0, 120 * 16000}});
  CHECK(ranges(plan_chunks(250 * 16000, 16000, defaults)) ==
        Ranges{{0, 120 * 16000}, {105 * 16000, 225 * 16000}, {210 * 16000, 250 * 16000}});
  // The chunk that reaches the end is the last (parakeet-mlx would start one more at 210 s, inside it).
  CHECK(ranges(plan_chunks(225 * 16000, 16000, defaults)) == Ranges{{0, 120 * 16000}, {105 * 16000, 225 * 16000}});
  CHECK(ranges(plan_chunks(25, 10, ChunkingOptions{1, 0})) == Ranges{{0, 10}, {10, 20}, {20, 25}});
  // Fractions of a sample round down, as parakeet-mlx's int().
  CHECK(ranges(plan_chunks(30, 10, ChunkingOptions{1.25, 0.55})) == Ranges{{0, 12}, {7, 19}, {14, 26}, {21, 30}});
}

TEST_CASE("tdt chunks: impossible chunk settings are refused") {
  CHECK_THROWS_AS(plan_chunks(100, 16000, ChunkingOptions{0.5, 0}), std::invalid_argument);
  CHECK_THROWS_AS(plan_chunks(100, 16000, ChunkingOptions{verbatim::kMaxChunkSeconds + 1, 0}), std::invalid_argument);
  CHECK_THROWS_AS(plan_chunks(100, 16000, ChunkingOptions{10, 5.5}), std::invalid_argument);
  CHECK_THROWS_AS(plan_chunks(100, 16000, ChunkingOptions{10, -1}), std::invalid_argument);
  CHECK_NOTHROW(plan_chunks(100, 16000, ChunkingOptions{10, 5}));
}

TEST_CASE("tdt chunks merge: empty sides, and chunks whose tokens do not overlap in time, are joined") {
  const auto a = spaced({1, 2}, 0, 0.5), b = spaced({3, 4}, 0.7, 0.5);
  CHECK(ids(merge_chunk_tokens({}, b, 15)) == std::vector<int32_t>{3, 4});
  CHECK(ids(merge_chunk_tokens(a, {}, 15)) == std::vector<int32_t>{1, 2});
  CHECK(ids(merge_chunk_tokens(a, b, 15)) == std::vector<int32_t>{1, 2, 3, 4});  // a ends at 0.7, b starts there
}

TEST_CASE("tdt chunks merge: the longest run of equal tokens at nearly equal times is kept once") {
  // a: ids 1-6 every 0.5 s from 0; b (a chunk starting at 1 s): 3-6 at a's times (6 a little earlier), then 7, 8.
  const auto a = spaced({1, 2, 3, 4, 5, 6}, 0, 0.5);
  auto b = spaced({3, 4, 5, 6, 7, 8}, 1.0, 0.5);
  b[3].start = 2.46;
  const auto merged = merge_chunk_tokens(a, b, 2.0);
  CHECK(ids(merged) == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(merged[5].start == doctest::Approx(2.5));  // the pair's token is a's
  CHECK(merged[6].start == doctest::Approx(3.0));
}

TEST_CASE("tdt chunks merge: a broken run falls back to the longest common subsequence; gaps take the longer side") {
  // Runs 3-4 and 6-7 (two pairs each) are under half of a's 8 overlapping tokens: the subsequence 3, 4, 6, 7 is
  // used. Between 4 and 6, a has [5] and b [20]: a tie keeps a's; after the last pair (7) b's tokens follow.
  const auto a = spaced({1, 2, 3, 4, 5, 6, 7, 8}, 0, 0.5);
  const auto b = spaced({3, 4, 20, 6, 7, 21, 9, 10}, 1.0, 0.5);
  CHECK(ids(merge_chunk_tokens(a, b, 4.0)) == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 21, 9, 10});
  // b has two tokens between 4 and 6 where a has one: b's gap wins.
  auto longer = spaced({3, 4, 20, 22, 6, 7, 21, 9}, 1.0, 0.5);
  longer[2].start = 1.8, longer[3].start = 2.1, longer[4].start = 2.5, longer[5].start = 3.0, longer[6].start = 3.5,
  longer[7].start = 4.0;
  CHECK(ids(merge_chunk_tokens(a, longer, 4.0)) == std::vector<int32_t>{1, 2, 3, 4, 20, 22, 6, 7, 21, 9});
}

TEST_CASE("tdt chunks merge: equal tokens too far apart in time do not pair") {
  // The same ids, 1.6 s apart with a 2 s overlap (pairs need under 1 s): no pair, cut at the middle of the overlap
  // ((a's end 1.7 + b's start 1.6) / 2 = 1.65).
  const auto a = spaced({1, 2, 3, 4}, 0, 0.5);
  const auto b = spaced({1, 2, 3, 4}, 1.6, 0.5);
  CHECK(ids(merge_chunk_tokens(a, b, 2.0)) == std::vector<int32_t>{1, 2, 3, 2, 3, 4});
}

TEST_CASE("tdt chunks merge: without two tokens on each side of the overlap, or without pairs, it cuts at the middle") {
  // Only a's last token ends after b's start minus the 0.1 s overlap: cut at (1.6 + 1.1) / 2 = 1.35.
  std::vector<TokenTiming> a = {token(1, 0, 0.2), token(2, 0.5, 0.7), token(3, 1.0, 1.6)};
  std::vector<TokenTiming> b = {token(9, 1.1, 1.3), token(10, 1.4, 1.5)};
  CHECK(ids(merge_chunk_tokens(a, b, 0.1)) == std::vector<int32_t>{1, 2, 10});
  // No equal ids: cut at (a's end 1.2 + b's start 0.6) / 2 = 0.9.
  const auto c = spaced({1, 2, 3}, 0, 0.5), d = spaced({7, 8, 9}, 0.6, 0.5);
  CHECK(ids(merge_chunk_tokens(c, d, 2.0)) == std::vector<int32_t>{1, 2, 8, 9});
}

TEST_CASE("tdt chunks merge: a's tokens before its overlap are kept as they are") {
  // 2 s overlap, b from 10 s: a's tokens ending by 8 s are outside the overlap and never touched.
  auto a = spaced({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0, 1.0);  // 0 s ... 11 s
  const auto b = spaced({11, 12, 13}, 10.0, 1.0);
  const auto merged = merge_chunk_tokens(a, b, 2.0);
  CHECK(ids(merged) == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
}
