#include "backends/cpu/q4_products.h"

#include <algorithm>
#include <stdexcept>

#include "backends/cpu/x86_simd.h"
#include "formats/half.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
#define VERBATIM_Q4_PRODUCT 1
#endif

namespace verbatim {
namespace cpu {
namespace {

constexpr int64_t kChunk = 64;  // columns held by 32 packed bytes
constexpr int kMaxRows = 4;     // rows of x multiplied in one pass over a weight row

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

#if defined(VERBATIM_Q4_PRODUCT)

#if defined(__AVX512F__)
using Floats = __m512;  // 16 lanes
inline Floats zero() { return _mm512_setzero_ps(); }
inline Floats load(const float* p) { return _mm512_loadu_ps(p); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm512_fmadd_ps(a, b, c); }
inline Floats plus(Floats a, Floats b) { return _mm512_add_ps(a, b); }
inline Floats broadcast(float s) { return _mm512_set1_ps(s); }
inline float reduce(Floats v) { return _mm512_reduce_add_ps(v); }
constexpr int kLanes = 16;
// The 16 nibbles of `half` (16 bytes, one nibble each) as fp32.
inline Floats widen(__m128i half) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(half)); }
#else
using Floats = __m256;  // 8 lanes
inline Floats zero() { return _mm256_setzero_ps(); }
inline Floats load(const float* p) { return _mm256_loadu_ps(p); }
inline Floats fma(Floats a, Floats b, Floats c) { return _mm256_fmadd_ps(a, b, c); }
inline Floats plus(Floats a, Floats b) { return _mm256_add_ps(a, b); }
inline Floats broadcast(float s) { return _mm256_set1_ps(s); }
inline float reduce(Floats v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
constexpr int kLanes = 8;
#endif
constexpr int kPieces = kChunk / kLanes;  // vectors of weights in a chunk

// The sums of four vectors' lanes, at once: cheaper than four reductions.
inline void reduce4(const Floats (&v)[4], float* out) {
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
// weight rows at a time (W = 4 for a single row of x: its loads and reductions are shared).
template <int R, int W>
void rows_products(const Q4Input& in, const WeightMatrix& w, int64_t i0, int64_t first, int64_t last,
                   const float* bias, float* y, int64_t ldy) {
  static_assert(W == 1 || (W == 4 && R == 1), "four weight rows at a time for one row of x");
  const int64_t groups = in.groups, chunks_per_group = w.group_size / kChunk;
  const std::size_t param_bytes = dtype_size(w.scale_dtype);
  const float* x = in.x.data() + i0 * in.cols;
  const float* sums = in.group_sums.data() + i0 * groups;
  int64_t r = first;
  for (; r + W <= last; r += W) {
    const uint8_t* packed[W];
    const void* scales[W];
    const void* biases[W];
    for (int j = 0; j < W; ++j) {
      packed[j] = static_cast<const uint8_t*>(w.data) + (r + j) * (w.cols / 2);
      scales[j] = static_cast<const uint8_t*>(w.scales) + (r + j) * groups * param_bytes;
      biases[j] = static_cast<const uint8_t*>(w.biases) + (r + j) * groups * param_bytes;
    }
    Floats total[R * W];
    float bias_terms[R * W] = {};
    for (auto& t : total) t = zero();
    for (int64_t g = 0; g < groups; ++g) {
      Floats acc[R * W][kPieces];  // independent sums, so that the FMAs do not wait on each other
      for (auto& sum : acc) std::fill(std::begin(sum), std::end(sum), zero());
      for (int64_t k = 0; k < chunks_per_group; ++k) {
        const int64_t c = (g * chunks_per_group + k) * kChunk;
        for (int j = 0; j < W; ++j) {
          Floats q[kPieces];
          unpack_chunk(packed[j] + c / 2, q);
          for (int i = 0; i < R; ++i) {
            for (int p = 0; p < kPieces; ++p) {
              acc[i * W + j][p] = fma(q[p], load(x + i * in.cols + c + p * kLanes), acc[i * W + j][p]);
            }
          }
        }
      }
      for (int j = 0; j < W; ++j) {
        const Floats scale = broadcast(param_at(scales[j], w.scale_dtype, g));
        const float group_bias = param_at(biases[j], w.scale_dtype, g);
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

using RowsProducts = void (*)(const Q4Input&, const WeightMatrix&, int64_t, int64_t, int64_t, const float*, float*,
                              int64_t);
constexpr RowsProducts kRowsProducts[kMaxRows] = {rows_products<1, 4>, rows_products<2, 1>, rows_products<3, 1>,
                                                  rows_products<4, 1>};

#endif  // VERBATIM_Q4_PRODUCT

}  // namespace

bool q4_product_supports(const WeightMatrix& w) {
#if defined(VERBATIM_Q4_PRODUCT)
  return w.format == WeightMatrix::Format::Quantized && w.bits == 4 && (w.group_size == 64 || w.group_size == 128) &&
         w.cols % kChunk == 0;
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
  in.x.resize(static_cast<std::size_t>(m * w.cols));
  in.group_sums.assign(static_cast<std::size_t>(m * in.groups), 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    const float* source = x + i * ldx;
    float* laid = in.x.data() + i * w.cols;
    for (int64_t c = 0; c < w.cols; c += kChunk) {
      for (int64_t j = 0; j < kChunk / 2; ++j) {
        laid[c + j] = source[c + 2 * j];
        laid[c + kChunk / 2 + j] = source[c + 2 * j + 1];
      }
    }
    float* sums = in.group_sums.data() + i * in.groups;
    for (int64_t c = 0; c < w.cols; ++c) sums[c / w.group_size] += source[c];
  }
}

void q4_product(const Q4Input& in, const WeightMatrix& w, int64_t first, int64_t count, const float* bias, float* y,
                int64_t ldy) {
#if defined(VERBATIM_Q4_PRODUCT)
  for (int64_t i = 0; i < in.rows; i += kMaxRows) {
    const int64_t rows = std::min<int64_t>(kMaxRows, in.rows - i);
    kRowsProducts[rows - 1](in, w, i, first, first + count, bias, y, ldy);
  }
#else
  (void)in, (void)w, (void)first, (void)count, (void)bias, (void)y, (void)ldy;
  throw std::logic_error("q4_product: this build has no 4-bit kernel");
#endif
}

}  // namespace cpu
}  // namespace verbatim
