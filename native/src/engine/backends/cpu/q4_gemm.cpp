#include "backends/cpu/q4_gemm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "backends/cpu/blas.h"
#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/unaligned_load.h"
#include "backends/cpu/x86_simd.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define VERBATIM_Q4_GEMM 1
#endif

namespace verbatim {
namespace cpu {

// Per width, a group's extent and the rounding of one vector of x to digits; round_row below is the same for both.
#if defined(VERBATIM_Q4_GEMM)
constexpr int64_t kRoundLanes = 16;

GroupExtent group_extent(const float* x, int64_t n) {
  __m512 top = _mm512_setzero_ps(), total = _mm512_setzero_ps();
  for (int64_t c = 0; c < n; c += 16) {
    const __m512 v = _mm512_loadu_ps(x + c);
    top = _mm512_max_ps(top, _mm512_abs_ps(v));
    total = _mm512_add_ps(total, v);
  }
  return {_mm512_reduce_max_ps(top), _mm512_reduce_add_ps(total)};
}

// x[0, kRoundLanes) · scale rounded, its digits' bytes stored kRoundLanes at a time, digit d at planes + d · stride.
inline void round_lanes(const float* x, float scale, int8_t* planes, int64_t stride) {
  __m512i value = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x), _mm512_set1_ps(scale)));
  for (int d = kQ4GemmDigits - 1; d >= 0; --d) {
    // The last digit in [-128, 127], the carry to the next: value = first · 256 + last, first in [-127, 127].
    const __m512i digit = _mm512_sub_epi32(
        _mm512_and_si512(_mm512_add_epi32(value, _mm512_set1_epi32(128)), _mm512_set1_epi32(255)),
        _mm512_set1_epi32(128));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(planes + d * stride), _mm512_cvtepi32_epi8(digit));
    value = _mm512_srai_epi32(_mm512_sub_epi32(value, digit), 8);
  }
}
#elif defined(__AVX2__)  // for the AVX2 decoding products (q4_products.h)
constexpr int64_t kRoundLanes = 8;

GroupExtent group_extent(const float* x, int64_t n) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 top = _mm256_setzero_ps(), total = _mm256_setzero_ps();
  for (int64_t c = 0; c < n; c += 8) {
    const __m256 v = _mm256_loadu_ps(x + c);
    top = _mm256_max_ps(top, _mm256_and_ps(v, magnitude));
    total = _mm256_add_ps(total, v);
  }
  __m128 largest = _mm_max_ps(_mm256_castps256_ps128(top), _mm256_extractf128_ps(top, 1));
  largest = _mm_max_ps(largest, _mm_movehl_ps(largest, largest));
  largest = _mm_max_ss(largest, _mm_movehdup_ps(largest));
  return {_mm_cvtss_f32(largest), reduce_add(total)};
}

inline void round_lanes(const float* x, float scale, int8_t* planes, int64_t stride) {
  __m256i value = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(scale)));
  for (int d = kQ4GemmDigits - 1; d >= 0; --d) {
    const __m256i digit = _mm256_sub_epi32(
        _mm256_and_si256(_mm256_add_epi32(value, _mm256_set1_epi32(128)), _mm256_set1_epi32(255)),
        _mm256_set1_epi32(128));
    // Eight 32-bit digits narrowed to bytes (each already in [-128, 127], so the saturating packs keep them).
    const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(digit), _mm256_extracti128_si256(digit, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(planes + d * stride), _mm_packs_epi16(words, words));
    value = _mm256_srai_epi32(_mm256_sub_epi32(value, digit), 8);
  }
}
#endif

#if defined(VERBATIM_Q4_GEMM) || defined(__AVX2__)
void round_row(const float* x, int64_t cols, int64_t group_size, int8_t* digits, float* units, float* sums) {
  for (int64_t start = 0, g = 0; start < cols; start += group_size, ++g) {
    const GroupExtent extent = group_extent(x + start, group_size);
    const float largest = extent.largest;
    sums[g] = extent.sum;
    units[g] = static_cast<float>(largest / kQ4GemmUnits);
    const float scale = largest > 0.0f && std::isfinite(largest) ? static_cast<float>(kQ4GemmUnits / largest) : 0.0f;
    int8_t* group = digits + g * kQ4GemmDigits * group_size;
    for (int64_t c = 0; c < group_size; c += kRoundLanes) round_lanes(x + start + c, scale, group + c, group_size);
  }
}
#endif

#if defined(VERBATIM_Q4_GEMM)

namespace {

constexpr int64_t kLanes = kRowBlock;  // weight rows per vector
constexpr int64_t kTileRows = 64;   // weight rows unpacked per task: 320 KB for 5120 columns, held in L2
constexpr int kXRows = 4;           // rows of x per pass over the tile
constexpr int kBlocksPerPass = 2;   // 16-row blocks per pass: 4 x 2 integer and as many fp32 sums in registers

// x rounded for the products: per row and group, each digit's plane of group_size bytes, first digit first.
struct XDigits {
  std::vector<int8_t> digits;  // m x groups x kQ4GemmDigits x group_size
  std::vector<float> units;    // m x groups: the value of one unit of the last digit
  std::vector<float> sums;     // m x groups: Σx, for the bias terms
};

// Weight rows [first, first + rows) unpacked (first a whole block): per block of 16 rows, per four columns, 16 lanes
// of four nibbles each as bytes; and per block and group the 16 rows' scales in fp32. Lanes past the last row hold
// zeros, as in the row blocks. From row blocks (the decoder's matrices) or MLX's rows (the encoder's, which
// kernel_weights leaves in place): the tile serves every row of x, so its layout does not matter to the products.
struct WeightTile {
  std::vector<uint32_t> nibbles;  // blocks x (cols / 4) x 16
  std::vector<float> scales;      // blocks x groups x 16
  std::vector<float> row_scales;  // one stored row's, converted before they are spread over its lane

  void unpack(const WeightMatrix& w, int64_t first, int64_t rows) {
    if (w.layout == WeightMatrix::Layout::RowBlocks) {
      unpack_row_blocks(w, first, rows);
    } else {
      unpack_rows(w, first, rows);
    }
  }

 private:
  void unpack_row_blocks(const WeightMatrix& w, int64_t first, int64_t rows) {
    const int64_t blocks = (rows + kLanes - 1) / kLanes, octets = w.cols / 8, groups = w.cols / w.group_size;
    nibbles.resize(static_cast<std::size_t>(blocks * 2 * octets * kLanes));
    scales.resize(static_cast<std::size_t>(blocks * groups * kLanes));
    const auto* packed = static_cast<const uint8_t*>(w.data) + first / kLanes * octets * 64;
    const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
    for (int64_t o = 0; o < blocks * octets; ++o) {
      const __m512i bytes = _mm512_loadu_si512(packed + o * 64);
      _mm512_storeu_si512(nibbles.data() + 2 * o * kLanes, _mm512_and_si512(bytes, low_nibbles));
      _mm512_storeu_si512(nibbles.data() + (2 * o + 1) * kLanes,
                          _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low_nibbles));
    }
    to_float(w.scale_dtype,
             static_cast<const uint8_t*>(w.scales) + first * groups * static_cast<int64_t>(dtype_size(w.scale_dtype)),
             scales.data(), blocks * groups * kLanes);
  }

  void unpack_rows(const WeightMatrix& w, int64_t first, int64_t rows) {
    const int64_t blocks = (rows + kLanes - 1) / kLanes, quads = w.cols / 4, groups = w.cols / w.group_size;
    nibbles.assign(static_cast<std::size_t>(blocks * quads * kLanes), 0);
    scales.assign(static_cast<std::size_t>(blocks * groups * kLanes), 0.0f);
    row_scales.resize(static_cast<std::size_t>(groups));
    const int64_t row_bytes = w.cols / 2;
    const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
    alignas(64) uint32_t quad[16];
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t block = r / kLanes, lane = r % kLanes;
      const auto* packed = static_cast<const uint8_t*>(w.data) + (first + r) * row_bytes;
      uint32_t* to = nibbles.data() + block * quads * kLanes + lane;
      for (int64_t c = 0; c < w.cols; c += 64) {
        // 32 bytes hold 64 columns, the even ones' nibbles low.
        const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(packed + c / 2));
        const __m256i even = _mm256_and_si256(bytes, low_nibbles);
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_nibbles);
        const __m256i a = _mm256_unpacklo_epi8(even, odd), b = _mm256_unpackhi_epi8(even, odd);
        _mm256_store_si256(reinterpret_cast<__m256i*>(quad), _mm256_permute2x128_si256(a, b, 0x20));
        _mm256_store_si256(reinterpret_cast<__m256i*>(quad + 8), _mm256_permute2x128_si256(a, b, 0x31));
        for (int q = 0; q < 16; ++q) to[(c / 4 + q) * kLanes] = quad[q];
      }
      to_float(w.scale_dtype, static_cast<const uint8_t*>(w.scales) + (first + r) * groups * dtype_size(w.scale_dtype),
               row_scales.data(), groups);
      float* to_scales = scales.data() + block * groups * kLanes + lane;
      for (int64_t g = 0; g < groups; ++g) to_scales[g * kLanes] = row_scales[static_cast<std::size_t>(g)];
    }
  }
};

// y rows [i0, i0 + I), weight blocks [b0, b0 + B) of the tile: y += Σ_g unit · scale · (digits · nibbles) (+ bias).
// Per group, each digit's products are summed exactly in 32-bit lanes (at most 128 · 15 · 127 · 256 < 2^31), the
// earlier digits shifted up a byte before the next is added.
template <int I, int B>
void tile_products(const WeightTile& tile, const XDigits& xd, int64_t i0, int64_t b0, int64_t tile_first,
                   int64_t tile_rows, const WeightMatrix& w, const float* bias, float* y, int64_t ldy) {
  const int64_t group_size = w.group_size, groups = w.cols / group_size, quads = w.cols / 4;
  const int64_t row_digits = groups * kQ4GemmDigits * group_size;
  __m512 total[I][B];
  for (auto& row : total)
    for (auto& t : row) t = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    __m512i sums[I][B];
    for (auto& row : sums)
      for (auto& s : row) s = _mm512_setzero_si512();
    for (int d = 0; d < kQ4GemmDigits; ++d) {
      if (d > 0) {
        for (auto& row : sums)
          for (auto& s : row) s = _mm512_slli_epi32(s, 8);
      }
      const int8_t* digits = xd.digits.data() + i0 * row_digits + (g * kQ4GemmDigits + d) * group_size;
      for (int64_t q = 0; q < group_size / 4; ++q) {
        __m512i weights[B];
        for (int b = 0; b < B; ++b) {
          weights[b] = _mm512_loadu_si512(tile.nibbles.data() + ((b0 + b) * quads + g * group_size / 4 + q) * kLanes);
        }
        for (int i = 0; i < I; ++i) {
          const __m512i xs = _mm512_set1_epi32(load_unaligned<int32_t>(digits + i * row_digits + 4 * q));
          for (int b = 0; b < B; ++b) sums[i][b] = _mm512_dpbusd_epi32(sums[i][b], weights[b], xs);
        }
      }
    }
    for (int b = 0; b < B; ++b) {
      const __m512 scale = _mm512_loadu_ps(tile.scales.data() + ((b0 + b) * groups + g) * kLanes);
      for (int i = 0; i < I; ++i) {
        const float x_unit = xd.units[static_cast<std::size_t>((i0 + i) * groups + g)];
        const __m512 unit = _mm512_mul_ps(scale, _mm512_set1_ps(x_unit));
        total[i][b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[i][b]), unit, total[i][b]);
      }
    }
  }
  for (int b = 0; b < B; ++b) {
    const int64_t first = tile_first + (b0 + b) * kLanes;
    const int64_t lanes = std::min<int64_t>(kLanes, tile_first + tile_rows - first);
    const auto mask = static_cast<__mmask16>(lanes >= kLanes ? 0xffff : (1u << lanes) - 1);
    const __m512 row_bias = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + first) : _mm512_setzero_ps();
    for (int i = 0; i < I; ++i) {
      float* out = y + (i0 + i) * ldy + first;
      const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), total[i][b]), row_bias);
      _mm512_mask_storeu_ps(out, mask, sum);
    }
  }
}

template <int I>
void rows_products(const WeightTile& tile, const XDigits& xd, int64_t i0, int64_t tile_first, int64_t tile_rows,
                   const WeightMatrix& w, const float* bias, float* y, int64_t ldy) {
  const int64_t blocks = (tile_rows + kLanes - 1) / kLanes;
  int64_t b = 0;
  for (; b + kBlocksPerPass <= blocks; b += kBlocksPerPass) {
    tile_products<I, kBlocksPerPass>(tile, xd, i0, b, tile_first, tile_rows, w, bias, y, ldy);
  }
  for (; b < blocks; ++b) tile_products<I, 1>(tile, xd, i0, b, tile_first, tile_rows, w, bias, y, ldy);
}

}  // namespace

bool q4_gemm_supports(const WeightMatrix& w) {
  if (w.format != WeightMatrix::Format::Quantized || w.bits != 4) return false;
  return w.layout == WeightMatrix::Layout::RowBlocks ||
         ((w.group_size == 32 || w.group_size == 64 || w.group_size == 128) && w.cols % 64 == 0 &&
          w.cols % w.group_size == 0);
}

void q4_gemm(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, const float* bias,
             float* y, int64_t ldy) {
  const int64_t groups = w.cols / w.group_size;
  thread_local XDigits xd;  // reused from product to product on the calling thread
  xd.digits.resize(static_cast<std::size_t>(m * w.cols * kQ4GemmDigits));
  xd.units.resize(static_cast<std::size_t>(m * groups));
  xd.sums.resize(static_cast<std::size_t>(m * groups));
  XDigits& rounded = xd;  // the workers must read the caller's, not their own thread_local
  const int64_t row_blocks = (m + 63) / 64;
  pool.parallel_for(row_blocks, [&](int64_t block, int) {
    for (int64_t i = block * 64; i < std::min(m, (block + 1) * 64); ++i) {
      round_row(x + i * ldx, w.cols, w.group_size, rounded.digits.data() + i * w.cols * kQ4GemmDigits,
                rounded.units.data() + i * groups, rounded.sums.data() + i * groups);
    }
  });

  // y = Σx · biasesᵀ first; the integer products are added to it.
  thread_local std::vector<float> group_biases;
  group_biases.resize(static_cast<std::size_t>(w.rows * groups));
  group_params_by_row(w, w.biases, group_biases.data());
  sgemm(false, true, static_cast<int>(m), static_cast<int>(w.rows), static_cast<int>(groups), 1.0f,
        rounded.sums.data(), static_cast<int>(groups), group_biases.data(), static_cast<int>(groups), 0.0f, y,
        static_cast<int>(ldy));

  const int64_t tiles = (w.rows + kTileRows - 1) / kTileRows;
  pool.parallel_for(tiles, [&](int64_t t, int) {
    thread_local WeightTile tile;
    const int64_t first = t * kTileRows, rows = std::min(kTileRows, w.rows - first);
    tile.unpack(w, first, rows);
    int64_t i = 0;
    for (; i + kXRows <= m; i += kXRows) rows_products<kXRows>(tile, rounded, i, first, rows, w, bias, y, ldy);
    for (; i < m; ++i) rows_products<1>(tile, rounded, i, first, rows, w, bias, y, ldy);
  });
}

#else  // no AVX-512 VNNI: matmul takes the tiled path


bool q4_gemm_supports(const WeightMatrix&) { return false; }

void q4_gemm(ThreadPool&, const float*, int64_t, int64_t, const WeightMatrix&, const float*, float*, int64_t) {
  throw std::logic_error("q4_gemm: this build has no AVX-512 VNNI kernel (ask q4_gemm_supports first)");
}

#endif

}  // namespace cpu
}  // namespace verbatim
