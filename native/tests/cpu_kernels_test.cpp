#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/few_row_products.h"
#include "backends/cpu/q4_gemm.h"
#include "backends/cpu/q4_products.h"
#include "backends/cpu/q4_row_blocks.h"
#include "formats/half.h"
#include "support/random_weights.h"
#include "support/rounded_x_bound.h"
#include "backends/cpu/thread_pool.h"

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

bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return verbatim::float_bits(a) == verbatim::float_bits(b);
}

// y = x · wᵀ + bias in float64 from the independently decoded weights; also sum |x||w| per output for tolerances.
void reference_matmul(const std::vector<float>& x, int64_t m, int64_t ldx, const std::vector<double>& w, int64_t n,
                      int64_t k, const std::vector<float>* bias, std::vector<double>& y, std::vector<double>& scale) {
  y.assign(static_cast<std::size_t>(m * n), 0.0);
  scale.assign(static_cast<std::size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias != nullptr ? (*bias)[static_cast<std::size_t>(j)] : 0.0, magnitude = std::fabs(acc);
      for (int64_t c = 0; c < k; ++c) {
        const double term = x[static_cast<std::size_t>(i * ldx + c)] * w[static_cast<std::size_t>(j * k + c)];
        acc += term;
        magnitude += std::fabs(term);
      }
      y[static_cast<std::size_t>(i * n + j)] = acc;
      scale[static_cast<std::size_t>(i * n + j)] = magnitude;
    }
  }
}

// matmul with w as stored and, where the CPU backend copies it into row blocks (4-bit weights for the integer
// kernels), with that copy too, both against one float64 product of the stored weights.
void check_matmul(ThreadPool& pool, const StorageFormat& storage, int64_t m, int64_t n, int64_t k, bool with_bias,
                  uint32_t seed) {
  Rng rng(seed);
  const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, storage);
  const KernelWeights packed = cpu::kernel_weights(pool, stored.view());
  const int64_t ldx = k + 3, ldy = n + 5;
  const std::vector<float> x = rng.normals(static_cast<std::size_t>(m * ldx), 1.0f);
  const std::vector<float> bias = rng.normals(static_cast<std::size_t>(n), 1.0f);
  std::vector<double> expected, magnitude;
  const std::vector<double> decoded = reference_decode(stored.view());
  reference_matmul(x, m, ldx, decoded, n, k, with_bias ? &bias : nullptr, expected, magnitude);

  std::vector<WeightMatrix> layouts = {stored.view()};
  if (packed.storage) layouts.push_back(packed.matrix);
  for (const WeightMatrix& w : layouts) {
    std::vector<float> y(static_cast<std::size_t>(m * ldy), -7.0f);
    cpu::matmul(pool, x.data(), m, ldx, w, with_bias ? bias.data() : nullptr, y.data(), ldy);
    // 4-bit weights take integer kernels where they apply (q4_gemm for many rows of x, q4_products for a few),
    // which round x to kQ4GemmDigits bytes: within half a unit of its group's largest |x| over kQ4GemmUnits.
    const bool rounded_x = m > cpu::kFewRowsMax ? cpu::q4_gemm_supports(w) : cpu::q4_product_supports(w);
    int64_t bad = 0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const double got = y[static_cast<std::size_t>(i * ldy + j)];
        const double want = expected[static_cast<std::size_t>(i * n + j)];
        double bound = 1e-6 * magnitude[static_cast<std::size_t>(i * n + j)] + 1e-6;
        if (rounded_x) bound += rounded_x_bound(x.data() + i * ldx, decoded.data() + j * k, k, storage.group_size);
        if (std::fabs(got - want) > bound) ++bad;
      }
      for (int64_t j = n; j < ldy; ++j) CHECK(y[static_cast<std::size_t>(i * ldy + j)] == -7.0f);  // padding untouched
    }
    CHECK_MESSAGE(bad == 0, "format ", static_cast<int>(storage.format), " bits ", storage.bits, " group ",
                  storage.group_size, " m ", m, " n ", n, " k ", k, " row blocks ",
                  w.layout == WeightMatrix::Layout::RowBlocks);
  }
}

}  // namespace

TEST_CASE("half: the hardware and portable fp16 conversions agree bit for bit") {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const auto half = static_cast<uint16_t>(h);
    REQUIRE(same_float(verbatim::half_to_float(half), verbatim::half_to_float_portable(half)));
  }
  Rng rng(1);
  std::vector<float> samples = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.996f, 65520.0f, 1e-8f, -2.9802322e-8f,
                                2.9802326e-8f, 6.097555e-5f, 6.1035156e-5f, 1.00048828125f, 1.00146484375f,
                                INFINITY, -INFINITY, NAN, 1e30f};
  for (int i = 0; i < 200000; ++i) samples.push_back(std::ldexp(rng.uniform(-1.0f, 1.0f), static_cast<int>(rng.uniform(-30, 18))));
  for (float f : samples) {
    const uint16_t hardware = verbatim::float_to_half(f), portable = verbatim::float_to_half_portable(f);
    if (std::isnan(f)) {
      CHECK((portable & 0x7c00u) == 0x7c00u);
      CHECK((portable & 0x3ffu) != 0);
    } else {
      REQUIRE_MESSAGE(hardware == portable, "value ", f);
    }
  }
  CHECK(verbatim::float_to_half_portable(1.0f) == 0x3c00);
  CHECK(verbatim::float_to_half_portable(65520.0f) == 0x7c00);       // rounds past the largest half: infinity
  CHECK(verbatim::float_to_half_portable(1.00048828125f) == 0x3c00);  // tie rounds to even
  CHECK(verbatim::float_to_half_portable(1.00146484375f) == 0x3c02);
  CHECK(verbatim::float_to_half_portable(5.9604645e-8f) == 0x0001);   // smallest subnormal
}

TEST_CASE("half: bfloat16 conversions round to nearest even and keep NaN") {
  CHECK(verbatim::bf16_to_float(0x3f80) == 1.0f);
  CHECK(verbatim::float_to_bf16(1.0f) == 0x3f80);
  CHECK(verbatim::float_to_bf16(verbatim::bits_float(0x3f808000u)) == 0x3f80);  // tie to even (down)
  CHECK(verbatim::float_to_bf16(verbatim::bits_float(0x3f818000u)) == 0x3f82);  // tie to even (up)
  CHECK(verbatim::float_to_bf16(verbatim::bits_float(0x3f808001u)) == 0x3f81);
  CHECK(std::isnan(verbatim::bf16_to_float(verbatim::float_to_bf16(NAN))));
  CHECK(verbatim::float_to_bf16(INFINITY) == 0x7f80);
}

TEST_CASE("thread pool: every index runs once, on a valid thread, and errors come back") {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    CHECK(pool.threads() == threads);
    for (int64_t count : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
      std::atomic<bool> thread_ok{true};
      for (int round = 0; round < 3; ++round) {
        pool.parallel_for(count, [&](int64_t i, int thread) {
          hits[static_cast<std::size_t>(i)].fetch_add(1);
          if (thread < 0 || thread >= threads) thread_ok = false;
        });
      }
      for (auto& h : hits) CHECK(h.load() == 3);
      CHECK(thread_ok.load());
    }
    CHECK_THROWS_AS(pool.parallel_for(50, [](int64_t i, int) {
      if (i == 17) throw std::runtime_error("task failed");
    }), std::runtime_error);
    int after = 0;
    pool.parallel_for(1, [&](int64_t, int) { ++after; });  // still usable after an error
    CHECK(after == 1);
  }
}

TEST_CASE("cpu kernels: fp16 and bf16 rows convert exactly, with tails") {
  Rng rng(2);
  for (int64_t n : {1, 7, 8, 15, 16, 17, 33, 100}) {
    const std::vector<float> values = rng.normals(static_cast<std::size_t>(n), 3.0f);
    for (DType dtype : {DType::F16, DType::BF16, DType::F32}) {
      const auto bytes = verbatim::testing::store_floats(dtype, values);
      std::vector<float> out(static_cast<std::size_t>(n));
      cpu::to_float(dtype, bytes.data(), out.data(), n);
      const verbatim::Vector v{dtype, n, bytes.data()};
      const auto expected = reference_decode(v);
      for (int64_t i = 0; i < n; ++i) CHECK(out[static_cast<std::size_t>(i)] == static_cast<float>(expected[static_cast<std::size_t>(i)]));
    }
  }
  float out = 0;
  const int32_t integer = 3;
  CHECK_THROWS_AS(cpu::to_float(DType::I32, &integer, &out, 1), std::invalid_argument);
}

TEST_CASE("cpu kernels: quantized rows dequantise as MLX for every bit width, group size and scale dtype") {
  Rng rng(3);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int group : {32, 64, 128}) {
      for (DType scale_dtype : {DType::F16, DType::BF16, DType::F32}) {
        const int64_t rows = 5, cols = 256;
        const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(rows * cols), 1.0f), rows, cols,
                                         StorageFormat::quantized(bits, group, scale_dtype));
        const WeightMatrix w = stored.view();
        std::vector<float> decoded(static_cast<std::size_t>(3 * cols));
        cpu::decode_rows(w, 2, 3, decoded.data());
        const auto expected = reference_decode(w);
        int64_t bad = 0;
        for (int64_t i = 0; i < 3 * cols; ++i) {
          const double want = expected[static_cast<std::size_t>(2 * cols + i)];
          if (std::fabs(decoded[static_cast<std::size_t>(i)] - want) > 1e-6 * (1 + std::fabs(want))) ++bad;
        }
        CHECK_MESSAGE(bad == 0, "bits ", bits, " group ", group);
      }
    }
  }
}

// MLX rescales each group so that its larger-magnitude edge is exact; the far edge may then clip by up to a step.
TEST_CASE("cpu kernels: quantization round-trips within one step") {
  Rng rng(4);
  const int group = 64;
  const std::vector<float> values = rng.normals(64 * 128, 1.0f);
  const auto stored = store_matrix(values, 64, 128, StorageFormat::quantized(8, group, DType::F32));
  const auto decoded = reference_decode(stored.view());
  for (std::size_t first = 0; first < values.size(); first += group) {
    const auto [lo, hi] = std::minmax_element(values.begin() + first, values.begin() + first + group);
    const double step = (*hi - *lo) / 255.0;
    for (std::size_t i = first; i < first + group; ++i) CHECK(std::fabs(decoded[i] - values[i]) <= 1.01 * step);
  }
}

TEST_CASE("cpu kernels: matmul matches a float64 reference for every stored format, few and many rows") {
  ThreadPool pool(2);
  uint32_t seed = 10;
  for (auto format : {WeightMatrix::Format::F32, WeightMatrix::Format::F16, WeightMatrix::Format::BF16}) {
    for (int64_t m : {1, 3, 16, 17, 40}) {
      check_matmul(pool, StorageFormat::dense(format), m, 37, 75, m % 2 == 1, ++seed);
    }
    check_matmul(pool, StorageFormat::dense(format), 33, 300, 256, true, ++seed);  // several BLAS tiles
  }
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int group : {32, 64, 128}) {
      check_matmul(pool, StorageFormat::quantized(bits, group), 1, 45, 256, true, ++seed);
      check_matmul(pool, StorageFormat::quantized(bits, group), 5, 19, 128, false, ++seed);
      check_matmul(pool, StorageFormat::quantized(bits, group), 24, 300, 256, true, ++seed);
    }
  }
}

TEST_CASE("cpu kernels: 4-bit decoding products match a float64 reference for every group layout and scale type") {
  ThreadPool pool(2);
  uint32_t seed = 300;
  for (DType scales : {DType::F16, DType::BF16, DType::F32}) {
    for (int group : {64, 128}) {
      check_matmul(pool, StorageFormat::quantized(4, group, scales), 1, 41, 1280, true, ++seed);  // 16 groups and more
      check_matmul(pool, StorageFormat::quantized(4, group, scales), 3, 9, 2048, false, ++seed);
      check_matmul(pool, StorageFormat::quantized(4, 64, scales), 2, 5, 192, true, ++seed);  // not whole 128s
    }
  }
}

TEST_CASE("cpu kernels: a NaN or infinity in x makes every 4-bit product it enters non-finite") {
  ThreadPool pool(1);
  Rng rng(8);
  const int64_t n = 6, k = 256;
  const auto stored =
      store_matrix(rng.normals(static_cast<std::size_t>(n * k), 1.0f), n, k, StorageFormat::quantized(4, 64));
  const KernelWeights packed = cpu::kernel_weights(pool, stored.view());  // the integer kernels' layout
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> x = rng.normals(static_cast<std::size_t>(2 * k), 1.0f);
    x[static_cast<std::size_t>(k + 70)] = bad;  // row 1 only
    std::vector<float> y(static_cast<std::size_t>(2 * n));
    cpu::matmul(pool, x.data(), 2, k, packed.matrix, nullptr, y.data(), n);
    for (int64_t j = 0; j < n; ++j) {
      CHECK(std::isfinite(y[static_cast<std::size_t>(j)]));
      CHECK_FALSE(std::isfinite(y[static_cast<std::size_t>(n + j)]));
    }
  }
}

TEST_CASE("cpu kernels: matmul reads fp32 weights that are not 4-byte aligned") {
  ThreadPool pool(2);
  Rng rng(5);
  const int64_t n = 9, k = 20;
  const std::vector<float> values = rng.normals(static_cast<std::size_t>(n * k), 1.0f);
  std::vector<uint8_t> bytes(values.size() * 4 + 1);
  std::memcpy(bytes.data() + 1, values.data(), values.size() * 4);
  WeightMatrix w;
  w.rows = n;
  w.cols = k;
  w.data = bytes.data() + 1;
  for (int64_t m : {2, 20}) {
    const std::vector<float> x = rng.normals(static_cast<std::size_t>(m * k), 1.0f);
    std::vector<float> y(static_cast<std::size_t>(m * n));
    cpu::matmul(pool, x.data(), m, k, w, nullptr, y.data(), n);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t c = 0; c < k; ++c) want += double(x[static_cast<std::size_t>(i * k + c)]) * values[static_cast<std::size_t>(j * k + c)];
        CHECK(y[static_cast<std::size_t>(i * n + j)] == doctest::Approx(want).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("cpu kernels: softmax, gelu and layer norm match float64 references") {
  ThreadPool pool(2);
  Rng rng(8);
  for (int64_t n : {1, 5, 31, 32, 33, 1500}) {
    for (float spread : {1.0f, 30.0f, 90.0f}) {  // 90: most exps underflow, some saturate the range
      std::vector<float> row(static_cast<std::size_t>(n));
      for (float& v : row) v = rng.uniform(-spread, spread);
      const std::vector<double> x(row.begin(), row.end());
      const double top = *std::max_element(x.begin(), x.end());
      double total = 0;
      for (double v : x) total += std::exp(v - top);
      cpu::softmax(row.data(), n);
      for (std::size_t i = 0; i < row.size(); ++i) {
        // fp32 rounds x - top to half an ulp, which exp turns into a relative error of up to 6e-8 * |x - top|.
        const double want = std::exp(x[i] - top) / total;
        const double tolerance = (1e-6 + 6e-8 * (top - x[i])) * want + 1e-38;
        CHECK_MESSAGE(std::fabs(row[i] - want) <= tolerance, "n ", n, " spread ", spread);
      }
    }
  }

  std::vector<float> g;
  for (float x = -12.0f; x < 12.0f; x += 0.0007f) g.push_back(x);
  std::vector<float> out = g;
  cpu::gelu(pool, out.data(), static_cast<int64_t>(out.size()));
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double x = g[i], want = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    CHECK_MESSAGE(std::fabs(out[i] - want) <= 4e-7 * (1.0 + std::fabs(x)), "x ", x);
  }

  const int64_t rows = 70, cols = 101;
  const std::vector<float> x = rng.normals(static_cast<std::size_t>(rows * cols), 2.0f);
  const std::vector<float> gamma = rng.normals(static_cast<std::size_t>(cols), 1.0f);
  const std::vector<float> beta = rng.normals(static_cast<std::size_t>(cols), 1.0f);
  std::vector<float> y = x;
  cpu::layer_norm(pool, y.data(), rows, cols, gamma.data(), beta.data(), y.data());
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) mean += x[static_cast<std::size_t>(r * cols + c)];
    mean /= cols;
    for (int64_t c = 0; c < cols; ++c) var += std::pow(x[static_cast<std::size_t>(r * cols + c)] - mean, 2);
    var /= cols;
    for (int64_t c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      const double want = (x[i] - mean) / std::sqrt(var + 1e-5) * gamma[static_cast<std::size_t>(c)] + beta[static_cast<std::size_t>(c)];
      CHECK(std::fabs(y[i] - want) < 1e-5 * (1 + std::fabs(want)));
    }
  }
}

TEST_CASE("cpu kernels: attention matches a float64 reference, causal mask bottom-right aligned") {
  ThreadPool pool(2);
  Rng rng(7);
  struct Case {
    int64_t queries, keys;
    bool causal;
    int d = 8;
  };
  // Head widths that are multiples of 16 take the vector path for few queries, 16 keys at a time (the causal mask
  // inside such a run of keys, and the keys after the last whole run, included).
  for (const Case& c : {Case{5, 9, true}, Case{1, 1, true}, Case{4, 4, true}, Case{70, 70, true}, Case{70, 23, false},
                        Case{3, 130, false}, Case{5, 300, false, 64}, Case{16, 40, true, 64}, Case{1, 150, true, 16}}) {
    CAPTURE(c.queries);
    CAPTURE(c.keys);
    const int heads = 3, d = c.d, width = heads * d, ldkv = width + 2;
    cpu::AttentionShape shape{c.queries, c.keys, heads, d, c.causal};
    const auto q = rng.normals(static_cast<std::size_t>(c.queries * width), 1.0f);
    const auto k = rng.normals(static_cast<std::size_t>(c.keys * ldkv), 1.0f);
    const auto v = rng.normals(static_cast<std::size_t>(c.keys * ldkv), 1.0f);
    std::vector<float> out(static_cast<std::size_t>(c.queries * width));
    std::vector<float> weights(static_cast<std::size_t>(heads * c.queries * c.keys), -1.0f);
    cpu::attention(pool, shape, q.data(), width, k.data(), v.data(), ldkv, out.data(), width, weights.data());

    const double scale = std::pow(d, -0.25);
    for (int h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < c.queries; ++i) {
        const int64_t visible = c.causal ? c.keys - c.queries + i + 1 : c.keys;
        std::vector<double> p(static_cast<std::size_t>(c.keys), 0.0);
        double top = -1e300, total = 0;
        for (int64_t j = 0; j < visible; ++j) {
          double s = 0;
          for (int t = 0; t < d; ++t) {
            s += (q[static_cast<std::size_t>(i * width + h * d + t)] * scale) *
                 (k[static_cast<std::size_t>(j * ldkv + h * d + t)] * scale);
          }
          p[static_cast<std::size_t>(j)] = s;
          top = std::max(top, s);
        }
        for (int64_t j = 0; j < visible; ++j) total += (p[static_cast<std::size_t>(j)] = std::exp(p[static_cast<std::size_t>(j)] - top));
        for (int64_t j = 0; j < c.keys; ++j) {
          const double want = j < visible ? p[static_cast<std::size_t>(j)] / total : 0.0;
          CHECK(std::fabs(weights[static_cast<std::size_t>((h * c.queries + i) * c.keys + j)] - want) < 1e-6);
        }
        for (int t = 0; t < d; ++t) {
          double want = 0;
          for (int64_t j = 0; j < visible; ++j) want += p[static_cast<std::size_t>(j)] / total * v[static_cast<std::size_t>(j * ldkv + h * d + t)];
          CHECK(std::fabs(out[static_cast<std::size_t>(i * width + h * d + t)] - want) < 1e-5);
        }
      }
    }
  }
  cpu::AttentionShape too_many_queries{5, 4, 1, 4, true};
  std::vector<float> buffer(64);
  CHECK_THROWS_AS(cpu::attention(pool, too_many_queries, buffer.data(), 4, buffer.data(), buffer.data(), 4,
                                 buffer.data(), 4, nullptr),
                  std::invalid_argument);
}

// Decoding's cross-attention caches are held in fp16, each head's rows together, the keys in blocks read column by
// column (CpuOps::key_cache, value_cache): the same attention over them as over their values widened to fp32 in rows,
// with the few-query kernel (head widths 8 and 64, one query and sets of up to five) and the BLAS one, over caches
// holding more rows than are attended.
TEST_CASE("cpu kernels: attention over an fp16 cache equals attention over the same values in fp32 rows") {
  ThreadPool pool(2);
  Rng rng(8);
  struct Case {
    int64_t queries, keys;
    bool causal;
    int d;
  };
  for (const Case& c : {Case{1, 130, false, 8}, Case{5, 300, false, 64}, Case{16, 70, false, 64},
                        Case{17, 40, false, 64}, Case{40, 40, true, 8}, Case{3, 1500, false, 64}}) {
    CAPTURE(c.queries);
    CAPTURE(c.d);
    const int heads = 3, width = heads * c.d, ldkv = width;
    const int64_t cache_rows = c.keys + 5;
    cpu::AttentionShape shape{c.queries, c.keys, heads, c.d, c.causal};
    const auto q = rng.normals(static_cast<std::size_t>(c.queries * width), 1.0f);
    std::vector<float> k = rng.normals(static_cast<std::size_t>(cache_rows * ldkv), 2.0f), v = k;
    std::shuffle(v.begin(), v.end(), std::mt19937(3));
    const int64_t key_rows = cpu::key_cache_rows(cache_rows);
    REQUIRE(key_rows % cpu::kKeyCacheBlock == 0);
    std::vector<uint16_t> k16(static_cast<std::size_t>(key_rows * width), 0xffff), v16(v.size());
    cpu::to_key_cache(k.data(), cache_rows, width, heads, k16.data());
    cpu::to_value_cache(v.data(), cache_rows, width, heads, v16.data());
    const int64_t block = cpu::kKeyCacheBlock;
    for (int64_t j = 0; j < key_rows; ++j) {
      for (int64_t column = 0; column < width; ++column) {
        const int64_t h = column / c.d, within = column % c.d;
        const auto key =
            static_cast<std::size_t>((h * key_rows + j / block * block) * c.d + within * block + j % block);
        if (j >= cache_rows) {  // the last block filled out with zeros
          REQUIRE(k16[key] == 0);
          continue;
        }
        const auto in_rows = static_cast<std::size_t>(j * width + column);
        const auto value = static_cast<std::size_t>((h * cache_rows + j) * c.d + within);
        REQUIRE(k16[key] == verbatim::float_to_half(k[in_rows]));  // rounded to nearest even, as the scalar one
        REQUIRE(v16[value] == verbatim::float_to_half(v[in_rows]));
        k[in_rows] = verbatim::half_to_float(k16[key]);
        v[in_rows] = verbatim::half_to_float(v16[value]);
      }
    }
    const auto size = [&](int64_t n) { return static_cast<std::size_t>(n); };
    std::vector<float> out(size(c.queries * width)), out16(out.size());
    std::vector<float> weights(size(heads * c.queries * c.keys)), weights16(weights.size());
    cpu::attention(pool, shape, q.data(), width, k.data(), v.data(), ldkv, out.data(), width, weights.data());
    cpu::attention(pool, shape, q.data(), width, k16.data(), v16.data(), cache_rows, out16.data(), width,
                   weights16.data());
    // Over 16 queries BLAS reads the cache's keys in columns and the fp32 keys in rows, two kernels that sum in
    // different orders: 1.8e-6 at most here (OpenBLAS's Cooper Lake kernels), where the few-query kernels agree
    // within 1e-6; 1e-5 leaves other CPUs' kernels five times that.
    const float bound = c.queries > 16 ? 1e-5f : 1e-6f;
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(std::fabs(out16[i] - out[i]) <= bound * (1 + std::fabs(out[i])));
    for (std::size_t i = 0; i < weights.size(); ++i) CHECK(std::fabs(weights16[i] - weights[i]) <= bound);
    shape.keys = cache_rows + 1;
    CHECK_THROWS_AS(cpu::attention(pool, shape, q.data(), width, k16.data(), v16.data(), cache_rows, out16.data(),
                                   width, nullptr),
                    std::invalid_argument);
  }
}

// Beam search attends each beam's query over its own cache in one call (CpuOps::attention_per_row): each attention
// of the batch the same, bit for bit, as that attention alone, over fewer keys than one task takes, and more.
TEST_CASE("cpu kernels: a batch of attentions equals each attention alone") {
  ThreadPool pool(2);
  Rng rng(9);
  for (const int64_t keys : {int64_t{1}, int64_t{37}, int64_t{300}}) {
    for (const int d : {8, 64}) {
      CAPTURE(keys);
      CAPTURE(d);
      const int64_t count = 5, queries = 1;
      const int heads = 3, width = heads * d, ldkv = width + 4;
      const cpu::AttentionShape shape{queries, keys, heads, d, false};
      const auto q = rng.normals(static_cast<std::size_t>(count * queries * width), 1.0f);
      std::vector<std::vector<float>> k, v;  // moved, never copied: the rows' pointers stay valid
      std::vector<const float*> k_rows, v_rows;
      for (int64_t n = 0; n < count; ++n) {
        k_rows.push_back(k.emplace_back(rng.normals(static_cast<std::size_t>(keys * ldkv), 1.0f)).data());
        v_rows.push_back(v.emplace_back(rng.normals(static_cast<std::size_t>(keys * ldkv), 1.0f)).data());
      }
      std::vector<float> batched(static_cast<std::size_t>(count * queries * width)), alone(batched.size());
      cpu::attention_batch(pool, shape, count, q.data(), width, k_rows.data(), v_rows.data(), ldkv, batched.data(),
                           width);
      for (int64_t n = 0; n < count; ++n) {
        cpu::attention(pool, shape, q.data() + n * queries * width, width, k_rows[static_cast<std::size_t>(n)],
                       v_rows[static_cast<std::size_t>(n)], ldkv, alone.data() + n * queries * width, width, nullptr);
      }
      for (std::size_t i = 0; i < batched.size(); ++i) REQUIRE(batched[i] == alone[i]);
    }
  }
}
