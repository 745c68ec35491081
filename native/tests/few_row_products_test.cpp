#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/few_row_products.h"
#include "backends/cpu/q4_products.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/thread_pool.h"
#include "support/random_weights.h"
#include "support/rounded_x_bound.h"

using verbatim::DType;
using verbatim::KernelWeights;
using verbatim::ThreadPool;
using verbatim::WeightMatrix;
using verbatim::testing::reference_decode;
using verbatim::testing::rounded_x_bound;
using verbatim::testing::Rng;
using verbatim::testing::StorageFormat;
using verbatim::testing::store_matrix;
namespace cpu = verbatim::cpu;

namespace {

// The bound on fp32 accumulation: a sum whose every term passes through at most d roundings is within
// γ_d = d·u / (1 − d·u) of Σ|terms| (u = 2^-24). A term of a few-row product passes through one rounding per 8
// columns (its lane's chain of FMAs: 8 lanes with AVX2, 16 with AVX-512), 4 in the reduction of the lanes, one for
// the bias, and for quantized weights one for w = scale · q + bias in fp32; d below counts these, plus 2 to spare.
double accumulation_bound(int64_t k, double magnitude) {
  const double u = std::ldexp(1.0, -24);
  const double d = static_cast<double>((k + 7) / 8 + 4 + 1 + 1 + 2);
  return d * u / (1.0 - d * u) * magnitude;
}

// Checks y[i * ldy + r] for r in [first, first + count) against x · wᵀ (+ bias) in float64 over the independently
// decoded weights, and that every other entry of y is untouched.
void check_product(const StorageFormat& storage, int64_t m, int64_t n, int64_t k, bool with_bias, uint32_t seed) {
  Rng rng(seed);
  const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, storage);
  const WeightMatrix w = stored.view();
  REQUIRE(cpu::few_row_product_supports(w));
  const int64_t ldx = k + 3, ldy = n + 5, first = 2, count = n - 3;
  const std::vector<float> x = rng.normals(static_cast<std::size_t>(m * ldx), 1.0f);
  const std::vector<float> bias = rng.normals(static_cast<std::size_t>(n), 1.0f);
  std::vector<float> y(static_cast<std::size_t>(m * ldy), -7.0f);
  cpu::few_row_product(x.data(), m, ldx, w, first, count, with_bias ? bias.data() : nullptr, y.data(), ldy);

  const std::vector<double> weights = reference_decode(w);
  int64_t bad = 0, untouched = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t r = 0; r < ldy; ++r) {
      const float got = y[static_cast<std::size_t>(i * ldy + r)];
      if (r < first || r >= first + count) {
        untouched += got == -7.0f ? 1 : 0;
        continue;
      }
      double want = with_bias ? bias[static_cast<std::size_t>(r)] : 0.0, magnitude = std::fabs(want);
      for (int64_t c = 0; c < k; ++c) {
        const double term = x[static_cast<std::size_t>(i * ldx + c)] * weights[static_cast<std::size_t>(r * k + c)];
        want += term;
        magnitude += std::fabs(term);
      }
      if (!(std::fabs(got - want) <= accumulation_bound(k, magnitude))) ++bad;
    }
  }
  CHECK_MESSAGE(bad == 0, "format ", static_cast<int>(storage.format), " bits ", storage.bits, " group ",
                storage.group_size, " m ", m, " n ", n, " k ", k, " bias ", with_bias);
  CHECK(untouched == m * (ldy - count));
}

}  // namespace

TEST_CASE("few-row products: dense weights match a float64 product for 1 to 16 rows, with tails") {
  uint32_t seed = 500;
  for (auto format : {WeightMatrix::Format::F32, WeightMatrix::Format::F16, WeightMatrix::Format::BF16}) {
    const auto probe = store_matrix(std::vector<float>(16, 1.0f), 1, 16, StorageFormat::dense(format));
    if (!cpu::few_row_product_supports(probe.view())) {
      MESSAGE("this build has no few-row kernel");
      return;
    }
    for (int64_t m = 1; m <= cpu::kFewRowsMax; ++m) {
      check_product(StorageFormat::dense(format), m, 23, 75, m % 2 == 0, ++seed);  // 4 columns of 16 and a tail
      check_product(StorageFormat::dense(format), m, 14, 1101, m % 2 == 1, ++seed);  // a tail of 13
    }
  }
}

TEST_CASE("few-row products: 4- and 8-bit weights match a float64 product for every group size and scale type") {
  uint32_t seed = 700;
  for (int bits : {4, 8}) {
    for (int group : {32, 64, 128}) {
      for (int64_t m = 1; m <= cpu::kFewRowsMax; ++m) {
        const DType scales = m % 3 == 0 ? DType::F16 : m % 3 == 1 ? DType::BF16 : DType::F32;
        const StorageFormat storage = StorageFormat::quantized(bits, group, scales);
        const auto probe = store_matrix(std::vector<float>(static_cast<std::size_t>(group), 1.0f), 1, group, storage);
        if (!cpu::few_row_product_supports(probe.view())) {
          MESSAGE("this build has no few-row kernel");
          return;
        }
        check_product(storage, m, 21, 3 * group, m % 2 == 0, ++seed);
        check_product(storage, m, 9, 1280 + 3 * group, m % 2 == 1, ++seed);
      }
    }
  }
}

// Through matmul (which may take the 4-bit integer kernel instead), with the bound of the matmul tests.
TEST_CASE("few-row products: matmul with 2 to 16 rows matches a float64 product within the matmul tests' bound") {
  ThreadPool pool(2);
  uint32_t seed = 900;
  for (const StorageFormat& storage :
       {StorageFormat::dense(WeightMatrix::Format::F16), StorageFormat::dense(WeightMatrix::Format::BF16),
        StorageFormat::quantized(4, 64), StorageFormat::quantized(8, 64)}) {
    for (int64_t m = 2; m <= cpu::kFewRowsMax; ++m) {
      Rng rng(++seed);
      const int64_t n = 67, k = 640;
      const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, storage);
      const KernelWeights packed = cpu::kernel_weights(pool, stored.view());  // as the CPU backend holds it
      const WeightMatrix w = packed.matrix;
      const bool rounded_x = cpu::q4_product_supports(w);  // to kQ4GemmDigits bytes, as in the matmul tests
      const std::vector<float> x = rng.normals(static_cast<std::size_t>(m * k), 1.0f);
      const std::vector<float> bias = rng.normals(static_cast<std::size_t>(n), 1.0f);
      std::vector<float> y(static_cast<std::size_t>(m * n));
      cpu::matmul(pool, x.data(), m, k, w, bias.data(), y.data(), n);
      const std::vector<double> weights = reference_decode(stored.view());
      int64_t bad = 0;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t r = 0; r < n; ++r) {
          double want = bias[static_cast<std::size_t>(r)], magnitude = std::fabs(want), rounding = 0.0;
          for (int64_t c = 0; c < k; ++c) {
            const double term = x[static_cast<std::size_t>(i * k + c)] * weights[static_cast<std::size_t>(r * k + c)];
            want += term;
            magnitude += std::fabs(term);
          }
          if (rounded_x) rounding = rounded_x_bound(x.data() + i * k, weights.data() + r * k, k, storage.group_size);
          if (!(std::fabs(y[static_cast<std::size_t>(i * n + r)] - want) <= 1e-6 * magnitude + rounding)) ++bad;
        }
      }
      CHECK_MESSAGE(bad == 0, "format ", static_cast<int>(storage.format), " bits ", storage.bits, " m ", m);
    }
  }
}
