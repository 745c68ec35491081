// Token timings from cross-attention, as openai/whisper timing.py find_alignment: the alignment heads'
// attention over the window's frames, normalised per head across tokens, median-filtered along frames,
// averaged over heads, then aligned to the frames by dynamic time warping. Grouping tokens into words needs
// text, so it happens in TypeScript; a word's start is its first token's start and its end its last token's end.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "transcript/token_timing.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

// Times `text_tokens` (ids below eot) within the window the runner last encoded (seconds from the window's start;
// each token's probability among text tokens, decoded without the previous-text prompt), whose first `num_frames` mel
// frames are audio. `sot_sequence` is the window's sot sequence (sot, language, task). `heads` must not be
// empty. `cancelled` (optional) is polled before every decoder call and throws Cancelled. Leaves the decoder
// cache holding this alignment pass.
std::vector<TokenTiming> align_tokens(WhisperRunner& runner, const std::vector<int32_t>& sot_sequence,
                                      const std::vector<int32_t>& text_tokens, int num_frames, const HeadList& heads,
                                      const std::function<bool()>& cancelled = nullptr);

// Median of each `width`-wide window along every row of a rows x cols matrix, with reflect padding (as
// timing.median_filter; rows no longer than width / 2 are left as they are). `width` must be odd.
void median_filter_rows(std::vector<float>& matrix, int rows, int cols, int width);

// Cheapest monotonic path through a rows x cols cost matrix from (0, 0) to (rows-1, cols-1), as
// timing.dtw_cpu (same tie-breaking): pairs of (row, column) in path order.
std::vector<std::pair<int, int>> dynamic_time_warping(const std::vector<double>& cost, int rows, int cols);

}  // namespace verbatim
