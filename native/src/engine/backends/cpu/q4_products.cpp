#include "backends/cpu/q4_products.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/q4_gemm.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/unaligned_load.h"
#include "backends/cpu/x86_simd.h"
#include "formats/half.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define VERBATIM_Q4_INTEGER 1  // x as two signed bytes per column, integer dot products, weights in row blocks
#elif defined(__AVX512F__)
// Nibbles widened to fp32 against x in fp32. Not on AVX2: with 16 registers its sums spill, and the few-row kernel
// (few_row_products.h) and the one-row streamed dot were faster there (products_bench, nemotron 4-bit, 14 rows
// 1469 -> 500 ms).
#define VERBATIM_Q4_FLOAT 1
#elif defined(__AVX2__) && defined(__FMA__)
// x as two signed bytes per column (as the integer kernel rounds it) against MLX's nibbles in vpmaddubsw, which
// multiplies 32 nibbles with 32 bytes of x and adds pairs: with no vpdpbusd, fewer operations per weight than
// widening each nibble to fp32 in the few-row kernel.
#define VERBATIM_Q4_BYTES 1
#endif

namespace verbatim {
namespace cpu {
namespace {

// Rows of x multiplied in one pass over a weight row: the five beams of beam search (AVX2: three, whose sums and
// constants fill its 16 registers; with four, GCC 12 kept sums on the stack and the pass took twice as long).
#if defined(VERBATIM_Q4_BYTES)
constexpr int kMaxRows = 3;
#else
constexpr int kMaxRows = 5;
#endif
#if defined(VERBATIM_Q4_FLOAT) || defined(VERBATIM_Q4_BYTES)
constexpr int64_t kChunk = 64;  // columns held by 32 packed bytes: x is laid out per chunk, even columns then odd
#endif
#if defined(VERBATIM_Q4_BYTES)
constexpr int64_t kMaxGroups = 256;  // groups a weight row may have: its units are held on the stack (16,384 columns)
#endif

#if defined(VERBATIM_Q4_FLOAT)

using Floats = __m512;  // 16 lanes
inline Floats zero() { return _mm512_setzero_ps(); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm512_fmadd_ps(a, b, c); }
inline float reduce(Floats v) { return _mm512_reduce_add_ps(v); }

// The sums of four vectors' lanes, at once: cheaper than four reductions.
inline void reduce4(const Floats* v, float* out) {
  __m256 h[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[i]), 1));
    h[i] = _mm256_add_ps(_mm512_castps512_ps256(v[i]), high);
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
  // The prefetching helpers are always inlined: GCC 12 judges a function that only prefetches free of effects and
  // drops the calls to it that it has not inlined (few_row_products.cpp says more).
  [[gnu::always_inline]] void prefetch_next_parameters() const {
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
  [[gnu::always_inline]] void prefetch_next_nibbles(int j, int64_t offset) const {
    _mm_prefetch(reinterpret_cast<const char*>(packed[j] + kPrefetchPasses * W * row_bytes + offset), _MM_HINT_T1);
  }
};

#endif  // VERBATIM_Q4_FLOAT

#if defined(VERBATIM_Q4_INTEGER)

static_assert(kQ4GemmDigits == 2, "the products below sum x's first and second digits apart");

// Four signed bytes of x in every lane.
inline __m512i broadcast4(const int8_t* p) { return _mm512_set1_epi32(load_unaligned<int32_t>(p)); }

// The 16 group parameters of a row block's group (the row blocks' layout), as fp32.
inline __m512 load_params(const void* params, DType dtype, int64_t first) {
  const auto* halves = reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(params) + first);
  switch (dtype) {
    case DType::F16:
      return _mm512_cvtph_ps(_mm256_loadu_si256(halves));
    case DType::BF16:
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(halves)), 16));
    default:
      return _mm512_loadu_ps(static_cast<const float*>(params) + first);
  }
}

// y[(i0 + i) * ldy + r] = x_i · w_r + bias[r] for the R rows of x from i0 and the rows r of row block `block` (none
// past the matrix's last). Each octet of the block's 16 rows is unpacked once for the R rows of x, and vpdpbusd
// meets it with four columns of x broadcast to all 16 lanes, so no sum crosses lanes. Per group, the first digit's
// products and the second's are summed apart, exactly (at most 128 · 15 · 128 < 2^18 each); the first's, shifted
// up a byte, join the second's, and the lane is scaled once by its group's unit (weight scale × x's unit), the
// group's bias · Σx joining the same sum.
template <int R>
void block_products(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t block, const float* bias, float* y,
                    int64_t ldy) {
  const int64_t group_size = w.group_size, groups = in.groups, row_digits = in.cols * kQ4GemmDigits;
  const auto* nibbles = static_cast<const uint8_t*>(w.data) + block * (w.cols / 8) * 64;
  // Each line of the next block is asked for as this block's same line is read: the hardware's prefetchers alone
  // left the products waiting on memory (products_bench turbo 4-bit, one core: 5 rows 9.7-11.1 -> 7.9-8.2 ms).
  // A prefetch past the matrix's end is never read, and prefetches do not fault.
  const int64_t next_block = w.cols * 8;
  const int64_t params = block * groups * kRowBlock;
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  __m512 total[R];
  for (auto& t : total) t = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    __m512i first[R], second[R];
    for (int i = 0; i < R; ++i) first[i] = second[i] = _mm512_setzero_si512();
    const int8_t* digits = in.digits.data() + i0 * row_digits + g * kQ4GemmDigits * group_size;
    for (int64_t c = 0; c < group_size; c += 8) {
      const uint8_t* octet = nibbles + (g * group_size + c) * 8;
      _mm_prefetch(reinterpret_cast<const char*>(octet + next_block), _MM_HINT_T0);
      const __m512i bytes = _mm512_loadu_si512(octet);
      const __m512i low = _mm512_and_si512(bytes, nibble);
      const __m512i high = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
      for (int i = 0; i < R; ++i) {
        const int8_t* d = digits + i * row_digits + c;
        first[i] = _mm512_dpbusd_epi32(first[i], low, broadcast4(d));
        first[i] = _mm512_dpbusd_epi32(first[i], high, broadcast4(d + 4));
        second[i] = _mm512_dpbusd_epi32(second[i], low, broadcast4(d + group_size));
        second[i] = _mm512_dpbusd_epi32(second[i], high, broadcast4(d + group_size + 4));
      }
    }
    const __m512 scale = load_params(w.scales, w.scale_dtype, params + g * kRowBlock);
    const __m512 group_bias = load_params(w.biases, w.scale_dtype, params + g * kRowBlock);
    for (int i = 0; i < R; ++i) {
      const auto at = static_cast<std::size_t>((i0 + i) * groups + g);
      const __m512i sum = _mm512_add_epi32(_mm512_slli_epi32(first[i], 8), second[i]);
      const __m512 unit = _mm512_mul_ps(scale, _mm512_set1_ps(in.digit_scales[at]));
      total[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), unit, total[i]);
      total[i] = _mm512_fmadd_ps(group_bias, _mm512_set1_ps(in.group_sums[at]), total[i]);
    }
  }
  const int64_t first_row = block * kRowBlock, rows = std::min(kRowBlock, w.rows - first_row);
  const auto mask = static_cast<__mmask16>(rows >= kRowBlock ? 0xffff : (1u << rows) - 1);
  const __m512 row_bias = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + first_row) : _mm512_setzero_ps();
  for (int i = 0; i < R; ++i) {
    _mm512_mask_storeu_ps(y + (i0 + i) * ldy + first_row, mask, _mm512_add_ps(total[i], row_bias));
  }
}

#elif defined(VERBATIM_Q4_FLOAT) || defined(VERBATIM_Q4_BYTES)

#if defined(VERBATIM_Q4_BYTES)

static_assert(kQ4GemmDigits == 2, "the products below weigh x's first digit by 256 and add its second");

// Before weight row r's products with the R rows of x from i0: per row of x and group, the unit its integer sum is
// scaled by (the group's scale times x's digit scale), and Σ over groups of the group's bias · Σx, as lanes to sum
// with the products' (one horizontal sum per row of x, not two). Eight groups at a time, out of the products' loop:
// there, per group and row of x, only a broadcast, a conversion and an FMA remain. fp16 parameters (MLX's, and this
// engine's own packing's) are converted eight at a time where they are read; others, and a row with a tail of fewer
// than eight groups, by to_float first. (Nemotron's 4-bit encoder products, one core, in turns: the two to_float
// calls per weight row had cost 5-8% of the time at 1-7 rows of x.)
template <int R>
void group_units(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t r, float (&units)[R][kMaxGroups],
                 __m256 (&bias_terms)[R]) {
  const int64_t groups = in.groups;
  const int64_t param_row_bytes = groups * static_cast<int64_t>(dtype_size(w.scale_dtype));
  const uint8_t* scale_row = static_cast<const uint8_t*>(w.scales) + r * param_row_bytes;
  const uint8_t* bias_row = static_cast<const uint8_t*>(w.biases) + r * param_row_bytes;
  const bool halves = w.scale_dtype == DType::F16 && groups % 8 == 0;
  alignas(32) float scales[kMaxGroups], biases[kMaxGroups];
  if (!halves) {
    to_float(w.scale_dtype, scale_row, scales, groups);
    to_float(w.scale_dtype, bias_row, biases, groups);
  }
  const auto eight = [halves](const uint8_t* row, const float* converted, int64_t g) {
    return halves ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * g)))
                  : _mm256_load_ps(converted + g);
  };
  for (auto& t : bias_terms) t = _mm256_setzero_ps();
  int64_t g = 0;
  for (; g + 8 <= groups; g += 8) {
    const __m256 scale = eight(scale_row, scales, g), bias = eight(bias_row, biases, g);
    for (int i = 0; i < R; ++i) {
      const auto at = static_cast<std::size_t>((i0 + i) * groups + g);
      _mm256_store_ps(units[i] + g, _mm256_mul_ps(scale, _mm256_loadu_ps(in.digit_scales.data() + at)));
      bias_terms[i] = _mm256_fmadd_ps(bias, _mm256_loadu_ps(in.group_sums.data() + at), bias_terms[i]);
    }
  }
  if (g == groups) return;  // always so with fp16 parameters read in place: their groups come in eights
  float tail[R] = {};
  for (; g < groups; ++g) {
    for (int i = 0; i < R; ++i) {
      const auto at = static_cast<std::size_t>((i0 + i) * groups + g);
      units[i][g] = scales[g] * in.digit_scales[at];
      tail[i] += biases[g] * in.group_sums[at];
    }
  }
  for (int i = 0; i < R; ++i) {
    bias_terms[i] = _mm256_add_ps(bias_terms[i], _mm256_setr_ps(tail[i], 0, 0, 0, 0, 0, 0, 0));
  }
}

// y[(i0 + i) * ldy + r] = x_i · w_r + bias[r] for the R rows of x from i0 and every weight row r in [first, last),
// one weight row at a time (its nibbles, its group parameters: streams the hardware prefetchers follow).
// Per chunk the 32 low nibbles (even columns) and the 32 high ones (odd columns) meet x's digits in the same
// order (prepare_q4_input lays them out so); each digit's pair sums (at most 2 · 15 · 128) add as 16-bit lanes,
// and vpmaddwd widens them into one exact 32-bit sum per lane, the first digit's weighted by 256. Per group, the
// sums are scaled by the group's unit into fp32 and added to the row's bias · Σx lanes (group_units). The group
// size is a constant and the nibbles and digits are walked by pointer: with the group's chunks in a loop of its own
// and their addresses computed from the group's index, the loop's bounds lived on the stack (one core, Nemotron's
// 4-bit encoder products: 0.66-0.93 of the time at 14 rows, 0.8-0.9 at 1-7).
template <int R, int64_t GroupSize>
void rows_products(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t first, int64_t last,
                   const float* bias, float* y, int64_t ldy) {
  const int64_t groups = in.groups, row_digits = in.cols * kQ4GemmDigits;
  const int8_t* digits = in.digits.data() + i0 * row_digits;
  const __m256i nibble = _mm256_set1_epi8(0x0f), first_weight = _mm256_set1_epi16(256), ones = _mm256_set1_epi16(1);
  const auto pairs = [](__m256i low, __m256i high, const int8_t* d) {  // 16 sums of 4 products, as 16-bit lanes
    return _mm256_add_epi16(_mm256_maddubs_epi16(low, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d))),
                            _mm256_maddubs_epi16(high, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + 32))));
  };
  alignas(32) float units[R][kMaxGroups];
  for (int64_t r = first; r < last; ++r) {
    const uint8_t* packed = static_cast<const uint8_t*>(w.data) + r * (w.cols / 2);
    __m256 total[R];  // the bias terms' lanes, to which the products are added
    group_units<R>(in, w, i0, r, units, total);
    const int8_t* group_digits = digits;  // row i's at + i * row_digits: each digit's plane of GroupSize bytes
    for (int64_t g = 0; g < groups; ++g, packed += GroupSize / 2, group_digits += kQ4GemmDigits * GroupSize) {
      __m256i sums[R];
#pragma GCC unroll 2
      for (int64_t k = 0; k < GroupSize / kChunk; ++k) {
        const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(packed + k * kChunk / 2));
        const __m256i low = _mm256_and_si256(bytes, nibble);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
#pragma GCC unroll 3  // every loop over the rows of x unrolled, or GCC 12 keeps the sums on the stack
        for (int i = 0; i < R; ++i) {
          const int8_t* d = group_digits + i * row_digits + k * kChunk;
          const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(pairs(low, high, d), first_weight),
                                               _mm256_madd_epi16(pairs(low, high, d + GroupSize), ones));
          sums[i] = k == 0 ? sum : _mm256_add_epi32(sums[i], sum);
        }
      }
#pragma GCC unroll 3
      for (int i = 0; i < R; ++i) {
        total[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[i]), _mm256_broadcast_ss(units[i] + g), total[i]);
      }
    }
    for (int i = 0; i < R; ++i) {
      const float b = bias != nullptr ? bias[r] : 0.0f;
      y[(i0 + i) * ldy + r] = reduce_add(total[i]) + b;
    }
  }
}

using RowsProducts = void (*)(const Q4Input&, const WeightMatrix&, int64_t, int64_t, int64_t, const float*, float*,
                              int64_t);
template <int64_t GroupSize>
constexpr RowsProducts kRowsProductsOf[kMaxRows] = {rows_products<1, GroupSize>, rows_products<2, GroupSize>,
                                                    rows_products<3, GroupSize>};

// The kernel for `rows` rows of x (at most kMaxRows) against w, whose group size q4_product_supports has checked.
inline RowsProducts rows_products_for(const WeightMatrix& w, int64_t rows) {
  return (w.group_size == 64 ? kRowsProductsOf<64> : kRowsProductsOf<128>)[rows - 1];
}

#else  // VERBATIM_Q4_FLOAT

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

inline Floats load(const float* p) { return _mm512_loadu_ps(p); }
inline Floats plus(Floats a, Floats b) { return _mm512_add_ps(a, b); }
inline Floats broadcast(float s) { return _mm512_set1_ps(s); }
constexpr int kLanes = 16;
// The 16 nibbles of `half` (16 bytes, one nibble each) as fp32.
inline Floats widen(__m128i half) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(half)); }
constexpr int kPieces = kChunk / kLanes;  // vectors of weights in a chunk

// The 64 weights of a chunk (32 packed bytes) as fp32 q values, in Q4Input's order: even columns, then odd.
inline void unpack_chunk(const uint8_t* packed, Floats (&q)[kPieces]) {
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(packed));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  const __m256i even = _mm256_and_si256(bytes, mask);
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
  q[0] = widen(_mm256_castsi256_si128(even));
  q[1] = widen(_mm256_extracti128_si256(even, 1));
  q[2] = widen(_mm256_castsi256_si128(odd));
  q[3] = widen(_mm256_extracti128_si256(odd, 1));
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

using RowsProducts = void (*)(const Q4Input&, const WeightMatrix&, int64_t, int64_t, int64_t, const float*, float*,
                              int64_t);
constexpr RowsProducts kRowsProducts[kMaxRows] = {
    rows_products<1, kWeightRows>, rows_products<2, kWeightRowsFew>, rows_products<3, kWeightRowsFew>,
    rows_products<4, kWeightRowsFew>, rows_products<5, kWeightRowsFew>};

inline RowsProducts rows_products_for(const WeightMatrix&, int64_t rows) { return kRowsProducts[rows - 1]; }

#endif  // VERBATIM_Q4_BYTES, VERBATIM_Q4_FLOAT

#endif  // VERBATIM_Q4_INTEGER, VERBATIM_Q4_FLOAT, VERBATIM_Q4_BYTES

#if defined(VERBATIM_Q4_FLOAT) || defined(VERBATIM_Q4_BYTES)
// Weight rows that more than kMaxRows rows of x take turns on, in groups, while their nibbles are in cache: the
// weights are read from memory once, not once per group.
constexpr int64_t kSharedWeightRows = 64;

// x's rows (stride ldx) per chunk of 64 columns: the 32 even columns, then the 32 odd ones, as the packed bytes hold
// their nibbles (low, high).
void lay_out_chunks(const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, Q4Input& in) {
  in.x.resize(static_cast<std::size_t>(m * w.cols));
  for (int64_t i = 0; i < m; ++i) {
    const float* source = x + i * ldx;
    float* laid = in.x.data() + i * w.cols;
    for (int64_t c = 0; c < w.cols; c += kChunk) {
      for (int64_t j = 0; j < kChunk / 2; ++j) {
        laid[c + j] = source[c + 2 * j];
        laid[c + kChunk / 2 + j] = source[c + 2 * j + 1];
      }
    }
  }
}
#endif

}  // namespace

bool q4_product_supports(const WeightMatrix& w) {
  if (w.format != WeightMatrix::Format::Quantized || w.bits != 4) return false;
#if defined(VERBATIM_Q4_INTEGER)
  return w.layout == WeightMatrix::Layout::RowBlocks;
#elif defined(VERBATIM_Q4_FLOAT) || defined(VERBATIM_Q4_BYTES)
  const bool laid_out = w.layout == WeightMatrix::Layout::Rows && (w.group_size == 64 || w.group_size == 128) &&
                        w.cols % kChunk == 0;
#if defined(VERBATIM_Q4_BYTES)
  return laid_out && w.cols / w.group_size <= kMaxGroups;
#else
  return laid_out;
#endif
#else
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
  in.digits.resize(static_cast<std::size_t>(m * w.cols * kQ4GemmDigits));
  in.digit_scales.resize(static_cast<std::size_t>(m * in.groups));
  for (int64_t i = 0; i < m; ++i) {
    round_row(x + i * ldx, w.cols, w.group_size, in.digits.data() + i * w.cols * kQ4GemmDigits,
              in.digit_scales.data() + i * in.groups, in.group_sums.data() + i * in.groups);
  }
#elif defined(VERBATIM_Q4_FLOAT)
  lay_out_chunks(x, m, ldx, w, in);
  for (int64_t i = 0; i < m; ++i) {
    const float* source = x + i * ldx;
    for (int64_t g = 0; g < in.groups; ++g) {
      in.group_sums[static_cast<std::size_t>(i * in.groups + g)] =
          std::accumulate(source + g * w.group_size, source + (g + 1) * w.group_size, 0.0f);
    }
  }
#elif defined(VERBATIM_Q4_BYTES)
  lay_out_chunks(x, m, ldx, w, in);  // each group's columns reordered: its extent and Σx are the same
  in.digits.resize(static_cast<std::size_t>(m * w.cols * kQ4GemmDigits));
  in.digit_scales.resize(static_cast<std::size_t>(m * in.groups));
  for (int64_t i = 0; i < m; ++i) {
    round_row(in.x.data() + i * w.cols, w.cols, w.group_size, in.digits.data() + i * w.cols * kQ4GemmDigits,
              in.digit_scales.data() + i * in.groups, in.group_sums.data() + i * in.groups);
  }
#else
  (void)x, (void)ldx;
#endif
}

void q4_product(const Q4Input& in, const WeightMatrix& w, int64_t first, int64_t count, const float* bias, float* y,
                int64_t ldy) {
  const int64_t x_groups = (in.rows + kMaxRows - 1) / kMaxRows;  // rows split evenly: 7 in fives as 4 + 3
#if defined(VERBATIM_Q4_INTEGER)
  if (first % kRowBlock != 0 || (count % kRowBlock != 0 && first + count != w.rows)) {
    throw std::invalid_argument("q4_product: weight rows must be whole row blocks");
  }
  using BlockProducts = void (*)(const Q4Input&, const WeightMatrix&, int64_t, int64_t, const float*, float*, int64_t);
  constexpr BlockProducts kBlockProducts[kMaxRows] = {block_products<1>, block_products<2>, block_products<3>,
                                                      block_products<4>, block_products<5>};
  // Every group of rows of x meets a block while its nibbles are in cache: the weights are read from memory once.
  for (int64_t block = first / kRowBlock; block * kRowBlock < first + count; ++block) {
    for (int64_t g = 0; g < x_groups; ++g) {
      const int64_t i0 = g * in.rows / x_groups, i1 = (g + 1) * in.rows / x_groups;
      kBlockProducts[i1 - i0 - 1](in, w, i0, block, bias, y, ldy);
    }
  }
#elif defined(VERBATIM_Q4_FLOAT) || defined(VERBATIM_Q4_BYTES)
  const int64_t step = x_groups == 1 ? std::max<int64_t>(count, 1) : kSharedWeightRows;
  for (int64_t r = first; r < first + count; r += step) {
    const int64_t end = std::min(first + count, r + step);
    for (int64_t g = 0; g < x_groups; ++g) {
      const int64_t i0 = g * in.rows / x_groups, i1 = (g + 1) * in.rows / x_groups;
      rows_products_for(w, i1 - i0)(in, w, i0, r, end, bias, y, ldy);
    }
  }
#else
  (void)in, (void)w, (void)first, (void)count, (void)bias, (void)y, (void)ldy, (void)x_groups;
  throw std::logic_error("q4_product: this build has no 4-bit kernel");
#endif
}

}  // namespace cpu
}  // namespace verbatim
