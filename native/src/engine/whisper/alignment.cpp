#include "whisper/alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "whisper/decoding.h"
#include "whisper/special_tokens.h"

namespace verbatim {
namespace {

constexpr double kChunkSeconds = 30.0;
constexpr int kMedianFilterWidth = 7;

void check_cancelled(const std::function<bool()>& cancelled) {
  if (cancelled && cancelled()) throw Cancelled();
}

// Probability of `token` under softmax(logits[0, eot)), as timing.py reads text-token probabilities.
float text_token_probability(const std::vector<float>& logits, int32_t token, int32_t eot) {
  if (token < 0 || token >= eot) return 0.0f;
  const float max = *std::max_element(logits.begin(), logits.begin() + eot);
  double sum = 0;
  for (int32_t i = 0; i < eot; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  return static_cast<float>(std::exp(static_cast<double>(logits[token]) - max) / sum);
}

// attention[token][head][frame] over all n_audio_ctx frames -> the heads' averaged, normalised and filtered
// weights [token][frame] over the first `frames` frames.
std::vector<double> alignment_matrix(const std::vector<float>& attention, int tokens, int heads, int n_audio_ctx,
                                     int frames) {
  std::vector<double> averaged(static_cast<std::size_t>(tokens) * frames, 0.0);
  std::vector<float> head_weights(static_cast<std::size_t>(tokens) * frames);
  for (int h = 0; h < heads; ++h) {
    // The runner's softmax ran over every frame; cropping and renormalising equals a softmax over the crop.
    for (int t = 0; t < tokens; ++t) {
      const float* row = attention.data() + (static_cast<std::size_t>(t) * heads + h) * n_audio_ctx;
      double sum = 0;
      for (int f = 0; f < frames; ++f) sum += row[f];
      for (int f = 0; f < frames; ++f) {
        head_weights[static_cast<std::size_t>(t) * frames + f] = sum > 0 ? static_cast<float>(row[f] / sum) : 0.0f;
      }
    }
    // Standardise each frame across tokens (population std); a frame every token attends to equally gets 0.
    for (int f = 0; f < frames; ++f) {
      double mean = 0, square = 0;
      for (int t = 0; t < tokens; ++t) mean += head_weights[static_cast<std::size_t>(t) * frames + f];
      mean /= tokens;
      for (int t = 0; t < tokens; ++t) {
        const double d = head_weights[static_cast<std::size_t>(t) * frames + f] - mean;
        square += d * d;
      }
      const double std = std::sqrt(square / tokens);
      for (int t = 0; t < tokens; ++t) {
        float& w = head_weights[static_cast<std::size_t>(t) * frames + f];
        w = std > 0 ? static_cast<float>((w - mean) / std) : 0.0f;
      }
    }
    median_filter_rows(head_weights, tokens, frames, kMedianFilterWidth);
    for (std::size_t i = 0; i < averaged.size(); ++i) averaged[i] += head_weights[i] / heads;
  }
  return averaged;
}

}  // namespace

void median_filter_rows(std::vector<float>& matrix, int rows, int cols, int width) {
  if (width <= 0 || width % 2 == 0) throw std::invalid_argument("the median filter width must be odd");
  const int pad = width / 2;
  if (cols <= pad) return;
  std::vector<float> padded(static_cast<std::size_t>(cols) + 2 * pad);
  std::vector<float> window(static_cast<std::size_t>(width));
  for (int r = 0; r < rows; ++r) {
    float* row = matrix.data() + static_cast<std::size_t>(r) * cols;
    for (int i = 0; i < cols + 2 * pad; ++i) {
      int source = i - pad;  // reflect without repeating the edge; cols > pad keeps one reflection enough
      if (source < 0) source = -source;
      if (source >= cols) source = 2 * (cols - 1) - source;
      padded[i] = row[std::clamp(source, 0, cols - 1)];
    }
    for (int c = 0; c < cols; ++c) {
      std::copy(padded.begin() + c, padded.begin() + c + width, window.begin());
      std::nth_element(window.begin(), window.begin() + pad, window.end());
      row[c] = window[pad];
    }
  }
}

std::vector<std::pair<int, int>> dynamic_time_warping(const std::vector<double>& cost, int rows, int cols) {
  if (rows <= 0 || cols <= 0 || cost.size() != static_cast<std::size_t>(rows) * cols) {
    throw std::invalid_argument("dynamic_time_warping needs a non-empty rows x cols matrix");
  }
  // Accumulated costs in float32, as openai's numba kernel keeps them (it decides the ties).
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  std::vector<float> total(static_cast<std::size_t>(rows + 1) * stride, std::numeric_limits<float>::infinity());
  std::vector<uint8_t> trace(total.size(), 0);
  total[0] = 0;
  for (int j = 1; j <= cols; ++j) {
    for (int i = 1; i <= rows; ++i) {
      const float c0 = total[(i - 1) * stride + j - 1];
      const float c1 = total[(i - 1) * stride + j];
      const float c2 = total[i * stride + j - 1];
      float best;
      uint8_t step;
      if (c0 < c1 && c0 < c2) {
        best = c0, step = 0;
      } else if (c1 < c0 && c1 < c2) {
        best = c1, step = 1;
      } else {
        best = c2, step = 2;
      }
      total[i * stride + j] = static_cast<float>(cost[static_cast<std::size_t>(i - 1) * cols + (j - 1)] + best);
      trace[i * stride + j] = step;
    }
  }
  std::vector<std::pair<int, int>> path;
  int i = rows, j = cols;
  while (i > 0 || j > 0) {
    path.emplace_back(i - 1, j - 1);
    const uint8_t step = i == 0 ? 2 : j == 0 ? 1 : trace[i * stride + j];
    if (step == 0) {
      --i, --j;
    } else if (step == 1) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<TokenTiming> align_tokens(WhisperRunner& runner, const std::vector<int32_t>& sot_sequence,
                                      const std::vector<int32_t>& text_tokens, int num_frames, const HeadList& heads,
                                      const std::function<bool()>& cancelled) {
  if (text_tokens.empty()) return {};
  if (heads.empty()) throw std::invalid_argument("word timestamps need the model's alignment heads");
  if (sot_sequence.empty()) throw std::invalid_argument("align_tokens needs the window's sot sequence");
  const WhisperDims& dims = runner.dims();
  const SpecialTokens special = SpecialTokens::for_vocabulary(dims.n_vocab);

  std::vector<int32_t> tokens = sot_sequence;
  tokens.push_back(special.notimestamps);
  const int first_text = static_cast<int>(tokens.size());
  tokens.insert(tokens.end(), text_tokens.begin(), text_tokens.end());
  tokens.push_back(special.eot);
  const int n_tokens = static_cast<int>(tokens.size());
  if (n_tokens > dims.n_text_ctx) throw std::invalid_argument("too many tokens to align in one window");

  // Feed the sot sequence at once, then one token at a time: the probability of each text token is read from
  // the logits of the token before it.
  std::vector<float> attention;
  std::vector<float> logits(static_cast<std::size_t>(dims.n_vocab));
  std::vector<float> probabilities;
  check_cancelled(cancelled);
  runner.truncate_cache(0);
  runner.decode(tokens.data(), first_text - 1, logits.data(), heads, &attention);
  for (int position = first_text - 1; position < n_tokens; ++position) {
    check_cancelled(cancelled);
    runner.decode(&tokens[position], 1, logits.data(), heads, &attention);
    if (position + 1 < n_tokens - 1) {
      probabilities.push_back(text_token_probability(logits, tokens[position + 1], special.eot));
    }
  }
  const int n_heads = static_cast<int>(heads.size());
  if (attention.size() != static_cast<std::size_t>(n_tokens) * n_heads * dims.n_audio_ctx) {
    throw std::runtime_error("the model runner returned cross-attention of the wrong size");
  }

  const int frames = std::clamp(num_frames / 2, 1, dims.n_audio_ctx);
  const std::vector<double> matrix = alignment_matrix(attention, n_tokens, n_heads, dims.n_audio_ctx, frames);
  // DTW over the rows from <|notimestamps|> (which predicts the first text token) to the last text token.
  const int rows = n_tokens - first_text;  // text tokens + 1
  std::vector<double> cost(static_cast<std::size_t>(rows) * frames);
  for (int r = 0; r < rows; ++r) {
    for (int f = 0; f < frames; ++f) {
      const double w = matrix[static_cast<std::size_t>(first_text - 1 + r) * frames + f];
      cost[static_cast<std::size_t>(r) * frames + f] = std::isfinite(w) ? -w : 0.0;
    }
  }
  const std::vector<std::pair<int, int>> path = dynamic_time_warping(cost, rows, frames);

  // The frame where the path first enters each row: row i's jump is where text token i starts.
  // Seconds as timing.py computes them: frame / TOKENS_PER_SECOND (50), a division (a product by 0.02 can differ in
  // the last bit, and openai compares word durations exactly).
  const double frames_per_second = dims.n_audio_ctx / kChunkSeconds;
  std::vector<double> jump_times;
  for (std::size_t k = 0; k < path.size(); ++k) {
    if (k == 0 || path[k].first != path[k - 1].first) jump_times.push_back(path[k].second / frames_per_second);
  }
  std::vector<TokenTiming> timings(text_tokens.size());
  for (std::size_t i = 0; i < text_tokens.size(); ++i) {
    timings[i].token = text_tokens[i];
    timings[i].start = jump_times[std::min(i, jump_times.size() - 1)];
    timings[i].end = jump_times[std::min(i + 1, jump_times.size() - 1)];
    timings[i].probability = probabilities[i];
  }
  return timings;
}

}  // namespace verbatim
