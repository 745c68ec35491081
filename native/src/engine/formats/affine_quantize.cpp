#include "formats/affine_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "formats/finite_values.h"
#include "formats/half.h"

#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>
#define VERBATIM_PACK_VECTORS 1  // eight values at a time
#endif

namespace verbatim {
namespace {

float load_element(const uint8_t* p, WeightMatrix::Format format) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return format == WeightMatrix::Format::F16 ? half_to_float(bits) : bf16_to_float(bits);
}

uint16_t store_element(float f, WeightMatrix::Format format) {
  return format == WeightMatrix::Format::F16 ? float_to_half(f) : float_to_bf16(f);
}

// Eight values at a time where the build has AVX2 and F16C (group sizes are multiples of 32); each step gives what
// the scalar one gives, element by element. (A 0.6b Parakeet packed to 8 bits at load: 2.8-3.9 s -> 0.8 s on two
// cores, test/bench/parakeet-memory.mjs.)
#if defined(VERBATIM_PACK_VECTORS)
constexpr int kVector = 8;

__m256 load_vector(const uint8_t* p, WeightMatrix::Format format) {
  const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if (format == WeightMatrix::Format::F16) return _mm256_cvtph_ps(bits);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}

// The lanes of v folded with std::min or std::max, lane 0 first.
template <class Fold>
float fold_lanes(__m256 v, Fold fold) {
  alignas(32) float lanes[kVector];
  _mm256_store_ps(lanes, v);
  float folded = lanes[0];
  for (int k = 1; k < kVector; ++k) folded = fold(folded, lanes[k]);
  return folded;
}
#endif

// A group's values as fp32, and their least (from +inf) and greatest (from 0, as MLX's Metal kernel starts it).
// NaN values are passed over. Returns whether every value is finite.
bool load_group(const uint8_t* in, int n, WeightMatrix::Format format, float* values, float& least, float& greatest) {
  least = INFINITY, greatest = 0;
  bool finite = true;
  int j = 0;
#if defined(VERBATIM_PACK_VECTORS)
  // min_ps and max_ps keep their second operand on a NaN or a tie, as std::min and std::max keep the first.
  __m256 low = _mm256_set1_ps(INFINITY), high = _mm256_setzero_ps();
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)), infinity = _mm256_set1_ps(INFINITY);
  __m256 not_finite = _mm256_setzero_ps();  // lanes where |v| >= inf or v is NaN (unordered)
  for (; j + kVector <= n; j += kVector) {
    const __m256 v = load_vector(in + 2 * j, format);
    _mm256_storeu_ps(values + j, v);
    low = _mm256_min_ps(v, low);
    high = _mm256_max_ps(v, high);
    not_finite = _mm256_or_ps(not_finite, _mm256_cmp_ps(_mm256_and_ps(v, magnitude), infinity, _CMP_NLT_UQ));
  }
  least = fold_lanes(low, [](float a, float b) { return std::min(a, b); });
  greatest = fold_lanes(high, [](float a, float b) { return std::max(a, b); });
  finite = _mm256_movemask_ps(not_finite) == 0;
#endif
  for (; j < n; ++j) {
    values[j] = load_element(in + 2 * j, format);
    least = std::min(least, values[j]);
    greatest = std::max(greatest, values[j]);
    finite = finite && std::isfinite(values[j]);
  }
  return finite;
}

// q = clamp(round((v - bias) / scale), 0, top), halves rounded away from zero as std::round does; 0 where that is
// NaN (a group holding an infinity or a NaN).
void quantize_values(const float* values, int n, float scale, float bias, float top, uint8_t* q) {
  int j = 0;
#if defined(VERBATIM_PACK_VECTORS)
  const __m256 scales = _mm256_set1_ps(scale), biases = _mm256_set1_ps(bias), tops = _mm256_set1_ps(top);
  const __m256 half = _mm256_set1_ps(0.5f), sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  for (; j + kVector <= n; j += kVector) {
    const __m256 x = _mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(values + j), biases), scales);
    const __m256 whole = _mm256_round_ps(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 past_half = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(x, whole)), half, _CMP_GE_OQ);
    const __m256 away = _mm256_and_ps(past_half, _mm256_or_ps(one, _mm256_and_ps(sign, x)));
    const __m256 clamped = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(whole, away), _mm256_setzero_ps()), tops);
    const __m256i words = _mm256_packus_epi32(_mm256_cvttps_epi32(clamped), _mm256_setzero_si256());
    const __m256i bytes = _mm256_packus_epi16(words, _mm256_setzero_si256());  // 4 per 128-bit half
    const __m256i together = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + j), _mm256_castsi256_si128(together));
  }
#endif
  for (; j < n; ++j) {
    const float rounded = std::round((values[j] - bias) / scale);
    q[j] = static_cast<uint8_t>(rounded > 0.0f ? std::min(rounded, top) : 0.0f);  // NaN: 0, as max_ps gives
  }
}

// Eight values below 2^bits, one per byte of `bytes` (first in the lowest), as the `bits` bytes that hold them in
// the packed words, value k in bits [k * bits, (k + 1) * bits): stored from the lowest byte on a little-endian
// machine (every target), the words' order.
uint64_t pack_eight(uint64_t bytes, int bits) {
  if (bits == 4) {
    bytes = (bytes | bytes >> 4) & 0x00ff00ff00ff00ffULL;
    bytes = (bytes | bytes >> 8) & 0x0000ffff0000ffffULL;
    return (bytes | bytes >> 16) & 0xffffffffULL;
  }
  if (bits == 2) {
    bytes = (bytes | bytes >> 6) & 0x00ff00ff00ff00ffULL;
    bytes = (bytes | bytes >> 12) & 0x000000ff000000ffULL;
    return (bytes | bytes >> 24) & 0xffffULL;
  }
  return bytes;
}

}  // namespace

bool packable_bits(int bits) { return bits == 2 || bits == 4 || bits == 8; }

PackedMatrix affine_quantize(const WeightMatrix& w, int bits, int group_size) {
  if (w.format != WeightMatrix::Format::F16 && w.format != WeightMatrix::Format::BF16) {
    throw std::invalid_argument("affine_quantize takes fp16 or bf16 matrices");
  }
  if (!packable_bits(bits)) {
    throw std::invalid_argument("affine_quantize packs 2, 4 or 8 bits, not " + std::to_string(bits));
  }
  if (group_size <= 0 || group_size % 32 != 0 || w.cols % group_size != 0) {
    throw std::invalid_argument("affine_quantize: " + std::to_string(w.cols) + " columns are not groups of " +
                                std::to_string(group_size));
  }
  const int64_t groups = w.cols / group_size, per_word = 32 / bits;
  const float n_bins = static_cast<float>((1 << bits) - 1);
  PackedMatrix out;
  out.words.resize(static_cast<std::size_t>(w.rows * w.cols / per_word) * 4);
  out.scales.resize(static_cast<std::size_t>(w.rows * groups) * 2);
  out.biases.resize(out.scales.size());
  const auto* source = static_cast<const uint8_t*>(w.data);
  const int64_t total = w.rows * groups;
  // Groups [first, last): each is independent, so large matrices are packed on every hardware thread. Each range
  // notes the first of its groups that holds a value that is not finite (`total`: none).
  const auto pack_groups = [&](int64_t first, int64_t last, int64_t* first_non_finite_group) {
    std::vector<float> values(static_cast<std::size_t>(group_size));
    std::vector<uint8_t> q(static_cast<std::size_t>(group_size));
    *first_non_finite_group = total;
    for (int64_t g = first; g < last; ++g) {  // row r's groups are r * groups ... r * groups + groups - 1
      float w_min, w_max;
      if (!load_group(source + g * group_size * 2, group_size, w.format, values.data(), w_min, w_max)) {
        *first_non_finite_group = std::min(*first_non_finite_group, g);
      }
      float scale = std::max((w_max - w_min) / n_bins, 1e-7f);
      const bool min_side = std::abs(w_min) > std::abs(w_max);
      if (!min_side) scale = -scale;
      const float edge = min_side ? w_min : w_max;
      const float q0 = std::round(edge / scale);
      float bias = 0;
      if (q0 != 0) scale = edge / q0, bias = edge;
      const uint16_t stored_scale = store_element(scale, w.format), stored_bias = store_element(bias, w.format);
      std::memcpy(out.scales.data() + g * 2, &stored_scale, 2);
      std::memcpy(out.biases.data() + g * 2, &stored_bias, 2);
      quantize_values(values.data(), group_size, scale, bias, n_bins, q.data());
      uint8_t* words = out.words.data() + g * group_size / per_word * 4;
      for (int j = 0; j < group_size; j += 8) {
        uint64_t eight;
        std::memcpy(&eight, q.data() + j, 8);
        const uint64_t packed = pack_eight(eight, bits);
        std::memcpy(words + j * bits / 8, &packed, static_cast<std::size_t>(bits));
      }
    }
  };
  constexpr int64_t kGroupsPerThread = 1 << 12;  // a few hundred microseconds of work, far more than starting a thread
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t threads = std::clamp<int64_t>(total / kGroupsPerThread, 1, cores);
  std::vector<int64_t> non_finite_groups(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < threads; ++t) {
    workers.emplace_back(pack_groups, total * t / threads, total * (t + 1) / threads, &non_finite_groups[t]);
  }
  pack_groups(0, total / threads, &non_finite_groups[0]);
  for (std::thread& worker : workers) worker.join();
  const int64_t bad_group = *std::min_element(non_finite_groups.begin(), non_finite_groups.end());
  if (bad_group < total) {
    const uint8_t* group = source + bad_group * group_size * 2;
    out.first_non_finite = bad_group * group_size + first_non_finite(group, dense_dtype(w.format), group_size);
  }
  return out;
}

WeightMatrix packed_matrix(const PackedMatrix& packed, int64_t rows, int64_t cols, int bits, int group_size,
                           DType scale_dtype) {
  WeightMatrix m;
  m.format = WeightMatrix::Format::Quantized;
  m.rows = rows;
  m.cols = cols;
  m.data = packed.words.data();
  m.bits = bits;
  m.group_size = group_size;
  m.scale_dtype = scale_dtype;
  m.scales = packed.scales.data();
  m.biases = packed.biases.data();
  return m;
}

}  // namespace verbatim
