// The cache-aware encoder's blocks with their state (conformer/cache_aware_encoder.h) on the CPU backend: attention
// over a key cache equals the whole sequence's attention under transformers' chunked_limited mask, a causal depthwise
// convolution run chunk by chunk over its cached rows equals the whole sequence's, and a window of earlier rows moved
// on by each chunk holds the whole's last rows, each against a direct computation written here from the definitions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/cpu/cpu_backend.h"

namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> out(n);
  for (float& v : out) v = normal(rng);
  return out;
}

}  // namespace

TEST_CASE("relative attention over a key cache equals the masked whole (chunked_limited)") {
  verbatim::CpuOps ops = verbatim::make_cpu_ops(2);
  const int N = 23, d = 8, heads = 2, hd = d / heads;
  for (const int chunk : {1, 3, 7}) {
    const int left = 2 * chunk;  // two whole chunks of left context
    INFO("chunk " << chunk);
    const std::vector<float> q = random_values(N * d, 1), k = random_values(N * d, 2), v = random_values(N * d, 3);
    const std::vector<float> pos = random_values((2 * N - 1) * d, 4);  // row N - 1 - r: relative position r
    const std::vector<float> u = random_values(heads * hd, 5), w = random_values(heads * hd, 6);

    // The whole sequence, directly: query i sees key j when chunk(i) - chunk(j) is 0 to left / chunk.
    std::vector<double> expected(static_cast<std::size_t>(N * d), 0.0);
    for (int h = 0; h < heads; ++h) {
      for (int i = 0; i < N; ++i) {
        std::vector<double> scores(N, -INFINITY);
        double top = -INFINITY;
        for (int j = 0; j < N; ++j) {
          const int diff = i / chunk - j / chunk;
          if (diff < 0 || diff > left / chunk) continue;
          double s = 0;
          for (int e = 0; e < hd; ++e) {
            const double qi = q[i * d + h * hd + e];
            s += (qi + u[h * hd + e]) * k[j * d + h * hd + e] + (qi + w[h * hd + e]) * pos[(N - 1 - i + j) * d + h * hd + e];
          }
          scores[j] = s / std::sqrt(static_cast<double>(hd));
          top = std::max(top, scores[j]);
        }
        double sum = 0;
        for (double& s : scores) sum += (s = std::exp(s - top));
        for (int j = 0; j < N; ++j) {
          for (int e = 0; e < hd; ++e) expected[i * d + h * hd + e] += scores[j] / sum * v[j * d + h * hd + e];
        }
      }
    }

    // Chunk by chunk: each chunk's queries over [the last `left` keys before it; its own], with the 2L - 1 position
    // rows of its L keys (relative positions L - 1 down to -(L - 1): rows N - L to N + L - 2 of the whole's table).
    double worst = 0;
    for (int first = 0; first < N; first += chunk) {
      const int T = std::min(chunk, N - first), cached = std::min(left, first), L = cached + T;
      const auto rows = [&](const std::vector<float>& x, int from, int count) {
        return ops.from_host(verbatim::DType::F32, x.data() + from * d, count, d);
      };
      const verbatim::CpuTensor out =
          ops.relative_attention(rows(q, first, T), rows(k, first - cached, L), rows(v, first - cached, L),
                                 rows(pos, N - L, 2 * L - 1), ops.from_host(verbatim::DType::F32, u.data(), heads, hd),
                                 ops.from_host(verbatim::DType::F32, w.data(), heads, hd), heads);
      std::vector<float> got(static_cast<std::size_t>(T * d));
      ops.to_host(out, got.data());
      for (int i = 0; i < T * d; ++i) worst = std::max(worst, std::abs(got[i] - expected[first * d + i]));
    }
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("a causal depthwise convolution over cached rows, chunk by chunk, equals the whole") {
  verbatim::CpuOps ops = verbatim::make_cpu_ops(2);
  const int N = 40, channels = 5, kernel = 9, history = kernel - 1;
  const std::vector<float> x = random_values(N * channels, 7), weight = random_values(channels * kernel, 8),
                           bias = random_values(channels, 9);
  const auto params = ops.depthwise_params(weight, bias, kernel);
  for (const int chunk : {1, 4, 14}) {
    INFO("chunk " << chunk);
    // The encoder's way: [k - 1 cached rows (zeros at first); the chunk], the centred convolution's rows
    // [k / 2, k / 2 + T), and the input's last k - 1 rows kept.
    std::vector<float> cache(static_cast<std::size_t>(history * channels), 0.0f);
    double worst = 0;
    for (int first = 0; first < N; first += chunk) {
      const int T = std::min(chunk, N - first);
      std::vector<float> input(cache);
      input.insert(input.end(), x.begin() + first * channels, x.begin() + (first + T) * channels);
      const verbatim::CpuTensor all = ops.depthwise_conv1d(
          ops.from_host(verbatim::DType::F32, input.data(), history + T, channels), params);
      std::vector<float> got(static_cast<std::size_t>(T * channels));
      ops.to_host(ops.slice_rows(all, kernel / 2, T), got.data());
      cache.assign(input.end() - history * channels, input.end());
      for (int t = 0; t < T; ++t) {
        for (int c = 0; c < channels; ++c) {
          double expected = bias[c];  // out[t] = b + sum_j w[j] x[t - (k - 1) + j], zeros before the start
          for (int j = 0; j < kernel; ++j) {
            const int source = first + t - history + j;
            if (source >= 0) expected += weight[c * kernel + j] * x[source * channels + c];
          }
          worst = std::max(worst, std::abs(got[t * channels + c] - expected));
        }
      }
    }
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("a window of earlier rows moved on chunk by chunk holds the last rows of the whole") {
  verbatim::CpuOps ops = verbatim::make_cpu_ops(2);
  const int N = 30, cols = 3;
  const std::vector<float> x = random_values(N * cols, 10);
  for (const int keep : {0, 4, 6}) {
    for (const int chunk : {1, 2, 5}) {
      INFO("keep " << keep << ", chunk " << chunk);
      verbatim::CpuTensor window = ops.from_host(verbatim::DType::F32, x.data(), 0, cols);
      for (int first = 0; first < N; first += chunk) {
        const int T = std::min(chunk, N - first), from = std::max(0, first - keep);
        window = ops.append_rows(std::move(window), keep,
                                 ops.from_host(verbatim::DType::F32, x.data() + first * cols, T, cols));
        REQUIRE(ops.rows(window) == first + T - from);
        std::vector<float> got(static_cast<std::size_t>(ops.rows(window) * cols));
        ops.to_host(window, got.data());
        CHECK(std::equal(got.begin(), got.end(), x.begin() + from * cols));
      }
    }
  }
}
