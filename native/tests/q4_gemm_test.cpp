#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/q4_gemm.h"
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

struct Errors {
  int64_t beyond_bound = 0;  // entries further from the float64 product than x's rounding allows
  double largest_share = 0;  // the largest error as a share of its bound
};

// q4_gemm against x · wᵀ (+ bias) in float64 over the independently decoded weights and the unrounded x, on the
// weights as stored (MLX's rows: the encoders') and as copied into row blocks (the decoders'). Each x is within
// half a unit (its group's largest |x| / (2 · kQ4GemmUnits)) of its value, so an entry may be off by the sum over
// groups of half a unit times Σ|w| over the group's columns; fp32 adds 1e-6 of Σ|x||w| at most here.
Errors check_gemm(ThreadPool& pool, const StorageFormat& storage, int64_t m, int64_t n, int64_t k, bool with_bias,
                  uint32_t seed, const std::vector<float>* given_x = nullptr) {
  Rng rng(seed);
  const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, storage);
  const KernelWeights packed = cpu::kernel_weights(pool, stored.view());
  REQUIRE(packed.matrix.layout == WeightMatrix::Layout::RowBlocks);
  const int64_t ldx = k + 3, ldy = n + 5, group = storage.group_size;
  const std::vector<float> x = given_x != nullptr ? *given_x : rng.normals(static_cast<std::size_t>(m * ldx), 1.0f);
  const std::vector<float> bias = rng.normals(static_cast<std::size_t>(n), 1.0f);
  const std::vector<double> decoded = reference_decode(stored.view());
  Errors errors;
  for (const WeightMatrix& w : {stored.view(), packed.matrix}) {
    REQUIRE(cpu::q4_gemm_supports(w));
    std::vector<float> y(static_cast<std::size_t>(m * ldy), -7.0f);
    cpu::q4_gemm(pool, x.data(), m, ldx, w, with_bias ? bias.data() : nullptr, y.data(), ldy);
    for (int64_t i = 0; i < m; ++i) {
      const float* row = x.data() + i * ldx;
      for (int64_t r = 0; r < n; ++r) {
        double want = with_bias ? bias[static_cast<std::size_t>(r)] : 0.0, magnitude = std::fabs(want);
        for (int64_t c = 0; c < k; ++c) {
          const double wc = decoded[static_cast<std::size_t>(r * k + c)];
          want += row[c] * wc;
          magnitude += std::fabs(row[c] * wc);
        }
        const double bound = rounded_x_bound(row, decoded.data() + r * k, k, group) + 1e-6 * magnitude + 1e-6;
        const double error = std::fabs(y[static_cast<std::size_t>(i * ldy + r)] - want);
        if (!(error <= bound)) ++errors.beyond_bound;
        errors.largest_share = std::max(errors.largest_share, error / bound);
      }
      for (int64_t r = n; r < ldy; ++r) CHECK(y[static_cast<std::size_t>(i * ldy + r)] == -7.0f);  // padding untouched
    }
  }
  return errors;
}

bool built_with_kernel() {
  const auto probe = store_matrix(std::vector<float>(64 * 64), 64, 64, StorageFormat::quantized(4, 64));
  return cpu::packs_row_blocks(probe.view());
}

}  // namespace

TEST_CASE("q4 gemm: within x's rounding of a float64 product, for every group size, scale type, shape and layout") {
  if (!built_with_kernel()) {
    MESSAGE("this build has no AVX-512 VNNI kernel: matmul widens 4-bit weights for BLAS instead");
    return;
  }
  ThreadPool pool(2);
  uint32_t seed = 500;
  double largest_share = 0.0;
  for (DType scales : {DType::F16, DType::BF16, DType::F32}) {
    for (int group : {32, 64, 128}) {
      // Rows of x not a multiple of the 4 per pass; weight rows past whole tiles, blocks and pairs of blocks.
      for (auto [m, n] : {std::pair<int64_t, int64_t>{17, 64}, {30, 200}, {5, 16}, {41, 83}}) {
        const Errors e = check_gemm(pool, StorageFormat::quantized(4, group, scales), m, n, 384, m % 2 == 1, ++seed);
        CHECK_MESSAGE(e.beyond_bound == 0, "group ", group, " m ", m, " n ", n);
        largest_share = std::max(largest_share, e.largest_share);
      }
    }
  }
  // Not so loose a bound that anything passes: the worst error used 0.50 of its bound (2026-11-26); a digit out of
  // place would be far beyond it.
  CHECK(largest_share > 0.1);
}

TEST_CASE("q4 gemm: long rows and large values stay within the bound (integer sums near their range)") {
  if (!built_with_kernel()) {
    return;
  }
  ThreadPool pool(2);
  Rng rng(77);
  const int64_t m = 20, k = 5120;
  // Every value its group's largest magnitude: the first digits at the end of their range, and with 128 columns
  // a group's integer sums near the largest they reach.
  std::vector<float> x(static_cast<std::size_t>(m * (k + 3)));
  for (auto& v : x) v = rng.normal(1.0f) < 0.0f ? -1e4f : 1e4f;
  CHECK(check_gemm(pool, StorageFormat::quantized(4, 128, DType::F32), m, 48, k, true, 78, &x).beyond_bound == 0);
  CHECK(check_gemm(pool, StorageFormat::quantized(4, 64, DType::BF16), m, 48, k, false, 79).beyond_bound == 0);
}

TEST_CASE("q4 gemm: a NaN or infinity in x makes every product of its row non-finite, and only those") {
  if (!built_with_kernel()) {
    return;
  }
  ThreadPool pool(1);
  Rng rng(8);
  const int64_t m = 24, n = 40, k = 256;
  const auto stored =
      store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, StorageFormat::quantized(4, 64));
  const KernelWeights packed = cpu::kernel_weights(pool, stored.view());
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> x = rng.normals(static_cast<std::size_t>(m * k), 1.0f);
    x[static_cast<std::size_t>(5 * k + 70)] = bad;  // row 5 only
    std::vector<float> y(static_cast<std::size_t>(m * n));
    cpu::q4_gemm(pool, x.data(), m, k, packed.matrix, nullptr, y.data(), n);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t r = 0; r < n; ++r) CHECK(std::isfinite(y[static_cast<std::size_t>(i * n + r)]) == (i != 5));
    }
  }
}
