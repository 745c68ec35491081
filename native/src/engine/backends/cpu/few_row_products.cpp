#include "backends/cpu/few_row_products.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/unaligned_load.h"
#include "backends/cpu/x86_simd.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define VERBATIM_FEW_ROWS 512
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define VERBATIM_FEW_ROWS 256  // Intel Macs, older x86
#endif

namespace verbatim {
namespace cpu {
namespace {

#if defined(VERBATIM_FEW_ROWS)

#if VERBATIM_FEW_ROWS == 512
using Floats = __m512;
constexpr int kLanes = 16;
constexpr int kBlockRows = 4;  // weight rows per block
constexpr int kMaxXRows = 6;   // rows of x per block: 6 x 4 sums, 4 weight vectors and one of x in 32 registers
using Tail = __mmask16;        // the lanes a row's last columns fill
inline Tail tail_of(int64_t columns) { return static_cast<__mmask16>((1u << columns) - 1u); }
inline Floats zeros() { return _mm512_setzero_ps(); }
inline Floats load(const float* p) { return _mm512_loadu_ps(p); }
inline Floats load_tail(const float* p, Tail t, int64_t) { return _mm512_maskz_loadu_ps(t, p); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm512_fmadd_ps(a, b, c); }
inline Floats broadcast(float s) { return _mm512_set1_ps(s); }
inline float sum_of(Floats v) { return _mm512_reduce_add_ps(v); }
inline __m256i halves(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m256i halves_tail(const uint8_t* p, Tail t, int64_t) { return _mm256_maskz_loadu_epi16(t, p); }
inline Floats from_f16(__m256i h) { return _mm512_cvtph_ps(h); }
inline Floats from_bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
inline Floats from_bytes(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)); }
#else
using Floats = __m256;
constexpr int kLanes = 8;
constexpr int kBlockRows = 2;  // 6 x 2 sums, 2 weight vectors and one of x in 16 registers
constexpr int kMaxXRows = 6;
using Tail = __m256i;
inline Tail tail_of(int64_t columns) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(columns)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Floats zeros() { return _mm256_setzero_ps(); }
inline Floats load(const float* p) { return _mm256_loadu_ps(p); }
inline Floats load_tail(const float* p, Tail t, int64_t) { return _mm256_maskload_ps(p, t); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm256_fmadd_ps(a, b, c); }
inline Floats broadcast(float s) { return _mm256_set1_ps(s); }
inline float sum_of(Floats v) { return reduce_add(v); }
inline __m128i halves(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m128i halves_tail(const uint8_t* p, Tail, int64_t columns) {  // no 16-bit masked loads before AVX-512
  alignas(16) uint16_t padded[8] = {};
  std::memcpy(padded, p, static_cast<std::size_t>(2 * columns));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(padded));
}
inline Floats from_f16(__m128i h) { return _mm256_cvtph_ps(h); }
inline Floats from_bf16(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
inline Floats from_bytes(__m128i b) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)); }
#endif

// The weights are prefetched this many blocks ahead, into L2: the hardware prefetchers lose four streams that each
// jump after a short row. Base's decoder products (1 KB rows), one core, 2 and 5 rows: 4.7-5.1 and 6.5-7.0 ms as
// here, 10.4 and 12.3-12.5 prefetched into L1 (T0), 6.0 and 6.8 one block ahead.
constexpr int kPrefetchBlocks = 4;

// The weights of a block of rows, as fp32 vectors of kLanes: load(j, c) for row j from column c, load_tail for the
// last columns of a row whose width is not a multiple of kLanes (dense formats only), and prefetch_next(j, c) asks
// for the bytes of 64 columns from c of the row a block further on.
struct RowPointers {
  const uint8_t* rows[kBlockRows];
  int64_t row_bytes;

  RowPointers(const WeightMatrix& w, int64_t r, int64_t row_bytes_) : row_bytes(row_bytes_) {
    for (int j = 0; j < kBlockRows; ++j) {
      rows[j] = static_cast<const uint8_t*>(w.data) + std::min(r + j, w.rows - 1) * row_bytes;
    }
  }
  // This and every prefetch_next are always inlined: GCC 12 judges a function that only prefetches free of effects
  // (a prefetch has none it models) and drops each call it has not inlined. The 4-bit rows' prefetch_next, too large
  // to inline early, had been dropped so (nemotron 4-bit products, 2 rows of x, one core: 138-171 -> 91-101 ms).
  [[gnu::always_inline]] void prefetch(int j, int64_t byte, int64_t bytes) const {
    const char* next = reinterpret_cast<const char*>(rows[j] + kPrefetchBlocks * kBlockRows * row_bytes + byte);
    for (int64_t b = 0; b < bytes; b += 64) _mm_prefetch(next + b, _MM_HINT_T1);
  }
};

struct F32Block : RowPointers {
  F32Block(const WeightMatrix& w, int64_t r) : RowPointers(w, r, 4 * w.cols) {}
  Floats load(int j, int64_t c) const { return cpu::load(reinterpret_cast<const float*>(rows[j]) + c); }
  Floats load_tail(int j, int64_t c, Tail t, int64_t n) const {
    return cpu::load_tail(reinterpret_cast<const float*>(rows[j]) + c, t, n);
  }
  [[gnu::always_inline]] void prefetch_next(int j, int64_t c) const { prefetch(j, 4 * c, 256); }
};

struct F16Block : RowPointers {
  F16Block(const WeightMatrix& w, int64_t r) : RowPointers(w, r, 2 * w.cols) {}
  Floats load(int j, int64_t c) const { return from_f16(halves(rows[j] + 2 * c)); }
  Floats load_tail(int j, int64_t c, Tail t, int64_t n) const { return from_f16(halves_tail(rows[j] + 2 * c, t, n)); }
  [[gnu::always_inline]] void prefetch_next(int j, int64_t c) const { prefetch(j, 2 * c, 128); }
};

struct BF16Block : RowPointers {
  BF16Block(const WeightMatrix& w, int64_t r) : RowPointers(w, r, 2 * w.cols) {}
  Floats load(int j, int64_t c) const { return from_bf16(halves(rows[j] + 2 * c)); }
  Floats load_tail(int j, int64_t c, Tail t, int64_t n) const { return from_bf16(halves_tail(rows[j] + 2 * c, t, n)); }
  [[gnu::always_inline]] void prefetch_next(int j, int64_t c) const { prefetch(j, 2 * c, 128); }
};

// MLX affine-quantized rows: w = scale · q + bias in fp32 (as decode_rows), the group parameters converted to fp32
// once per block.
struct QuantizedBlock : RowPointers {
  const float* scales[kBlockRows];
  const float* biases[kBlockRows];
  int shift;  // log2 of the group size

  QuantizedBlock(const WeightMatrix& w, int64_t r)
      : RowPointers(w, r, w.cols * w.bits / 8), shift(w.group_size == 32 ? 5 : w.group_size == 64 ? 6 : 7) {
    thread_local std::vector<float> params;
    const int64_t groups = w.cols / w.group_size;
    if (params.size() < static_cast<std::size_t>(2 * kBlockRows * groups)) {
      params.resize(static_cast<std::size_t>(2 * kBlockRows * groups));
    }
    const int64_t param_bytes = static_cast<int64_t>(dtype_size(w.scale_dtype));
    for (int j = 0; j < kBlockRows; ++j) {
      const int64_t row = std::min(r + j, w.rows - 1);
      float* s = params.data() + 2 * j * groups;
      to_float(w.scale_dtype, static_cast<const uint8_t*>(w.scales) + row * groups * param_bytes, s, groups);
      to_float(w.scale_dtype, static_cast<const uint8_t*>(w.biases) + row * groups * param_bytes, s + groups, groups);
      scales[j] = s;
      biases[j] = s + groups;
    }
  }
  // q: the kLanes integers of row j from column c, as fp32.
  Floats dequantize(int j, int64_t c, Floats q) const {
    const int64_t g = c >> shift;
    return fma(q, broadcast(scales[j][g]), broadcast(biases[j][g]));
  }
  Floats load_tail(int, int64_t, Tail, int64_t) const { throw std::logic_error("quantized rows have whole groups"); }
};

struct Q8Block : QuantizedBlock {
  using QuantizedBlock::QuantizedBlock;
  Floats load(int j, int64_t c) const {
#if VERBATIM_FEW_ROWS == 512
    return dequantize(j, c, from_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + c))));
#else
    return dequantize(j, c, from_bytes(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[j] + c))));
#endif
  }
  [[gnu::always_inline]] void prefetch_next(int j, int64_t c) const { prefetch(j, c, 64); }
};

struct Q4Block : QuantizedBlock {
  using QuantizedBlock::QuantizedBlock;
  Floats load(int j, int64_t c) const {
#if VERBATIM_FEW_ROWS == 512
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[j] + c / 2));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i low = _mm_and_si128(bytes, nibble), high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
    return dequantize(j, c, from_bytes(_mm_unpacklo_epi8(low, high)));  // the low nibble comes first
#else
    // The 8 columns' 4 bytes in every lane, lane k shifted down to its own nibble (column k at bit 4k: the low
    // nibble comes first): fewer operations than splitting and interleaving the bytes.
    const __m256i four = _mm256_set1_epi32(load_unaligned<int32_t>(rows[j] + c / 2));
    const __m256i shifted = _mm256_srlv_epi32(four, _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    return dequantize(j, c, _mm256_cvtepi32_ps(_mm256_and_si256(shifted, _mm256_set1_epi32(0x0f))));
#endif
  }
  [[gnu::always_inline]] void prefetch_next(int j, int64_t c) const {
    if (c % 128 == 0) prefetch(j, c / 2, 64);
  }
};

#if VERBATIM_FEW_ROWS == 512
// The sums of four vectors' lanes.
inline void reduce4(const __m512* v, float* out) {
  __m256 h[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[i]), 1));
    h[i] = _mm256_add_ps(_mm512_castps512_ps256(v[i]), high);
  }
  const __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(h[0], h[1]), _mm256_hadd_ps(h[2], h[3]));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1)));
}
#endif

// v, held in a register. GCC 12 folds a load of x into each of the W FMAs that use it; for more than two rows of x
// those loads, not the FMAs, then set the pace (turbo's decoder products, one core, 5 rows 22.2-23.9 -> 17.4-17.9 ms),
// while two rows were faster with them folded (12.0-13.3 against 14.2-16.5 ms).
inline Floats in_register(Floats v) {
#if defined(__GNUC__)
  asm("" : "+v"(v));
#endif
  return v;
}

// sums[i * W + j] = x_i · w_j for R rows of x and the block's first W weight rows, over `cols` columns. Not inlined:
// inlined into products, GCC 12 stored every sum to the stack on each step of the loop (base's decoder products, one
// core, 5 rows one weight row at a time: 14.1 against 9.8 ms).
template <int R, int W, class Block>
[[gnu::noinline]] void block_products(const Block& block, const float* x, int64_t ldx, int64_t cols, bool prefetch,
                                      float* sums) {
  Floats acc[R][W];
  for (auto& row : acc) std::fill(std::begin(row), std::end(row), zeros());
  int64_t c = 0;
  for (; c + kLanes <= cols; c += kLanes) {
    if (prefetch && c % 64 == 0) {
      for (int j = 0; j < W; ++j) block.prefetch_next(j, c);
    }
    Floats weights[W];
    for (int j = 0; j < W; ++j) weights[j] = block.load(j, c);
    for (int i = 0; i < R; ++i) {
      const Floats loaded = load(x + i * ldx + c);
      const Floats xi = R > 2 ? in_register(loaded) : loaded;
      for (int j = 0; j < W; ++j) acc[i][j] = fma(weights[j], xi, acc[i][j]);
    }
  }
  if (c < cols) {
    const int64_t columns = cols - c;
    const Tail tail = tail_of(columns);
    Floats weights[W];
    for (int j = 0; j < W; ++j) weights[j] = block.load_tail(j, c, tail, columns);
    for (int i = 0; i < R; ++i) {
      const Floats xi = load_tail(x + i * ldx + c, tail, columns);
      for (int j = 0; j < W; ++j) acc[i][j] = fma(weights[j], xi, acc[i][j]);
    }
  }
  for (int i = 0; i < R; ++i) {
#if VERBATIM_FEW_ROWS == 512
    if constexpr (W == 4) {
      reduce4(acc[i], sums + i * W);
      continue;
    }
#endif
    for (int j = 0; j < W; ++j) sums[i * W + j] = sum_of(acc[i][j]);
  }
}

template <int W, class Block>
void block_products(int64_t rows, const Block& block, const float* x, int64_t ldx, int64_t cols, bool prefetch,
                    float* sums) {
  switch (rows) {
    case 1: return block_products<1, W>(block, x, ldx, cols, prefetch, sums);
    case 2: return block_products<2, W>(block, x, ldx, cols, prefetch, sums);
    case 3: return block_products<3, W>(block, x, ldx, cols, prefetch, sums);
    case 4: return block_products<4, W>(block, x, ldx, cols, prefetch, sums);
    case 5: return block_products<5, W>(block, x, ldx, cols, prefetch, sums);
    default: return block_products<6, W>(block, x, ldx, cols, prefetch, sums);
  }
}

template <class Block>
void products(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, int64_t first, int64_t count,
              const float* bias, float* y, int64_t ldy) {
  const int64_t last = first + count;
  const int64_t x_groups = (m + kMaxXRows - 1) / kMaxXRows;  // rows of x split evenly: 7 rows as 4 + 3
  for (int64_t r = first; r < last;) {
    const int64_t block_rows = last - r >= kBlockRows ? kBlockRows : 1;
    const Block block(w, r);
    for (int64_t g = 0; g < x_groups; ++g) {
      const int64_t i0 = g * m / x_groups, i1 = (g + 1) * m / x_groups;
      float sums[kMaxXRows * kBlockRows];
      if (block_rows == kBlockRows) {
        block_products<kBlockRows>(i1 - i0, block, x + i0 * ldx, ldx, w.cols, g == 0, sums);
      } else {
        block_products<1>(i1 - i0, block, x + i0 * ldx, ldx, w.cols, g == 0, sums);
      }
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = 0; j < block_rows; ++j) {
          const float b = bias != nullptr ? bias[r + j] : 0.0f;
          y[i * ldy + r + j] = sums[(i - i0) * block_rows + j] + b;
        }
      }
    }
    r += block_rows;
  }
}

#endif  // VERBATIM_FEW_ROWS

}  // namespace

bool few_row_product_supports(const WeightMatrix& w) {
#if defined(VERBATIM_FEW_ROWS)
  switch (w.format) {
    case WeightMatrix::Format::F32:
    case WeightMatrix::Format::F16:
    case WeightMatrix::Format::BF16:
      return true;
    case WeightMatrix::Format::Quantized:
      return (w.bits == 4 || w.bits == 8) && (w.group_size == 32 || w.group_size == 64 || w.group_size == 128) &&
             w.cols % w.group_size == 0 && w.layout == WeightMatrix::Layout::Rows;
  }
  return false;
#else
  (void)w;
  return false;
#endif
}

void few_row_product(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, int64_t first, int64_t count,
                     const float* bias, float* y, int64_t ldy) {
  if (!few_row_product_supports(w)) throw std::invalid_argument("few_row_product: no kernel for this matrix");
  if (m < 1 || m > kFewRowsMax) throw std::invalid_argument("few_row_product: 1 to 16 rows of x");
  if (first < 0 || count < 0 || first + count > w.rows) throw std::out_of_range("few_row_product: rows out of range");
  if (count == 0) return;
#if defined(VERBATIM_FEW_ROWS)
  switch (w.format) {
    case WeightMatrix::Format::F32:
      return products<F32Block>(x, m, ldx, w, first, count, bias, y, ldy);
    case WeightMatrix::Format::F16:
      return products<F16Block>(x, m, ldx, w, first, count, bias, y, ldy);
    case WeightMatrix::Format::BF16:
      return products<BF16Block>(x, m, ldx, w, first, count, bias, y, ldy);
    case WeightMatrix::Format::Quantized:
      if (w.bits == 4) return products<Q4Block>(x, m, ldx, w, first, count, bias, y, ldy);
      return products<Q8Block>(x, m, ldx, w, first, count, bias, y, ldy);
  }
#else
  (void)x, (void)ldx, (void)bias, (void)y, (void)ldy;
#endif
}

}  // namespace cpu
}  // namespace verbatim
