// Long files through a transducer in overlapping chunks, as parakeet-mlx's transcribe(chunk_duration,
// overlap_duration) does (native/PARAKEET.md "Long files"): which chunks, and how two chunks' timed tokens merge.
#pragma once

#include <cstddef>
#include <vector>

#include "options/option_values.h"
#include "transcript/token_timing.h"

namespace verbatim {

struct ChunkingOptions {
  double chunk_seconds = 120;   // files longer than this are decoded in chunks of this length
  double overlap_seconds = 15;  // the audio two consecutive chunks share
};

// The longest chunk: attention's time grows with the square of a chunk's length.
constexpr double kMaxChunkSeconds = 20 * 60;

// The caller's chunkSeconds and chunkOverlapSeconds (a transducer family's options in native/lib/types.ts), checked.
// Without chunkOverlapSeconds the overlap is the default, at most half a chunk.
ChunkingOptions read_chunking_options(const OptionValues& values);

// Throws std::invalid_argument unless 1 <= chunk_seconds <= kMaxChunkSeconds and 0 <= overlap_seconds <= half a
// chunk (so no audio is decoded more than twice).
void check_chunking(const ChunkingOptions& options);

struct SampleRange {
  std::size_t first = 0;
  std::size_t count = 0;
};

// The chunks covering `n` samples: one when n fits a chunk; else chunks of chunk_seconds starting every
// chunk_seconds - overlap_seconds, up to the first that reaches the end (parakeet-mlx goes on to start one more
// inside the last chunk's overlap; that one adds nothing). Chunk lengths are whole samples, rounded down.
std::vector<SampleRange> plan_chunks(std::size_t n, int sample_rate, const ChunkingOptions& options);

// Merges the tokens of the next chunk (`next`, times from the start of the file) into those of the chunks before
// (`merged`), as parakeet-mlx's merge_longest_contiguous and, when that finds too few pairs,
// merge_longest_common_subsequence do. Tokens pair when their ids are equal and their starts differ by less than
// half the overlap; within the overlap, the longest run of consecutive pairs (at least half of `merged`'s tokens
// there) or else the longest common subsequence of pairs is kept once, and between two pairs the side with more
// tokens wins; before the first pair `merged` is kept, after the last `next`. Without two tokens on each side of
// the overlap, or without any pair, the two are cut at the middle of the overlap. Pure: no model involved.
// One departure: parakeet-mlx takes `merged`'s overlap as the tokens ending after next's start minus the overlap,
// but indexes it as a suffix; here it is that suffix (from the first such token on), which is the same unless a
// token ends after a later one.
std::vector<TokenTiming> merge_chunk_tokens(std::vector<TokenTiming> merged, const std::vector<TokenTiming>& next,
                                            double overlap_seconds);

}  // namespace verbatim
