#include "backends/cpu/cpu_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "backends/cpu/blas.h"
#include "backends/cpu/few_row_products.h"
#include "backends/cpu/q4_gemm.h"
#include "backends/cpu/q4_products.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/unaligned_load.h"
#include "backends/cpu/x86_simd.h"
#include "formats/half.h"

namespace verbatim {
namespace cpu {
namespace {

// Up to this many rows of x, matmul reads the weights directly (decoding); above it, 4-bit weights meet x in
// integers (q4_gemm.h) and other formats go to BLAS per tile (encoding).
constexpr int64_t kDirectMaxRows = 16;
static_assert(kDirectMaxRows <= kFewRowsMax, "few-row products take every direct product of several rows");
// Element-wise work smaller than this runs on the calling thread: waking workers would cost more.
constexpr int64_t kParallelMinElements = 1 << 16;
// Bytes of fp32 weights decoded per BLAS call in the tiled matmul: large enough that BLAS's repacking of x for
// every tile costs little, small enough to stay in a core's L2 cache.
constexpr int64_t kTileBytes = 1 << 20;
// Query rows per attention task: fewer tasks repack each head's keys and values less often, and the task's
// scores (rows x keys, 1.5 MB for a 1500-frame window) still fit a core's L2 cache.
constexpr int64_t kAttentionQueryBlock = 256;

// Independent per-lane partial sums let the compiler vectorise reductions without reordering float additions.
constexpr int kLanes = 32;

inline float multiply_add(float a, float b, float c) {
#if defined(__FMA__) || defined(__aarch64__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

float dot(const float* a, const float* b, int64_t n) {
#if defined(__AVX512F__)
  // Explicit: the portable version below ends in a 32-lane scalar reduction, too slow for attention's short rows.
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 mask = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
#elif defined(__AVX2__) && defined(__FMA__)
  // Explicit for the same reason; the tail (n not a multiple of 16) is summed in order after the vector lanes.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float total = reduce_add(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) total = multiply_add(a[i], b[i], total);
  return total;
#else
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] = multiply_add(a[i + j], b[i + j], acc[j]);
  }
  float total = 0.0f;
  for (; i < n; ++i) total = multiply_add(a[i], b[i], total);
  for (float lane : acc) total += lane;
  return total;
#endif
}

// Attention's keys and values as held: fp32, or fp16 bits (attention caches: CpuOps::key_cache, value_cache).
inline float kv_at(const float* p, int64_t i) { return p[i]; }
inline float kv_at(const uint16_t* p, int64_t i) { return half_to_float(p[i]); }
#if defined(__AVX512F__)
inline __m512 kv_load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 kv_load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
#endif

// Where attention finds key (or value) j's columns of head h: at h * head_stride + j * row_stride. Row-major
// matrices hold a row's heads side by side; the fp16 attention cache holds each head's rows together, so that
// attending one head reads its keys from memory in order. Read a head at a time from rows side by side (128 bytes
// every row's width apart), the cache came at half the speed of reading it in order.
struct KvLayout {
  int64_t row_stride, head_stride, d;

  static KvLayout rows(int64_t ld, int64_t d) { return {ld, d, d}; }
  static KvLayout heads(int64_t rows, int64_t d) { return {d, rows * d, d}; }

  int64_t head(int64_t j, int64_t h) const { return h * head_stride + j * row_stride; }
  // column c of the heads' width (head c / d)
  int64_t column(int64_t j, int64_t c) const { return head(j, c / d) + c % d; }
};

float sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  }
  float total = 0.0f;
  for (; i < n; ++i) total += x[i];
  for (float lane : acc) total += lane;
  return total;
}

float max_of(const float* x, int64_t n) {
  int64_t i = 0;
  float result = -INFINITY;
#if defined(__AVX512F__)
  // Explicit: GCC 12 leaves the portable loop below scalar, with a branch per element (half of softmax's time).
  __m512 acc = _mm512_set1_ps(-INFINITY);
  for (; i + 16 <= n; i += 16) acc = _mm512_max_ps(_mm512_loadu_ps(x + i), acc);  // a NaN in x is passed over
  result = _mm512_reduce_max_ps(acc);
#else
  float acc[kLanes];
  std::fill(acc, acc + kLanes, -INFINITY);
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] = std::max(acc[j], x[i + j]);
  }
  for (float lane : acc) result = std::max(result, lane);
#endif
  for (; i < n; ++i) result = std::max(result, x[i]);
  return result;
}

// Cephes' expf: range reduction by ln 2, degree-6 polynomial, exponent built in the bits. Branch-free and
// without library calls (rounding by adding 1.5 * 2^23), so that loops calling it vectorise.
inline float fast_exp(float x) {
  constexpr float kLowest = -87.3365447f;  // below this the result would be subnormal
  constexpr float kRoundingShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
  const float clamped = std::min(std::max(x, kLowest), 88.3762626f);
  const float shifted = multiply_add(clamped, 1.44269504088896341f, kRoundingShift);
  const float n = shifted - kRoundingShift;
  float r = multiply_add(n, -0.693359375f, clamped);
  r = multiply_add(n, 2.12194440e-4f, r);
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = multiply_add(p, r, 1.3981999507e-3f);
  p = multiply_add(p, r, 8.3334519073e-3f);
  p = multiply_add(p, r, 4.1665795894e-2f);
  p = multiply_add(p, r, 1.6666665459e-1f);
  p = multiply_add(p, r, 5.0000001201e-1f);
  p = multiply_add(p, r2, r) + 1.0f;
  const uint32_t exponent_bits = (float_bits(shifted) - float_bits(kRoundingShift) + 127u) << 23;
  const float result = p * bits_float(exponent_bits);
  return x < kLowest ? 0.0f : result;
}

// Abramowitz & Stegun 7.1.26 (as PyTorch's vectorised CPU erf): absolute error below 1.5e-7 plus rounding.
inline float fast_erf(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / multiply_add(0.3275911f, a, 1.0f);
  float p = 1.061405429f;
  p = multiply_add(p, t, -1.453152027f);
  p = multiply_add(p, t, 1.421413741f);
  p = multiply_add(p, t, -0.284496736f);
  p = multiply_add(p, t, 0.254829592f);
  const float magnitude = 1.0f - p * t * fast_exp(-a * a);
  return std::copysign(magnitude, x);
}

void f16_to_float(const uint8_t* src, float* dst, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i));
    _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(h));
  }
#elif defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) dst[i] = half_to_float(load_unaligned<uint16_t>(src + 2 * i));
}

void bf16_to_float_n(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(load_unaligned<uint16_t>(src + 2 * i));
}

// Dequantises `count` (a multiple of 16) 4-bit elements from `packed` with one scale and bias.
void dequantize_4bit(const uint8_t* packed, int64_t count, float scale, float bias, float* dst) {
  int64_t e = 0;
#if defined(__AVX512F__) || defined(__AVX2__)
  const __m128i low_nibbles = _mm_set1_epi8(0x0f);
  for (; e + 16 <= count; e += 16) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(packed + e / 2));
    const __m128i low = _mm_and_si128(bytes, low_nibbles);
    const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibbles);
    const __m128i q = _mm_unpacklo_epi8(low, high);  // LSB-first: the low nibble is the earlier element
#if defined(__AVX512F__)
    const __m512 values = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q));
    _mm512_storeu_ps(dst + e, _mm512_fmadd_ps(values, _mm512_set1_ps(scale), _mm512_set1_ps(bias)));
#else
    const __m256 first = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
    const __m256 second = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(q, 8)));
    _mm256_storeu_ps(dst + e, _mm256_fmadd_ps(first, _mm256_set1_ps(scale), _mm256_set1_ps(bias)));
    _mm256_storeu_ps(dst + e + 8, _mm256_fmadd_ps(second, _mm256_set1_ps(scale), _mm256_set1_ps(bias)));
#endif
  }
#endif
  for (; e < count; ++e) {
    const uint32_t q = (packed[e / 2] >> (4 * (e % 2))) & 0x0fu;
    dst[e] = multiply_add(scale, static_cast<float>(q), bias);
  }
}

void dequantize_8bit(const uint8_t* packed, int64_t count, float scale, float bias, float* dst) {
  int64_t e = 0;
#if defined(__AVX512F__)
  for (; e + 16 <= count; e += 16) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed + e));
    const __m512 values = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q));
    _mm512_storeu_ps(dst + e, _mm512_fmadd_ps(values, _mm512_set1_ps(scale), _mm512_set1_ps(bias)));
  }
#endif
  for (; e < count; ++e) dst[e] = multiply_add(scale, static_cast<float>(packed[e]), bias);
}

// Any width: the row is a little-endian bit stream (for 2, 4 and 8 bits this is the same as LSB-first words).
// `first` is the index of the first element within the row's stream.
void dequantize_bits(const uint8_t* row_words, int64_t words_per_row, int bits, int64_t first, int64_t count,
                     float scale, float bias, float* dst) {
  const uint32_t mask = (1u << bits) - 1u;
  for (int64_t e = 0; e < count; ++e) {
    const int64_t bit = (first + e) * bits;
    const int64_t word = bit / 32;
    const int shift = static_cast<int>(bit % 32);
    uint64_t window = load_unaligned<uint32_t>(row_words + 4 * word);
    if (shift + bits > 32 && word + 1 < words_per_row) window |= static_cast<uint64_t>(load_unaligned<uint32_t>(row_words + 4 * (word + 1))) << 32;
    dst[e] = multiply_add(scale, static_cast<float>(static_cast<uint32_t>(window >> shift) & mask), bias);
  }
}

// A quantized row's per-group scales, then its biases, as float in `group_params`; returns the number of groups.
int64_t load_group_params(const WeightMatrix& w, int64_t row, std::vector<float>& group_params) {
  const int64_t groups = w.cols / w.group_size;
  const std::size_t param_bytes = dtype_size(w.scale_dtype);
  group_params.resize(static_cast<std::size_t>(2 * groups));
  to_float(w.scale_dtype, static_cast<const uint8_t*>(w.scales) + row * groups * param_bytes, group_params.data(),
           groups);
  to_float(w.scale_dtype, static_cast<const uint8_t*>(w.biases) + row * groups * param_bytes,
           group_params.data() + groups, groups);
  return groups;
}

void decode_quantized_row(const WeightMatrix& w, int64_t row, float* dst, std::vector<float>& group_params) {
  if (w.layout == WeightMatrix::Layout::RowBlocks) return decode_row_blocks_row(w, row, dst);
  const int64_t groups = load_group_params(w, row, group_params);
  const int64_t words_per_row = w.cols * w.bits / 32;
  const float* scales = group_params.data();
  const float* biases = scales + groups;
  const uint8_t* words = static_cast<const uint8_t*>(w.data) + 4 * row * words_per_row;
  const int64_t group_bytes = w.group_size * w.bits / 8;
  for (int64_t g = 0; g < groups; ++g) {
    float* out = dst + g * w.group_size;
    switch (w.bits) {
      case 4:
        dequantize_4bit(words + g * group_bytes, w.group_size, scales[g], biases[g], out);
        break;
      case 8:
        dequantize_8bit(words + g * group_bytes, w.group_size, scales[g], biases[g], out);
        break;
      default:
        dequantize_bits(words, words_per_row, w.bits, g * w.group_size, w.group_size, scales[g], biases[g], out);
    }
  }
}

void check_matrix(const WeightMatrix& w) {
  if (w.rows <= 0 || w.cols <= 0 || w.data == nullptr) throw std::invalid_argument("weight matrix is empty");
  if (w.format != WeightMatrix::Format::Quantized) return;
  const bool bits_ok = w.bits == 2 || w.bits == 3 || w.bits == 4 || w.bits == 5 || w.bits == 6 || w.bits == 8;
  const bool group_ok = w.group_size == 32 || w.group_size == 64 || w.group_size == 128;
  if (!bits_ok || !group_ok || w.cols % w.group_size != 0 || w.scales == nullptr || w.biases == nullptr) {
    throw std::invalid_argument("quantized weight matrix has unsupported bits " + std::to_string(w.bits) +
                                " / group size " + std::to_string(w.group_size) + " for " + std::to_string(w.cols) +
                                " columns");
  }
}

// Points at fp32 rows of w when they can be used in place (stored fp32 and aligned), otherwise null.
const float* fp32_rows_in_place(const WeightMatrix& w, int64_t row) {
  if (w.format != WeightMatrix::Format::F32 || reinterpret_cast<std::uintptr_t>(w.data) % alignof(float) != 0) {
    return nullptr;
  }
  return static_cast<const float*>(w.data) + row * w.cols;
}

// Per-thread buffers that grow to the largest size needed and are then reused: no allocation per token.
enum ScratchSlot { kRowSlot, kGroupParamsSlot, kScoresSlot, kPartialSumsSlot, kKeySlot, kScratchSlots };

std::vector<float>& scratch(ScratchSlot slot) {
  thread_local std::vector<float> buffers[kScratchSlots];
  return buffers[slot];
}

float* scratch_floats(ScratchSlot slot, int64_t n) {
  std::vector<float>& buffer = scratch(slot);
  if (buffer.size() < static_cast<std::size_t>(n)) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

#if defined(__AVX512F__)
#define VERBATIM_STREAMED_DOT 1

// y[i] = x_i · w for R rows x_i, where load(c) returns the 16 weights from column c as fp32: the weights are
// converted in registers as they stream past, never stored. Four sums per row (the rows a compile-time count, so
// that the sums stay in registers) keep the FMAs from waiting on each other. cols must be a multiple of 32.
template <int R, class Load16>
inline void dot_streamed_rows(Load16 load, int64_t cols, const float* x, int64_t ldx, float* out) {
  __m512 acc[R][4];
  for (auto& sums : acc) std::fill(std::begin(sums), std::end(sums), _mm512_setzero_ps());
  // Adds the weights from column c, `pieces` vectors of them, times each row of x.
  auto add_pieces = [&](int64_t c, const __m512* w, int pieces) {
    for (int i = 0; i < R; ++i) {
      for (int k = 0; k < pieces; ++k) {
        acc[i][k] = _mm512_fmadd_ps(w[k], _mm512_loadu_ps(x + i * ldx + c + 16 * k), acc[i][k]);
      }
    }
  };
  int64_t c = 0;
  for (; c + 64 <= cols; c += 64) {
    const __m512 w[4] = {load(c), load(c + 16), load(c + 32), load(c + 48)};
    add_pieces(c, w, 4);
  }
  if (c < cols) {
    const __m512 w[2] = {load(c), load(c + 16)};
    add_pieces(c, w, 2);
  }
  for (int i = 0; i < R; ++i) {
    const __m512 pairs = _mm512_add_ps(_mm512_add_ps(acc[i][0], acc[i][1]), _mm512_add_ps(acc[i][2], acc[i][3]));
    out[i] = _mm512_reduce_add_ps(pairs);
  }
}

// Rows per streamed pass over the weights: five, so that the five beams of a beam search step share one pass
// (5 x 4 sums and 4 weight vectors fit AVX-512's 32 registers).
constexpr int64_t kStreamedRows = 5;

// dot_streamed_rows for 1 to kStreamedRows rows.
template <class Load16>
inline void dot_streamed(Load16 load, int64_t cols, const float* x, int64_t rows, int64_t ldx, float* out) {
  switch (rows) {
    case 1: return dot_streamed_rows<1>(load, cols, x, ldx, out);
    case 2: return dot_streamed_rows<2>(load, cols, x, ldx, out);
    case 3: return dot_streamed_rows<3>(load, cols, x, ldx, out);
    case 4: return dot_streamed_rows<4>(load, cols, x, ldx, out);
    default: return dot_streamed_rows<5>(load, cols, x, ldx, out);
  }
}

// Returns false when this row's format has no streamed kernel (the caller decodes the row instead).
bool dot_row_streamed(const WeightMatrix& w, int64_t row, const float* x, int64_t rows, int64_t ldx, float* out,
                      std::vector<float>& group_params) {
  if (w.cols % 32 != 0) return false;
  const auto* base = static_cast<const uint8_t*>(w.data);
  switch (w.format) {
    case WeightMatrix::Format::F16: {
      const uint8_t* p = base + 2 * row * w.cols;
      dot_streamed([p](int64_t c) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * c))); },
                   w.cols, x, rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::BF16: {
      const uint8_t* p = base + 2 * row * w.cols;
      dot_streamed(
          [p](int64_t c) {
            const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * c)));
            return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
          },
          w.cols, x, rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::F32: {
      const uint8_t* p = base + 4 * row * w.cols;
      dot_streamed([p](int64_t c) { return _mm512_loadu_ps(reinterpret_cast<const float*>(p + 4 * c)); }, w.cols, x,
                   rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::Quantized: {
      if ((w.bits != 4 && w.bits != 8) || w.layout != WeightMatrix::Layout::Rows) return false;
      const int64_t groups = load_group_params(w, row, group_params);
      const float* scales = group_params.data();
      const float* biases = scales + groups;
      const uint8_t* p = base + row * w.cols * w.bits / 8;
      const int shift = w.group_size == 32 ? 5 : w.group_size == 64 ? 6 : 7;
      if (w.bits == 4) {
        const __m128i low_nibbles = _mm_set1_epi8(0x0f);
        dot_streamed(
            [=](int64_t c) {
              const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + c / 2));
              const __m128i low = _mm_and_si128(bytes, low_nibbles);
              const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibbles);
              const __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi8(low, high)));
              const int64_t g = c >> shift;
              return _mm512_fmadd_ps(q, _mm512_set1_ps(scales[g]), _mm512_set1_ps(biases[g]));
            },
            w.cols, x, rows, ldx, out);
      } else {
        dot_streamed(
            [=](int64_t c) {
              const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + c));
              const __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
              const int64_t g = c >> shift;
              return _mm512_fmadd_ps(q, _mm512_set1_ps(scales[g]), _mm512_set1_ps(biases[g]));
            },
            w.cols, x, rows, ldx, out);
      }
      return true;
    }
  }
  return false;
}

#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define VERBATIM_STREAMED_DOT 1

struct Weights16 {  // 16 consecutive weights of a row as fp32
  __m256 low, high;
};

constexpr int64_t kStreamedRows = 4;

// As the AVX-512 version: y[i] = x_i · w for up to 4 rows x_i, the weights converted in registers as they stream
// past. Four accumulators per row keep both FMA units busy for a single row. cols must be a multiple of 32.
template <class Load16>
inline void dot_streamed(Load16 load, int64_t cols, const float* x, int64_t rows, int64_t ldx, float* out) {
  __m256 acc[4][4];
  for (auto& row : acc) row[0] = row[1] = row[2] = row[3] = _mm256_setzero_ps();
  for (int64_t c = 0; c < cols; c += 32) {
    const Weights16 a = load(c), b = load(c + 16);
    for (int64_t i = 0; i < rows; ++i) {
      const float* xi = x + i * ldx + c;
      acc[i][0] = _mm256_fmadd_ps(a.low, _mm256_loadu_ps(xi), acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a.high, _mm256_loadu_ps(xi + 8), acc[i][1]);
      acc[i][2] = _mm256_fmadd_ps(b.low, _mm256_loadu_ps(xi + 16), acc[i][2]);
      acc[i][3] = _mm256_fmadd_ps(b.high, _mm256_loadu_ps(xi + 24), acc[i][3]);
    }
  }
  for (int64_t i = 0; i < rows; ++i) {
    out[i] = reduce_add(_mm256_add_ps(_mm256_add_ps(acc[i][0], acc[i][1]), _mm256_add_ps(acc[i][2], acc[i][3])));
  }
}

inline Weights16 widen_bytes(__m128i q) {  // 16 unsigned bytes -> fp32
  return {_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(q, 8)))};
}

bool dot_row_streamed(const WeightMatrix& w, int64_t row, const float* x, int64_t rows, int64_t ldx, float* out,
                      std::vector<float>& group_params) {
  if (w.cols % 32 != 0) return false;
  const auto* base = static_cast<const uint8_t*>(w.data);
  switch (w.format) {
    case WeightMatrix::Format::F16: {
      const uint8_t* p = base + 2 * row * w.cols;
      dot_streamed(
          [p](int64_t c) -> Weights16 {
            const auto* h = reinterpret_cast<const __m128i*>(p + 2 * c);
            return {_mm256_cvtph_ps(_mm_loadu_si128(h)), _mm256_cvtph_ps(_mm_loadu_si128(h + 1))};
          },
          w.cols, x, rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::BF16: {
      const uint8_t* p = base + 2 * row * w.cols;
      dot_streamed(
          [p](int64_t c) -> Weights16 {
            const auto* h = reinterpret_cast<const __m128i*>(p + 2 * c);
            const auto widen = [](__m128i bf) {
              return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bf), 16));
            };
            return {widen(_mm_loadu_si128(h)), widen(_mm_loadu_si128(h + 1))};
          },
          w.cols, x, rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::F32: {
      const auto* p = reinterpret_cast<const float*>(base + 4 * row * w.cols);
      dot_streamed([p](int64_t c) -> Weights16 { return {_mm256_loadu_ps(p + c), _mm256_loadu_ps(p + c + 8)}; },
                   w.cols, x, rows, ldx, out);
      return true;
    }
    case WeightMatrix::Format::Quantized: {
      if ((w.bits != 4 && w.bits != 8) || w.layout != WeightMatrix::Layout::Rows) return false;
      const int64_t groups = load_group_params(w, row, group_params);
      const float* scales = group_params.data();
      const float* biases = scales + groups;
      const uint8_t* p = base + row * w.cols * w.bits / 8;
      const int shift = w.group_size == 32 ? 5 : w.group_size == 64 ? 6 : 7;
      // w = scale * q + bias in fp32, as decode_rows computes it
      const auto dequantize = [=](Weights16 q, int64_t c) -> Weights16 {
        const __m256 scale = _mm256_set1_ps(scales[c >> shift]), bias = _mm256_set1_ps(biases[c >> shift]);
        return {_mm256_fmadd_ps(q.low, scale, bias), _mm256_fmadd_ps(q.high, scale, bias)};
      };
      if (w.bits == 4) {
        const __m128i low_nibbles = _mm_set1_epi8(0x0f);
        dot_streamed(
            [=](int64_t c) {
              const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + c / 2));
              const __m128i low = _mm_and_si128(bytes, low_nibbles);
              const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibbles);
              return dequantize(widen_bytes(_mm_unpacklo_epi8(low, high)), c);  // LSB-first: low nibble first
            },
            w.cols, x, rows, ldx, out);
      } else {
        dot_streamed(
            [=](int64_t c) {
              return dequantize(widen_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + c))), c);
            },
            w.cols, x, rows, ldx, out);
      }
      return true;
    }
  }
  return false;
}

#endif  // streamed dot kernels

// y = x · wᵀ for a few rows of x, one weight row at a time, straight from the stored format.
void matmul_direct(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w,
                   const float* bias, float* y, int64_t ldy) {
  // One contiguous range of weight rows per thread: each streams its own part of the matrix (2.85 -> 2.15 ms per
  // base 4-bit step on 2 threads, against 16 interleaved blocks per thread). Whole row blocks of kRowBlock rows,
  // as the 4-bit integer kernel takes them.
  const int64_t blocks_per_thread = ((w.rows + kRowBlock - 1) / kRowBlock + pool.threads() - 1) / pool.threads();
  const int64_t block = blocks_per_thread * kRowBlock;
  const int64_t tasks = (w.rows + block - 1) / block;
  if (q4_product_supports(w)) {
    thread_local Q4Input caller_input;  // reused from token to token
    const Q4Input& input = caller_input;  // the workers must read the caller's, not their own thread_local
    prepare_q4_input(x, m, ldx, w, caller_input);
    pool.parallel_for(tasks, [&](int64_t task, int) {
      q4_product(input, w, task * block, std::min(block, w.rows - task * block), bias, y, ldy);
    });
    return;
  }
  // A single row stays on the streamed dot below: as fast, and it needs no blocks of weight rows.
  if (m > 1 && few_row_product_supports(w)) {
    pool.parallel_for(tasks, [&](int64_t task, int) {
      few_row_product(x, m, ldx, w, task * block, std::min(block, w.rows - task * block), bias, y, ldy);
    });
    return;
  }
  pool.parallel_for(tasks, [&](int64_t task, int) {
    const int64_t end = std::min(w.rows, (task + 1) * block);
    float* row_buffer = scratch_floats(kRowSlot, w.cols);
    for (int64_t r = task * block; r < end; ++r) {
      const float b = bias != nullptr ? bias[r] : 0.0f;
#if defined(VERBATIM_STREAMED_DOT)
      float results[kStreamedRows];
      bool streamed = true;
      for (int64_t i = 0; i < m && streamed; i += kStreamedRows) {
        const int64_t rows = std::min<int64_t>(kStreamedRows, m - i);
        streamed = dot_row_streamed(w, r, x + i * ldx, rows, ldx, results, scratch(kGroupParamsSlot));
        for (int64_t j = 0; streamed && j < rows; ++j) y[(i + j) * ldy + r] = results[j] + b;
      }
      if (streamed) continue;
#endif
      const float* weights = fp32_rows_in_place(w, r);
      if (weights == nullptr) {
        decode_rows(w, r, 1, row_buffer);
        weights = row_buffer;
      }
      for (int64_t i = 0; i < m; ++i) y[i * ldy + r] = dot(x + i * ldx, weights, w.cols) + b;
    }
  });
}

void matmul_tiled(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w,
                  const float* bias, float* y, int64_t ldy) {
  const int64_t tile = std::clamp<int64_t>(kTileBytes / (4 * w.cols) / 16 * 16, 16, 512);
  const int64_t tasks = (w.rows + tile - 1) / tile;
  pool.parallel_for(tasks, [&](int64_t task, int) {
    const int64_t first = task * tile;
    const int64_t rows = std::min(tile, w.rows - first);
    const float* weights = fp32_rows_in_place(w, first);
    if (weights == nullptr) {
      float* buffer = scratch_floats(kRowSlot, rows * w.cols);
      decode_rows(w, first, rows, buffer);
      weights = buffer;
    }
    sgemm(false, true, static_cast<int>(m), static_cast<int>(rows), static_cast<int>(w.cols), 1.0f, x,
          static_cast<int>(ldx), weights, static_cast<int>(w.cols), 0.0f, y + first, static_cast<int>(ldy));
    if (bias == nullptr) return;
    for (int64_t i = 0; i < m; ++i) add(y + i * ldy + first, bias + first, y + i * ldy + first, rows);
  });
}

// The weighted sum of values for one query, over a range of keys: sums[c] = Σ_j p_head(c)(j) · v[j][c] for every
// column c of the heads' width (head(c) = c / d), each head's scores `score_stride` apart; v fp32 or fp16 bits.
template <class V>
struct WeightedValues {
  const float* scores;
  int64_t score_stride;
  const V* v;
  KvLayout layout;

  // A few keys at a time through all the columns, so that their rows are read from memory once.
  static constexpr int64_t kKeysPerPass = 64;

  // Adds the keys [first, last) to sums.
  void add(int64_t first, int64_t last, int64_t width, float* sums) const {
    for (int64_t pass = first; pass < last; pass += kKeysPerPass) {
      const int64_t end = std::min(last, pass + kKeysPerPass);
      int64_t c = 0;
#if defined(__AVX512F__)
      // Whisper's 64-wide heads four or two at a time, summed in registers over the pass's keys.
      if (layout.d == 64) {
        for (; c + 256 <= width; c += 256) add_heads<4>(pass, end, c, sums);
        for (; c + 128 <= width; c += 128) add_heads<2>(pass, end, c, sums);
      }
#endif
      for (int64_t j = pass; j < end; ++j) {
        // a head's span of the remaining columns at a time
        for (int64_t column = c; column < width;) {
          const int64_t h = column / layout.d, span_end = std::min(width, (h + 1) * layout.d);
          const V* head_row = v + layout.head(j, h) - h * layout.d;  // indexed by column
          const float score = scores[h * score_stride + j];
          for (; column < span_end; ++column) sums[column] = multiply_add(score, kv_at(head_row, column), sums[column]);
        }
      }
    }
  }

#if defined(__AVX512F__)
  // Adds the keys [first, last) to the sums of kHeads whole heads of 64 columns from column c0, a head's first: a
  // pointer to each head's values, a row's four vectors at fixed offsets from it (a pointer per vector took a fifth
  // longer: more pointers than registers).
  template <int kHeads>
  void add_heads(int64_t first, int64_t last, int64_t c0, float* sums) const {
    const float* head_scores[kHeads];
    const V* head_values[kHeads];
    __m512 acc[kHeads][4];
    for (int h = 0; h < kHeads; ++h) {
      head_scores[h] = scores + (c0 / 64 + h) * score_stride;
      head_values[h] = v + layout.head(0, c0 / 64 + h);
      for (int k = 0; k < 4; ++k) acc[h][k] = _mm512_loadu_ps(sums + c0 + 64 * h + 16 * k);
    }
    for (int64_t j = first; j < last; ++j) {
      for (int h = 0; h < kHeads; ++h) {
        const V* row = head_values[h] + j * layout.row_stride;
        const __m512 weight = _mm512_set1_ps(head_scores[h][j]);
        for (int k = 0; k < 4; ++k) acc[h][k] = _mm512_fmadd_ps(weight, kv_load16(row + 16 * k), acc[h][k]);
      }
    }
    for (int h = 0; h < kHeads; ++h) {
      for (int k = 0; k < 4; ++k) _mm512_storeu_ps(sums + c0 + 64 * h + 16 * k, acc[h][k]);
    }
  }

  // The same for R queries at once, over the 64 columns from c0 (d a multiple of 16), each value converted once for
  // all of them: query r's scores are r * query_stride after these, its sums r * ldsum after `sums`, its keys
  // [first, ends[r]).
  template <int R>
  void add_queries(int64_t first, const int64_t* ends, int64_t c0, int64_t query_stride, float* sums,
                   int64_t ldsum) const {
    constexpr int kVectors = 4;
    const float* head_scores[kVectors];
    const V* pieces[kVectors];  // 16 columns each, within one head
    __m512 acc[R][kVectors];
    for (int k = 0; k < kVectors; ++k) {
      head_scores[k] = scores + (c0 + 16 * k) / layout.d * score_stride;
      pieces[k] = v + layout.column(0, c0 + 16 * k);
      for (int r = 0; r < R; ++r) acc[r][k] = _mm512_loadu_ps(sums + r * ldsum + c0 + 16 * k);
    }
    const int64_t last = *std::max_element(ends, ends + R);
    for (int64_t j = first; j < last; ++j) {
      __m512 values[kVectors];
      for (int k = 0; k < kVectors; ++k) values[k] = kv_load16(pieces[k] + j * layout.row_stride);
      for (int r = 0; r < R; ++r) {
        if (j >= ends[r]) continue;
        for (int k = 0; k < kVectors; ++k) {
          acc[r][k] = _mm512_fmadd_ps(_mm512_set1_ps(head_scores[k][r * query_stride + j]), values[k], acc[r][k]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int k = 0; k < kVectors; ++k) _mm512_storeu_ps(sums + r * ldsum + c0 + 16 * k, acc[r][k]);
    }
  }

  // add_queries for 2 to kQueriesAtOnce queries, over every column (width a multiple of 64).
  static constexpr int kQueriesAtOnce = 5;  // 5 x 4 sums and 4 values in registers
  void add_queries(int64_t queries, int64_t first, const int64_t* ends, int64_t width, int64_t query_stride,
                   float* sums, int64_t ldsum) const {
    for (int64_t c = 0; c < width; c += 64) {
      switch (queries) {
        case 2: add_queries<2>(first, ends, c, query_stride, sums, ldsum); break;
        case 3: add_queries<3>(first, ends, c, query_stride, sums, ldsum); break;
        case 4: add_queries<4>(first, ends, c, query_stride, sums, ldsum); break;
        default: add_queries<5>(first, ends, c, query_stride, sums, ldsum); break;
      }
    }
  }
#endif
};

#if defined(__AVX512F__)
constexpr int64_t kScoredKeys = 16;  // keys scored at once by score_keys

// The sums of 16 vectors' lanes as one vector (lane k: v[k]'s): a tree of adds over transposed halves, about three
// instructions a sum where a reduction of each vector takes eight.
inline __m512 reduce16(const __m512* v) {
  __m512 pairs[8], quads[4];
  for (int k = 0; k < 8; ++k) {
    pairs[k] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]), _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]));
  }
  for (int k = 0; k < 4; ++k) {
    const __m512d a = _mm512_castps_pd(pairs[2 * k]), b = _mm512_castps_pd(pairs[2 * k + 1]);
    quads[k] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // Each 128-bit lane of quads[k] now holds partial sums of v[4k] to v[4k + 3]; add the four lanes up.
  auto fold = [](__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  };
  return fold(fold(quads[0], quads[1]), fold(quads[2], quads[3]));
}

// out[j] = q · k_j · scale for the kScoredKeys fp32 keys k_j (d a multiple of 16, rows `stride` apart), 0 from key
// `visible` on. Column by column, each of q's vectors loaded once (key by key took a fifth longer on 100 keys of 20
// heads).
void score_keys(const float* q, const float* k, int64_t stride, int64_t d, float scale, int64_t visible, float* out) {
  __m512 acc[kScoredKeys];
  for (auto& a : acc) a = _mm512_setzero_ps();
  for (int64_t c = 0; c < d; c += 16) {
    const __m512 qc = _mm512_loadu_ps(q + c);
    for (int64_t j = 0; j < kScoredKeys; ++j) acc[j] = _mm512_fmadd_ps(qc, _mm512_loadu_ps(k + j * stride + c), acc[j]);
  }
  const int64_t shown = std::clamp<int64_t>(visible, 0, kScoredKeys);
  const auto mask = static_cast<__mmask16>((1u << shown) - 1u);
  _mm512_storeu_ps(out, _mm512_maskz_mul_ps(mask, reduce16(acc), _mm512_set1_ps(scale)));
}

// out[r * out_stride + j] = q_r · k_j · scale for the R queries q_r (rows of q ldq apart) and the kKeyCacheBlock keys
// of a key-cache block (d columns, d a multiple of 4), 0 from key visible[r] on; only the first `count` keys (those
// held) are written. Each column of the block is converted once for all the queries, and each query's four
// independent sums of columns are added up at the end.
template <int R>
void score_key_block(const float* q, int64_t ldq, const uint16_t* block, int64_t d, float scale,
                     const int64_t* visible, int64_t count, float* out, int64_t out_stride) {
  static_assert(kKeyCacheBlock == 16, "a block's column is one vector");
  __m512 acc[R][4];
  for (auto& sums : acc) std::fill(std::begin(sums), std::end(sums), _mm512_setzero_ps());
  for (int64_t c = 0; c < d; c += 4) {
    for (int u = 0; u < 4; ++u) {
      const __m512 keys = kv_load16(block + (c + u) * kKeyCacheBlock);
      for (int r = 0; r < R; ++r) acc[r][u] = _mm512_fmadd_ps(_mm512_set1_ps(q[r * ldq + c + u]), keys, acc[r][u]);
    }
  }
  const auto held = static_cast<__mmask16>((1u << count) - 1u);
  for (int r = 0; r < R; ++r) {
    const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]), _mm512_add_ps(acc[r][2], acc[r][3]));
    const auto shown = static_cast<__mmask16>((1u << std::clamp<int64_t>(visible[r], 0, kKeyCacheBlock)) - 1u);
    _mm512_mask_storeu_ps(out + r * out_stride, held, _mm512_maskz_mul_ps(shown, sum, _mm512_set1_ps(scale)));
  }
}
#endif

// Keys [0, visible_keys(shape, i)) are visible to query i; causal masks are bottom-right aligned.
int64_t visible_keys(const AttentionShape& shape, int64_t query) {
  return shape.causal ? shape.keys - shape.queries + query + 1 : shape.keys;
}

// One attention of a batch: q attended over k and v into out (strides and shape shared by the batch).
template <class KV>
struct AttentionOperands {
  const float* q;
  const KV* k;
  const KV* v;
  float* out;
};

// The scores of keys [first, end) (first a multiple of kScoredKeys) for every head and query of `in`, into scores
// [head][query][key], from fp32 keys laid out as `layout` says (rows side by side).
void score_range(const AttentionShape& shape, const AttentionOperands<float>& in, int64_t ldq, const KvLayout& layout,
                 float scale, int64_t first, int64_t end, float* scores) {
  const int64_t d = shape.head_dim;
  int64_t j = first;
#if defined(__AVX512F__)
  if (d % 16 == 0) {
    const int64_t whole = first + (end - first) / kScoredKeys * kScoredKeys;
    for (int64_t from = first; from < whole; from += kScoredKeys) {
      for (int64_t h = 0; h < shape.heads; ++h) {
        for (int64_t i = 0; i < shape.queries; ++i) {
          score_keys(in.q + i * ldq + h * d, in.k + layout.head(from, h), layout.row_stride, d, scale,
                     visible_keys(shape, i) - from, scores + (h * shape.queries + i) * shape.keys + from);
        }
      }
    }
    j = whole;
  }
#endif
  for (; j < end; ++j) {
    for (int64_t i = 0; i < shape.queries; ++i) {
      for (int64_t h = 0; h < shape.heads; ++h) {
        float* score = scores + (h * shape.queries + i) * shape.keys + j;
        *score = j < visible_keys(shape, i) ? dot(in.q + i * ldq + h * d, in.k + layout.head(j, h), d) * scale : 0.0f;
      }
    }
  }
}

// The same from a key cache (to_key_cache) of as many rows as the values' cache that `layout` describes, a block at
// a time, each head's blocks in order (first a multiple of kKeyCacheBlock).
void score_range(const AttentionShape& shape, const AttentionOperands<uint16_t>& in, int64_t ldq,
                 const KvLayout& layout, float scale, int64_t first, int64_t end, float* scores) {
  const int64_t d = shape.head_dim, head_stride = key_cache_rows(layout.head_stride / d) * d;
  for (int64_t h = 0; h < shape.heads; ++h) {
    for (int64_t from = first; from < end; from += kKeyCacheBlock) {
      const uint16_t* block = in.k + h * head_stride + from * d;
      const int64_t count = std::min(kKeyCacheBlock, end - from);
      float* out = scores + h * shape.queries * shape.keys + from;
#if defined(__AVX512F__)
      if (d % 4 == 0) {
        constexpr int64_t kAtOnce = WeightedValues<uint16_t>::kQueriesAtOnce;  // as many sums in registers
        for (int64_t i0 = 0; i0 < shape.queries; i0 += kAtOnce) {
          const int64_t n = std::min(kAtOnce, shape.queries - i0);
          int64_t visible[kAtOnce];
          for (int64_t r = 0; r < n; ++r) visible[r] = visible_keys(shape, i0 + r) - from;
          const float* q = in.q + i0 * ldq + h * d;
          float* to = out + i0 * shape.keys;
          switch (n) {
            case 1: score_key_block<1>(q, ldq, block, d, scale, visible, count, to, shape.keys); break;
            case 2: score_key_block<2>(q, ldq, block, d, scale, visible, count, to, shape.keys); break;
            case 3: score_key_block<3>(q, ldq, block, d, scale, visible, count, to, shape.keys); break;
            case 4: score_key_block<4>(q, ldq, block, d, scale, visible, count, to, shape.keys); break;
            default: score_key_block<5>(q, ldq, block, d, scale, visible, count, to, shape.keys); break;
          }
        }
        continue;
      }
#endif
      // A key at a time, widened into a row: dot() then sums as it does over fp32 keys.
      float* key = scratch_floats(kKeySlot, d);
      for (int64_t j = 0; j < count; ++j) {
        for (int64_t c = 0; c < d; ++c) key[c] = half_to_float(block[c * kKeyCacheBlock + j]);
        for (int64_t i = 0; i < shape.queries; ++i) {
          const float score = dot(in.q + i * ldq + h * d, key, d) * scale;
          out[i * shape.keys + j] = from + j < visible_keys(shape, i) ? score : 0.0f;
        }
      }
    }
  }
}

// Attention for a few queries (decoding), without BLAS: for a single query row BLAS would spend longer repacking
// the keys and values than multiplying them. KV: float or fp16 bits, laid out as `layout` says. Each task takes a
// contiguous range of keys, and reads it head by head where heads are held apart (the fp16 cache), else row by row,
// all heads at once: memory is read in order either way. Base's cross-attention over its cache, 2 threads, from
// memory: 1 query 0.20-0.22 -> 0.14 ms, 5 queries 0.46-0.49 -> 0.36-0.40 ms, against 128-key tasks reading rows side
// by side a head at a time.
// Where heads are whole vectors, keys are scored 16 at a time (score_keys) and values weighted for several queries
// at once (add_queries): base's six cross-attentions over 1500 fp16 keys, one core, 5 queries 2.95 -> 1.66 ms and
// 1 query 0.62 -> 0.43 ms, against a dot product and a conversion of each key and value per query.
// A batch of several attentions (beam search's self-attentions, a beam's query over its own cache each) shares the
// pool's three calls; each is computed as it would be alone. `weights` is for a batch of one.
template <class KV>
void attention_direct(ThreadPool& pool, const AttentionShape& shape, const AttentionOperands<KV>* batch,
                      int64_t count, int64_t ldq, const KvLayout& layout, int64_t ldo, float* weights) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  const int64_t d = shape.head_dim, rows = shape.heads * shape.queries;
  // [operands][head][query][key], as `weights` wants it
  float* all_scores = weights != nullptr ? weights : scratch_floats(kScoresSlot, count * rows * shape.keys);

  constexpr int64_t kKeysPerRange = 128;  // at least, unless the tasks would not share out evenly
  // A contiguous range of keys per task, in whole blocks of kKeyCacheBlock (and kScoredKeys) keys: each thread
  // streams its own part of each head. A batch of attentions that the threads cannot share evenly (one greedy
  // self-attention, five beams' on two threads) splits each into a range per thread, however few its keys:
  // base 4-bit greedy 1.32 -> 1.31 ms, base fp16 3.44 -> 3.31 ms (ten turns).
  const int64_t threads = pool.threads();
  const int64_t wanted = std::min<int64_t>(threads, (shape.keys + kKeysPerRange - 1) / kKeysPerRange);
  const int64_t ranges = count * wanted % threads == 0 ? wanted : threads;
  const int64_t key_blocks = (shape.keys + kKeyCacheBlock - 1) / kKeyCacheBlock;
  auto range_start = [&](int64_t range) { return std::min(shape.keys, range * key_blocks / ranges * kKeyCacheBlock); };
  pool.parallel_for(count * ranges, [&](int64_t task, int) {
    const int64_t range = task % ranges;
    score_range(shape, batch[task / ranges], ldq, layout, scale, range_start(range), range_start(range + 1),
                all_scores + task / ranges * rows * shape.keys);
  });

  const int64_t all_rows = count * rows, groups = std::min<int64_t>(count * shape.heads, pool.threads());
  pool.parallel_for(groups, [&](int64_t group, int) {
    for (int64_t r = group * all_rows / groups; r < (group + 1) * all_rows / groups; ++r) {
      softmax(all_scores + r * shape.keys, visible_keys(shape, r % shape.queries));
    }
  });

  // The weighted sum of values, over the same ranges of keys (streaming v as the scores stream k), each into its own
  // partial sums, added up after.
  const int64_t width = shape.heads * d, outputs = shape.queries * width;
  float* all_partial = scratch_floats(kPartialSumsSlot, count * ranges * outputs);
#if defined(__AVX512F__)
  const bool by_sets = shape.queries > 1 && d % 16 == 0 && width % 64 == 0;  // add_queries, sets of kQueriesAtOnce
  const bool one_set = by_sets && shape.queries <= WeightedValues<KV>::kQueriesAtOnce;
#else
  const bool one_set = false;
#endif
  pool.parallel_for(count * ranges, [&](int64_t task, int) {
    const int64_t range = task % ranges;
    const KV* v = batch[task / ranges].v;
    const float* scores = all_scores + task / ranges * rows * shape.keys;
    float* partial = all_partial + task * outputs;
    const int64_t first = range_start(range), last = range_start(range + 1);
    std::fill(partial, partial + outputs, 0.0f);
    // Every query takes a pass of keys while its rows of v are in the cache: v is read from memory once for all.
    // Queries that add_queries takes as one set (beams: five queries over the cross-attention cache) keep their
    // sums in registers over the whole range instead, each head's values read in order: turbo's five over 1500
    // keys, 2 threads, 0.68 -> 0.55 ms.
    const int64_t pass_keys = one_set ? last - first : WeightedValues<KV>::kKeysPerPass;
    for (int64_t pass = first; pass < last; pass += pass_keys) {
      const int64_t end = std::min(last, pass + pass_keys);
      // masked keys (from visible_keys(shape, i) on) have zero scores
      auto pass_end = [&](int64_t i) { return std::max(pass, std::min(end, visible_keys(shape, i))); };
      int64_t i = 0;
#if defined(__AVX512F__)
      if (by_sets) {
        constexpr int64_t kAtOnce = WeightedValues<KV>::kQueriesAtOnce;
        const int64_t sets = (shape.queries + kAtOnce - 1) / kAtOnce;  // split evenly: 7 queries as 4 + 3
        for (int64_t set = 0; set < sets; ++set) {
          const int64_t i0 = set * shape.queries / sets, i1 = (set + 1) * shape.queries / sets;
          int64_t ends[kAtOnce];
          for (int64_t r = 0; r < i1 - i0; ++r) ends[r] = pass_end(i0 + r);
          const WeightedValues<KV> values{scores + i0 * shape.keys, shape.queries * shape.keys, v, layout};
          values.add_queries(i1 - i0, pass, ends, width, shape.keys, partial + i0 * width, width);
        }
        i = shape.queries;
      }
#endif
      for (; i < shape.queries; ++i) {
        const WeightedValues<KV> values{scores + i * shape.keys, shape.queries * shape.keys, v, layout};
        values.add(pass, pass_end(i), width, partial + i * width);
      }
    }
  });
  for (int64_t n = 0; n < count; ++n) {
    const float* partial = all_partial + n * ranges * outputs;
    for (int64_t i = 0; i < shape.queries; ++i) {
      float* row = batch[n].out + i * ldo;
      std::copy_n(partial + i * width, width, row);
      for (int64_t range = 1; range < ranges; ++range) add(row, partial + range * outputs + i * width, row, width);
    }
  }
}

void check_attention_shape(const AttentionShape& shape) {
  if (shape.causal && shape.queries > shape.keys) {
    throw std::invalid_argument("causal attention needs at least as many keys as queries");
  }
}

}  // namespace

void to_float(DType dtype, const void* src, float* dst, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, bytes, static_cast<std::size_t>(n) * sizeof(float));
      return;
    case DType::F16:
      f16_to_float(bytes, dst, n);
      return;
    case DType::BF16:
      bf16_to_float_n(bytes, dst, n);
      return;
    default:
      throw std::invalid_argument(std::string("cannot use a ") + dtype_name(dtype) + " tensor as floats");
  }
}

std::vector<float> to_float(const Vector& v) {
  std::vector<float> out(static_cast<std::size_t>(v.size));
  to_float(v.dtype, v.data, out.data(), v.size);
  return out;
}

void decode_rows(const WeightMatrix& w, int64_t row, int64_t count, float* dst) {
  check_matrix(w);
  if (row < 0 || count < 0 || row + count > w.rows) throw std::out_of_range("decode_rows: rows out of range");
  switch (w.format) {
    case WeightMatrix::Format::F32:
      to_float(DType::F32, static_cast<const uint8_t*>(w.data) + 4 * row * w.cols, dst, count * w.cols);
      return;
    case WeightMatrix::Format::F16:
      to_float(DType::F16, static_cast<const uint8_t*>(w.data) + 2 * row * w.cols, dst, count * w.cols);
      return;
    case WeightMatrix::Format::BF16:
      to_float(DType::BF16, static_cast<const uint8_t*>(w.data) + 2 * row * w.cols, dst, count * w.cols);
      return;
    case WeightMatrix::Format::Quantized:
      for (int64_t r = 0; r < count; ++r) decode_quantized_row(w, row + r, dst + r * w.cols, scratch(kGroupParamsSlot));
      return;
  }
}

void matmul(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, const float* bias,
            float* y, int64_t ldy) {
  check_matrix(w);
  if (m <= 0) return;
  if (ldx < w.cols || ldy < w.rows) throw std::invalid_argument("matmul: row strides shorter than the rows");
  if (m <= kDirectMaxRows) {
    matmul_direct(pool, x, m, ldx, w, bias, y, ldy);
  } else if (q4_gemm_supports(w)) {
    q4_gemm(pool, x, m, ldx, w, bias, y, ldy);
  } else {
    matmul_tiled(pool, x, m, ldx, w, bias, y, ldy);
  }
}

void layer_norm(ThreadPool& pool, const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta,
                float* y) {
  const int64_t rows_per_task = std::max<int64_t>(1, kParallelMinElements / std::max<int64_t>(cols, 1));
  const int64_t tasks = (rows + rows_per_task - 1) / rows_per_task;
  pool.parallel_for(tasks, [&](int64_t task, int) {
    const int64_t end = std::min(rows, (task + 1) * rows_per_task);
    for (int64_t r = task * rows_per_task; r < end; ++r) {
      const float* in = x + r * cols;
      float* out = y + r * cols;
      const float mean = sum(in, cols) / static_cast<float>(cols);
      float squares[kLanes] = {};
      int64_t c = 0;
      for (; c + kLanes <= cols; c += kLanes) {
        for (int j = 0; j < kLanes; ++j) {
          const float d = in[c + j] - mean;
          squares[j] = multiply_add(d, d, squares[j]);
        }
      }
      float variance = 0.0f;
      for (; c < cols; ++c) variance = multiply_add(in[c] - mean, in[c] - mean, variance);
      for (float lane : squares) variance += lane;
      variance /= static_cast<float>(cols);
      const float inv = 1.0f / std::sqrt(variance + 1e-5f);
      for (c = 0; c < cols; ++c) out[c] = multiply_add((in[c] - mean) * inv, gamma[c], beta[c]);
    }
  });
}

namespace {

inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// f(x[i]) in place, on the calling thread below kParallelMinElements.
template <class F>
void map_in_place(ThreadPool& pool, float* x, int64_t n, F f) {
  const int64_t tasks = (n + kParallelMinElements - 1) / kParallelMinElements;
  pool.parallel_for(tasks, [&](int64_t task, int) {
    const int64_t end = std::min(n, (task + 1) * kParallelMinElements);
    for (int64_t i = task * kParallelMinElements; i < end; ++i) x[i] = f(x[i]);
  });
}

}  // namespace

void gelu(ThreadPool& pool, float* x, int64_t n) {
  map_in_place(pool, x, n, [](float v) { return 0.5f * v * (1.0f + fast_erf(v * 0.70710678118654752f)); });
}

void unary(ThreadPool& pool, Unary f, float* x, int64_t n) {
  switch (f) {
    case Unary::Relu: return map_in_place(pool, x, n, [](float v) { return v > 0.0f ? v : 0.0f; });
    case Unary::Silu: return map_in_place(pool, x, n, [](float v) { return v * fast_sigmoid(v); });
    case Unary::Sigmoid: return map_in_place(pool, x, n, [](float v) { return fast_sigmoid(v); });
    case Unary::Tanh: return map_in_place(pool, x, n, [](float v) { return std::tanh(v); });
  }
}

void gated(const float* a, const float* gate, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * fast_sigmoid(gate[i]);
}

void add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void softmax(float* row, int64_t visible) {
  if (visible <= 0) return;
  const float top = max_of(row, visible);
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= visible; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += (row[i + j] = fast_exp(row[i + j] - top));
  }
  float total = 0.0f;
  for (; i < visible; ++i) total += (row[i] = fast_exp(row[i] - top));
  for (float lane : acc) total += lane;
  const float inv = 1.0f / total;
  for (i = 0; i < visible; ++i) row[i] *= inv;
}

void float_to_f16(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) {
    const __m256i half = _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), half);
  }
#endif
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

namespace {

// Keys as attention_blas reads them: each head's keys in rows (as the values: KvLayout), or in columns, key j's
// values down column j of a d x `ld` matrix `head_stride` after the previous head's (a key cache, widened).
struct BlasKeys {
  const float* data;
  int64_t head_stride, ld;
  bool in_columns;
};

// Many queries (a long forced prefix): BLAS, a head and a block of queries per task.
void attention_blas(ThreadPool& pool, const AttentionShape& shape, const float* q, int64_t ldq, const BlasKeys& k,
                    const float* v, const KvLayout& layout, float* out, int64_t ldo, float* weights) {
  const int64_t blocks = (shape.queries + kAttentionQueryBlock - 1) / kAttentionQueryBlock;
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  const int d = shape.head_dim;
  const int keys = static_cast<int>(shape.keys);
  const int ld = static_cast<int>(layout.row_stride);
  pool.parallel_for(shape.heads * blocks, [&](int64_t task, int) {
    const int64_t head = task / blocks;
    const int64_t first = (task % blocks) * kAttentionQueryBlock;
    const int64_t rows = std::min(kAttentionQueryBlock, shape.queries - first);
    float* scores = scratch_floats(kScoresSlot, rows * shape.keys);
    sgemm(false, !k.in_columns, static_cast<int>(rows), keys, d, scale, q + first * ldq + head * d,
          static_cast<int>(ldq), k.data + head * k.head_stride, static_cast<int>(k.ld), 0.0f, scores, keys);
    for (int64_t i = 0; i < rows; ++i) {
      float* row = scores + i * shape.keys;
      const int64_t visible = visible_keys(shape, first + i);
      softmax(row, visible);
      std::fill(row + visible, row + shape.keys, 0.0f);
    }
    sgemm(false, false, static_cast<int>(rows), d, keys, 1.0f, scores, keys, v + layout.head(0, head), ld, 0.0f,
          out + first * ldo + head * d, static_cast<int>(ldo));
    if (weights != nullptr) {
      std::memcpy(weights + (head * shape.queries + first) * shape.keys, scores,
                  static_cast<std::size_t>(rows * shape.keys) * sizeof(float));
    }
  });
}

}  // namespace

void to_value_cache(const float* x, int64_t rows, int64_t cols, int heads, uint16_t* cache) {
  if (heads <= 0 || cols % heads != 0) throw std::invalid_argument("attention cache: the width is not whole heads");
  const int64_t d = cols / heads;
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t j = 0; j < rows; ++j) float_to_f16(x + j * cols + h * d, cache + (h * rows + j) * d, d);
  }
}

int64_t key_cache_rows(int64_t rows) { return (rows + kKeyCacheBlock - 1) / kKeyCacheBlock * kKeyCacheBlock; }

void to_key_cache(const float* x, int64_t rows, int64_t cols, int heads, uint16_t* cache) {
  if (heads <= 0 || cols % heads != 0) throw std::invalid_argument("attention cache: the width is not whole heads");
  const int64_t d = cols / heads, held = key_cache_rows(rows);
  std::vector<uint16_t> block(static_cast<std::size_t>(kKeyCacheBlock * d));  // a block's keys, row by row
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t from = 0; from < held; from += kKeyCacheBlock) {
      std::fill(block.begin(), block.end(), uint16_t{0});
      for (int64_t j = from; j < std::min(rows, from + kKeyCacheBlock); ++j) {
        float_to_f16(x + j * cols + h * d, block.data() + (j - from) * d, d);
      }
      uint16_t* to = cache + h * held * d + from * d;
      for (int64_t c = 0; c < d; ++c) {
        for (int64_t j = 0; j < kKeyCacheBlock; ++j) to[c * kKeyCacheBlock + j] = block[j * d + c];
      }
    }
  }
}

void attention(ThreadPool& pool, const AttentionShape& shape, const float* q, int64_t ldq, const uint16_t* k,
               const uint16_t* v, int64_t cache_rows, float* out, int64_t ldo, float* weights) {
  if (shape.queries <= 0 || shape.keys <= 0) return;
  check_attention_shape(shape);
  if (shape.keys > cache_rows) throw std::invalid_argument("attention over more keys than the cache holds");
  const KvLayout layout = KvLayout::heads(cache_rows, shape.head_dim);
  if (shape.queries <= kDirectMaxRows) {
    const AttentionOperands<uint16_t> operands{q, k, v, out};
    attention_direct(pool, shape, &operands, 1, ldq, layout, ldo, weights);
    return;
  }
  // Many queries are rare: BLAS runs them on fp32 copies, each head's keys in columns (a block's columns side by
  // side: the cache's blocks, widened in place).
  const int64_t d = shape.head_dim, n = cache_rows * shape.heads * d, key_rows = key_cache_rows(cache_rows);
  std::vector<float> wide_k(static_cast<std::size_t>(key_rows * shape.heads * d)), wide_v(static_cast<std::size_t>(n));
  for (int64_t h = 0; h < shape.heads; ++h) {
    for (int64_t from = 0; from < key_rows; from += kKeyCacheBlock) {
      for (int64_t c = 0; c < d; ++c) {
        f16_to_float(reinterpret_cast<const uint8_t*>(k + (h * key_rows + from) * d + c * kKeyCacheBlock),
                     wide_k.data() + (h * d + c) * key_rows + from, kKeyCacheBlock);
      }
    }
  }
  f16_to_float(reinterpret_cast<const uint8_t*>(v), wide_v.data(), n);
  const BlasKeys keys{wide_k.data(), d * key_rows, key_rows, true};
  attention_blas(pool, shape, q, ldq, keys, wide_v.data(), layout, out, ldo, weights);
}

void attention(ThreadPool& pool, const AttentionShape& shape, const float* q, int64_t ldq, const float* k,
               const float* v, int64_t ldkv, float* out, int64_t ldo, float* weights) {
  if (shape.queries <= 0 || shape.keys <= 0) return;
  check_attention_shape(shape);
  const KvLayout layout = KvLayout::rows(ldkv, shape.head_dim);
  if (shape.queries <= kDirectMaxRows) {
    const AttentionOperands<float> operands{q, k, v, out};
    attention_direct(pool, shape, &operands, 1, ldq, layout, ldo, weights);
    return;
  }
  attention_blas(pool, shape, q, ldq, BlasKeys{k, layout.head_stride, layout.row_stride, false}, v, layout, out, ldo,
                 weights);
}

void attention_batch(ThreadPool& pool, const AttentionShape& shape, int64_t count, const float* q, int64_t ldq,
                     const float* const* k, const float* const* v, int64_t ldkv, float* out, int64_t ldo) {
  if (count <= 0 || shape.queries <= 0 || shape.keys <= 0) return;
  check_attention_shape(shape);
  if (shape.queries > kDirectMaxRows) {
    for (int64_t n = 0; n < count; ++n) {
      attention(pool, shape, q + n * shape.queries * ldq, ldq, k[n], v[n], ldkv, out + n * shape.queries * ldo, ldo,
                nullptr);
    }
    return;
  }
  std::vector<AttentionOperands<float>> batch;
  batch.reserve(static_cast<std::size_t>(count));
  for (int64_t n = 0; n < count; ++n) {
    batch.push_back({q + n * shape.queries * ldq, k[n], v[n], out + n * shape.queries * ldo});
  }
  attention_direct(pool, shape, batch.data(), count, ldq, KvLayout::rows(ldkv, shape.head_dim), ldo, nullptr);
}

}  // namespace cpu
}  // namespace verbatim
