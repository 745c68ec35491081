#include "backends/cpu/q4_products.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "backends/cpu/q4_gemm.h"
#include "backends/cpu/x86_simd.h"
#include "formats/half.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define VERBATIM_Q4_INTEGER 1  // x as two signed bytes per column, integer dot products
#define VERBATIM_Q4_PRODUCT 1
#elif defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
#define VERBATIM_Q4_FLOAT 1  // nibbles widened to fp32 against x in fp32
#define VERBATIM_Q4_PRODUCT 1
#endif

namespace verbatim {
namespace cpu {
namespace {

constexpr int kMaxRows = 5;  // rows of x multiplied in one pass over a weight row: the five beams of beam search

#if defined(VERBATIM_Q4_PRODUCT)

#if defined(__AVX512F__)
using Floats = __m512;  // 16 lanes
inline Floats zero() { return _mm512_setzero_ps(); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm512_fmadd_ps(a, b, c); }
inline float reduce(Floats v) { return _mm512_reduce_add_ps(v); }
#else
using Floats = __m256;  // 8 lanes
inline Floats zero() { return _mm256_setzero_ps(); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm256_fmadd_ps(a, b, c); }
inline float reduce(Floats v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
#endif

// The sums of four vectors' lanes, at once: cheaper than four reductions.
inline void reduce4(const Floats* v, float* out) {
  __m256 h[4];
  for (int i = 0; i < 4; ++i) {
#if defined(__AVX512F__)
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[i]), 1));
    h[i] = _mm256_add_ps(_mm512_castps512_ps256(v[i]), high);
#else
    h[i] = v[i];
#endif
  }
  const __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(h[0], h[1]), _mm256_hadd_ps(h[2], h[3]));
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1)));
}

// Where W consecutive weight rows from r keep their packed nibbles and group parameters, and requests for the bytes
// of rows further on ahead of use. Decoding reads every weight from memory once per token; with W rows streamed at
// once (and their parameters in runs too short to be noticed) the hardware prefetchers fall behind: asking for the
// next rows took turbo-shaped 4-bit decoding products from 3.6 to 2.7 ms per token on one core.
template <int W>
struct WeightRows {
  const uint8_t* packed[W];
  const void* scales[W];
  const void* biases[W];
  int64_t row_bytes, param_row_bytes;

  WeightRows(const WeightMatrix& w, int64_t r)
      : row_bytes(w.cols / 2),
        param_row_bytes(w.cols / w.group_size * static_cast<int64_t>(dtype_size(w.scale_dtype))) {
    for (int j = 0; j < W; ++j) {
      packed[j] = static_cast<const uint8_t*>(w.data) + (r + j) * row_bytes;
      scales[j] = static_cast<const uint8_t*>(w.scales) + (r + j) * param_row_bytes;
      biases[j] = static_cast<const uint8_t*>(w.biases) + (r + j) * param_row_bytes;
    }
  }

  // The group parameters of the next W rows (a pointer past the matrix is never read: prefetches do not fault).
  void prefetch_next_parameters() const {
    const auto* next_scales = static_cast<const char*>(scales[0]) + W * param_row_bytes;
    const auto* next_biases = static_cast<const char*>(biases[0]) + W * param_row_bytes;
    for (int64_t b = 0; b < W * param_row_bytes; b += 64) {
      _mm_prefetch(next_scales + b, _MM_HINT_T0);
      _mm_prefetch(next_biases + b, _MM_HINT_T0);
    }
  }

  // The nibbles kPrefetchPasses * W rows below row j's at byte `offset`, into L2. Requested into L1 (T0) for the
  // next W rows, they came late: the decoder's 4-bit products, one core, one row of x, turbo 9.5-9.7 and base
  // 2.9-3.5 ms, against 4.9 and 1.7 ms as here (and 4.8-5.0 and 1.9-2.1 ms into L2 for the next W rows).
  static constexpr int64_t kPrefetchPasses = 4;
  void prefetch_next_nibbles(int j, int64_t offset) const {
    _mm_prefetch(reinterpret_cast<const char*>(packed[j] + kPrefetchPasses * W * row_bytes + offset), _MM_HINT_T1);
  }
};

#endif  // VERBATIM_Q4_PRODUCT

#if defined(VERBATIM_Q4_INTEGER)

constexpr int64_t kBlock = 128;  // columns held by one 64-byte load of packed weights
constexpr int kDigits = kQ4GemmDigits;  // signed bytes per column of x: as q4_gemm rounds x (see there)
constexpr int kSpan = 16;        // groups whose parameters one vector holds
// Weight rows multiplied with one row of x in one pass (one core, 5120x1280: 4 rows 133 us, 8 rows 93 us, 12 and 16
// rows slower again, 51866x1280 by 2x: too many rows streamed at once).
constexpr int kWeightRows = 8;
// |x| / (its group's largest |x|) times this rounds to an integer of two signed base-256 digits, the first in
// [-127, 127]: x is held to 1/65024 of its group's largest value. Three digits (2^-24 of it, as fp32 holds that
// value) took 6 vpdpbusd and 2 shifts per block where two take 4 and 1: turbo-shaped decoding products, one core,
// 5 rows 17.6 -> 14.2 ms, 1 row 4.9 -> 4.4 ms; the tokens of the parity tests (beam-search-reference,
// long-form-reference) stayed PyTorch's.
constexpr double kDigitUnits = kQ4GemmUnits;

// 16 values of x times `scale`, rounded to the nearest integer (in double: exact to half a unit).
inline __m512i to_units(const float* x, __m512d scale) {
  const __m256i low = _mm512_cvtpd_epi32(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x)), scale));
  const __m256i high = _mm512_cvtpd_epi32(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + 8)), scale));
  return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

// Stores the kDigits signed base-256 digits of 16 integers (first digit first) at `to`, a plane apart.
inline void store_digits(__m512i units, int8_t* to, int64_t plane) {
  const __m512i half = _mm512_set1_epi32(128), byte = _mm512_set1_epi32(255);
  for (int d = kDigits - 1; d >= 0; --d) {
    const __m512i digit = _mm512_sub_epi32(_mm512_and_si512(_mm512_add_epi32(units, half), byte), half);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + d * plane), _mm512_cvtepi32_epi8(digit));
    units = _mm512_srai_epi32(_mm512_sub_epi32(units, digit), 8);
  }
}

// One row of x as Q4Input's digits, digit scales and group sums (summed as q4_gemm sums them). A NaN or infinity
// may be missed by the largest |x| or scramble the digits: the group's Σx carries it to the products all the same.
void split_into_digits(const float* x, int64_t cols, int64_t group_size, int8_t* digits, float* digit_scales,
                       float* group_sums) {
  const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
  for (int64_t start = 0; start < cols; start += group_size) {
    const GroupExtent extent = group_extent(x + start, group_size);
    const float top = extent.largest;
    group_sums[start / group_size] = extent.sum;
    digit_scales[start / group_size] = static_cast<float>(top / kDigitUnits);
    const __m512d scale = _mm512_set1_pd(top > 0.0f && std::isfinite(top) ? kDigitUnits / top : 0.0);
    for (int64_t c = start; c < start + group_size; c += 32) {
      const __m512i first = to_units(x + c, scale), second = to_units(x + c + 16, scale);
      int8_t* block = digits + (c / kBlock) * kBlock * kDigits + (c % kBlock) / 2;
      store_digits(_mm512_permutex2var_epi32(first, evens, second), block, kBlock);
      store_digits(_mm512_permutex2var_epi32(first, odds, second), block + kBlock / 2, kBlock);
    }
  }
}

// Parameters `first` to `first + count` (count <= kSpan; the other lanes 0) as fp32.
inline __m512 load_span(const void* params, DType dtype, int64_t first, int64_t count) {
  const auto mask = static_cast<__mmask16>(count >= kSpan ? 0xffff : (1u << count) - 1);
  switch (dtype) {
    case DType::F16:
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(params) + first));
    case DType::BF16: {
      const __m256i halves = _mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(params) + first);
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(halves), 16));
    }
    default:
      return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(params) + first);
  }
}

// y[i * ldy + r] = x_i · w_r + bias[r] for the R rows of x from `i0` and every weight row r in [first, last), W
// weight rows at a time: each row of x's digits is loaded once for the W weight rows, each weight row's nibbles
// unpacked once for the R rows of x.
//
// A 64-byte load holds two groups of 64 columns (or one of 128), the even columns' nibbles low. Against the
// digits of x, vpdpbusd sums four nibble-digit products per 32-bit lane; each lane sums a·q, then (shifted by 8)
// b·q for its eight columns, exactly (at most 8 · 15 · 2^15 < 2^31). Converted to fp32, the lanes
// are scaled by their group's unit (weight scale × digit scale); the bias · Σx of every group joins the same sum.
template <int R, int W>
void rows_products(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t first, int64_t last,
                   const float* bias, float* y, int64_t ldy) {
  static_assert(W == 1 || W == 2 || W % 4 == 0, "whole reductions of four sums, or one or two");
  const int64_t groups = in.groups, group_size = w.group_size;
  const int8_t* digits = in.digits.data() + i0 * in.cols * kDigits;
  const float* digit_scales = in.digit_scales.data() + i0 * groups;
  const float* sums = in.group_sums.data() + i0 * groups;
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  const int64_t groups_per_block = kBlock / group_size;  // hoisted: k * kBlock / group_size took an idiv per block
  // Lanes 8-15 of a block are the next group's when groups are 64 wide.
  const __m512i second_group = group_size == 64 ? _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0)
                                                : _mm512_setzero_si512();
  int64_t r = first;
  for (; r + W <= last; r += W) {
    const WeightRows<W> rows(w, r);
    rows.prefetch_next_parameters();
    Floats total[R * W];
    for (auto& t : total) t = zero();
    for (int64_t g0 = 0; g0 < groups; g0 += kSpan) {
      const int64_t count = std::min<int64_t>(kSpan, groups - g0);
      Floats unit[R * W];
      for (int j = 0; j < W; ++j) {
        const __m512 scale = load_span(rows.scales[j], w.scale_dtype, g0, count);
        const __m512 group_bias = load_span(rows.biases[j], w.scale_dtype, g0, count);
        for (int i = 0; i < R; ++i) {
          unit[i * W + j] = _mm512_mul_ps(scale, load_span(digit_scales + i * groups, DType::F32, g0, count));
          total[i * W + j] = fma(group_bias, load_span(sums + i * groups, DType::F32, g0, count), total[i * W + j]);
        }
      }
      const int64_t blocks = count * group_size / kBlock;
      for (int64_t k = 0; k < blocks; ++k) {
        const int64_t c = g0 * group_size + k * kBlock;
        const __m512i lane_groups = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(k * groups_per_block)),
                                                     second_group);
        __m512i even[W], odd[W];
        for (int j = 0; j < W; ++j) {
          rows.prefetch_next_nibbles(j, c / 2);
          const __m512i bytes = _mm512_loadu_si512(rows.packed[j] + c / 2);
          even[j] = _mm512_and_si512(bytes, nibble);
          odd[j] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
        }
        for (int i = 0; i < R; ++i) {
          __m512i x[2 * kDigits];
          for (int d = 0; d < 2 * kDigits; ++d) {
            x[d] = _mm512_loadu_si512(digits + i * in.cols * kDigits + c * kDigits + d * (kBlock / 2));
          }
          for (int j = 0; j < W; ++j) {
            __m512i acc = _mm512_dpbusd_epi32(_mm512_setzero_si512(), even[j], x[0]);
            acc = _mm512_dpbusd_epi32(acc, odd[j], x[1]);
            for (int d = 1; d < kDigits; ++d) {
              acc = _mm512_slli_epi32(acc, 8);
              acc = _mm512_dpbusd_epi32(acc, even[j], x[2 * d]);
              acc = _mm512_dpbusd_epi32(acc, odd[j], x[2 * d + 1]);
            }
            const __m512 lane_units = _mm512_permutexvar_ps(lane_groups, unit[i * W + j]);
            total[i * W + j] = fma(_mm512_cvtepi32_ps(acc), lane_units, total[i * W + j]);
          }
        }
      }
    }
    float products[R * W];
    if constexpr (W % 4 == 0) {
      for (int k = 0; k < R * W; k += 4) reduce4(total + k, products + k);
    } else {
      for (int k = 0; k < R * W; ++k) products[k] = reduce(total[k]);
    }
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < W; ++j) {
        y[(i0 + i) * ldy + r + j] = products[i * W + j] + (bias != nullptr ? bias[r + j] : 0.0f);
      }
    }
  }
  if (r < last) rows_products<R, 1>(in, w, i0, r, last, bias, y, ldy);
}

// Weight rows per pass of two to five rows of x: base-shaped decoding products, one core, 5 rows 7.7 -> 7.2 ms and
// 16 rows 20.3 -> 18.6 ms against one weight row at a time (four at a time: fewer registers than values to hold).
constexpr int kWeightRowsFew = 2;

#elif defined(VERBATIM_Q4_FLOAT)

constexpr int64_t kChunk = 64;  // columns held by 32 packed bytes

inline float param_at(const void* params, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::F16:
      return half_to_float(static_cast<const uint16_t*>(params)[i]);
    case DType::BF16:
      return bf16_to_float(static_cast<const uint16_t*>(params)[i]);
    default:
      return static_cast<const float*>(params)[i];
  }
}

#if defined(__AVX512F__)
inline Floats load(const float* p) { return _mm512_loadu_ps(p); }
inline Floats plus(Floats a, Floats b) { return _mm512_add_ps(a, b); }
inline Floats broadcast(float s) { return _mm512_set1_ps(s); }
constexpr int kLanes = 16;
// The 16 nibbles of `half` (16 bytes, one nibble each) as fp32.
inline Floats widen(__m128i half) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(half)); }
#else
inline Floats load(const float* p) { return _mm256_loadu_ps(p); }
inline Floats plus(Floats a, Floats b) { return _mm256_add_ps(a, b); }
inline Floats broadcast(float s) { return _mm256_set1_ps(s); }
constexpr int kLanes = 8;
#endif
constexpr int kPieces = kChunk / kLanes;  // vectors of weights in a chunk

// The 64 weights of a chunk (32 packed bytes) as fp32 q values, in Q4Input's order: even columns, then odd.
inline void unpack_chunk(const uint8_t* packed, Floats (&q)[kPieces]) {
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(packed));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  const __m256i even = _mm256_and_si256(bytes, mask);
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
#if defined(__AVX512F__)
  q[0] = widen(_mm256_castsi256_si128(even));
  q[1] = widen(_mm256_extracti128_si256(even, 1));
  q[2] = widen(_mm256_castsi256_si128(odd));
  q[3] = widen(_mm256_extracti128_si256(odd, 1));
#else
  const __m256i halves[2] = {even, odd};
  for (int h = 0; h < 2; ++h) {
    const __m128i low = _mm256_castsi256_si128(halves[h]), high = _mm256_extracti128_si256(halves[h], 1);
    q[4 * h + 0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(low));
    q[4 * h + 1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(low, 8)));
    q[4 * h + 2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(high));
    q[4 * h + 3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(high, 8)));
  }
#endif
}

// y[i * ldy + r] = x_i · w_r + bias[r] for the R rows of x from `i0` and every weight row r in [first, last), W
// weight rows at a time (kWeightRows for a single row of x: its loads and reductions are shared).
constexpr int kWeightRows = 4;
template <int R, int W>
void rows_products(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t first, int64_t last,
                   const float* bias, float* y, int64_t ldy) {
  static_assert(W == 1 || (W == kWeightRows && R == 1), "several weight rows at a time for one row of x");
  const int64_t groups = in.groups, chunks_per_group = w.group_size / kChunk;
  const float* x = in.x.data() + i0 * in.cols;
  const float* sums = in.group_sums.data() + i0 * groups;
  int64_t r = first;
  for (; r + W <= last; r += W) {
    const WeightRows<W> rows(w, r);
    rows.prefetch_next_parameters();
    Floats total[R * W];
    float bias_terms[R * W] = {};
    for (auto& t : total) t = zero();
    for (int64_t g = 0; g < groups; ++g) {
      Floats acc[R * W][kPieces];  // independent sums, so that the FMAs do not wait on each other
      for (auto& sum : acc) std::fill(std::begin(sum), std::end(sum), zero());
      for (int64_t k = 0; k < chunks_per_group; ++k) {
        const int64_t c = (g * chunks_per_group + k) * kChunk;
        for (int j = 0; j < W; ++j) {
          if (c % (2 * kChunk) == 0) rows.prefetch_next_nibbles(j, c / 2);  // one request per 64 bytes
          Floats q[kPieces];
          unpack_chunk(rows.packed[j] + c / 2, q);
          for (int i = 0; i < R; ++i) {
            for (int p = 0; p < kPieces; ++p) {
              acc[i * W + j][p] = fma(q[p], load(x + i * in.cols + c + p * kLanes), acc[i * W + j][p]);
            }
          }
        }
      }
      for (int j = 0; j < W; ++j) {
        const Floats scale = broadcast(param_at(rows.scales[j], w.scale_dtype, g));
        const float group_bias = param_at(rows.biases[j], w.scale_dtype, g);
        for (int i = 0; i < R; ++i) {
          Floats sum = acc[i * W + j][0];
          for (int p = 1; p < kPieces; ++p) sum = plus(sum, acc[i * W + j][p]);
          total[i * W + j] = fma(sum, scale, total[i * W + j]);
          bias_terms[i * W + j] += group_bias * sums[i * groups + g];
        }
      }
    }
    float products[R * W];
    if constexpr (W == 4) {
      reduce4(total, products);
    } else {
      for (int i = 0; i < R; ++i) products[i] = reduce(total[i]);
    }
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < W; ++j) {
        const float b = bias != nullptr ? bias[r + j] : 0.0f;
        y[(i0 + i) * ldy + r + j] = products[i * W + j] + bias_terms[i * W + j] + b;
      }
    }
  }
  if (r < last) rows_products<R, 1>(in, w, i0, r, last, bias, y, ldy);
}

constexpr int kWeightRowsFew = 1;

#endif  // VERBATIM_Q4_INTEGER, VERBATIM_Q4_FLOAT

#if defined(VERBATIM_Q4_PRODUCT)
using RowsProducts = void (*)(const Q4Input&, const WeightMatrix&, int64_t, int64_t, int64_t, const float*, float*,
                              int64_t);
constexpr RowsProducts kRowsProducts[kMaxRows] = {
    rows_products<1, kWeightRows>, rows_products<2, kWeightRowsFew>, rows_products<3, kWeightRowsFew>,
    rows_products<4, kWeightRowsFew>, rows_products<5, kWeightRowsFew>};
// Weight rows that more than kMaxRows rows of x take turns on, in groups, while their nibbles are in cache: the
// weights are read from memory once, not once per group.
constexpr int64_t kSharedWeightRows = 64;

#endif  // VERBATIM_Q4_PRODUCT

}  // namespace

bool q4_product_supports(const WeightMatrix& w) {
#if defined(VERBATIM_Q4_PRODUCT)
#if defined(VERBATIM_Q4_INTEGER)
  const int64_t columns_step = kBlock;
#else
  const int64_t columns_step = kChunk;
#endif
  return w.format == WeightMatrix::Format::Quantized && w.bits == 4 && (w.group_size == 64 || w.group_size == 128) &&
         w.cols % columns_step == 0;
#else
  (void)w;
  return false;
#endif
}

void prepare_q4_input(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, Q4Input& in) {
  if (!q4_product_supports(w)) throw std::invalid_argument("prepare_q4_input: no 4-bit kernel for this matrix");
  in.rows = m;
  in.cols = w.cols;
  in.groups = w.cols / w.group_size;
  in.group_sums.resize(static_cast<std::size_t>(m * in.groups));
#if defined(VERBATIM_Q4_INTEGER)
  in.digits.resize(static_cast<std::size_t>(m * w.cols * kDigits));
  in.digit_scales.resize(static_cast<std::size_t>(m * in.groups));
#elif defined(VERBATIM_Q4_FLOAT)
  in.x.resize(static_cast<std::size_t>(m * w.cols));
#endif
  for (int64_t i = 0; i < m; ++i) {
#if defined(VERBATIM_Q4_INTEGER)
    split_into_digits(x + i * ldx, w.cols, w.group_size, in.digits.data() + i * w.cols * kDigits,
                      in.digit_scales.data() + i * in.groups, in.group_sums.data() + i * in.groups);
#elif defined(VERBATIM_Q4_FLOAT)
    const float* source = x + i * ldx;
    float* sums = in.group_sums.data() + i * in.groups;
    for (int64_t g = 0; g < in.groups; ++g) {
      sums[g] = std::accumulate(source + g * w.group_size, source + (g + 1) * w.group_size, 0.0f);
    }
    float* laid = in.x.data() + i * w.cols;
    for (int64_t c = 0; c < w.cols; c += kChunk) {
      for (int64_t j = 0; j < kChunk / 2; ++j) {
        laid[c + j] = source[c + 2 * j];
        laid[c + kChunk / 2 + j] = source[c + 2 * j + 1];
      }
    }
#else
    (void)x, (void)ldx;
#endif
  }
}

void q4_product(const Q4Input& in, const WeightMatrix& w, int64_t first, int64_t count, const float* bias, float* y,
                int64_t ldy) {
#if defined(VERBATIM_Q4_PRODUCT)
  const int64_t x_groups = (in.rows + kMaxRows - 1) / kMaxRows;  // rows of x split evenly: 7 rows as 4 + 3
  const int64_t step = x_groups == 1 ? std::max<int64_t>(count, 1) : kSharedWeightRows;
  for (int64_t r = first; r < first + count; r += step) {
    const int64_t end = std::min(first + count, r + step);
    for (int64_t g = 0; g < x_groups; ++g) {
      const int64_t i0 = g * in.rows / x_groups, i1 = (g + 1) * in.rows / x_groups;
      kRowsProducts[i1 - i0 - 1](in, w, i0, r, end, bias, y, ldy);
    }
  }
#else
  (void)in, (void)w, (void)first, (void)count, (void)bias, (void)y, (void)ldy;
  throw std::logic_error("q4_product: this build has no 4-bit kernel");
#endif
}

}  // namespace cpu
}  // namespace verbatim
