#include "backends/cpu/q4_row_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/x86_simd.h"
#include "formats/mapped_file.h"
#include "formats/tensor_file.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define VERBATIM_ROW_BLOCKS 1
#endif

namespace verbatim {
namespace cpu {
namespace {

constexpr int64_t kOctetBytes = 64;     // one octet of columns of a block's 16 rows
constexpr int64_t kOctetsPerPass = 16;  // a row's 64 bytes, one vector: the copy transposes 16 rows x 16 octets

struct RowBlocksShape {
  int64_t blocks, octets, groups;
  std::size_t param_size, nibble_bytes, param_bytes;

  explicit RowBlocksShape(const WeightMatrix& w)
      : blocks((w.rows + kRowBlock - 1) / kRowBlock),
        octets(w.cols / 8),
        groups(w.cols / w.group_size),
        param_size(dtype_size(w.scale_dtype)),
        nibble_bytes(static_cast<std::size_t>(blocks * octets * kOctetBytes)),
        param_bytes(static_cast<std::size_t>(blocks * groups * kRowBlock) * param_size) {}
};

#if defined(VERBATIM_ROW_BLOCKS)

// Memory for the copy, 64-byte aligned. (Asked for in 2 MB pages, MADV_HUGEPAGE, a turbo model's first touch of
// 460 MB took 0.7-1.0 s here against 0.24 s in 4 KB pages: the system compacts memory to find them.)
std::shared_ptr<void> allocate(std::size_t bytes) {
  constexpr std::size_t kLine = 64;
  void* memory = std::aligned_alloc(kLine, (bytes + kLine - 1) / kLine * kLine);
  if (memory == nullptr) throw std::bad_alloc();
  return std::shared_ptr<void>(memory, std::free);
}

// Each 32-bit lane's packed octet (byte j: column 2j low, 2j + 1 high) rearranged so that byte k holds column k
// low and column k + 4 high.
inline __m512i to_block_order(__m512i stored) {
  // Per lane, bytes 0 0 1 1 and 2 2 3 3 of the stored octet.
  const __m512i first_half =
      _mm512_broadcast_i32x4(_mm_setr_epi8(0, 0, 1, 1, 4, 4, 5, 5, 8, 8, 9, 9, 12, 12, 13, 13));
  const __m512i second_half = _mm512_add_epi8(first_half, _mm512_set1_epi8(2));
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  const __mmask64 odd_bytes = 0xaaaaaaaaaaaaaaaaULL;
  const auto spread = [&](__m512i pairs) {  // bytes b b c c -> b&15, b>>4, c&15, c>>4
    return _mm512_and_si512(_mm512_mask_blend_epi8(odd_bytes, pairs, _mm512_srli_epi16(pairs, 4)), nibble);
  };
  const __m512i low = spread(_mm512_shuffle_epi8(stored, first_half));
  const __m512i high = spread(_mm512_shuffle_epi8(stored, second_half));
  return _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
}

// Sixteen vectors of 16 32-bit lanes transposed: lane l of vector j is lane j of vector l before. (Sixteen rows'
// octets gathered one octet at a time spent most of the copy's own time in the gathers.)
inline void transpose_lanes(__m512i v[16]) {
  static_assert(kRowBlock == 16 && kOctetsPerPass == 16, "a pass of the copy is one 16 x 16 transpose");
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    v[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    v[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    v[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    v[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_i32x4(v[i], v[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_i32x4(v[i], v[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_i32x4(v[i + 8], v[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_i32x4(v[i + 8], v[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    v[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    v[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
  }
}

// A row block's group parameters, stored row by row, rearranged group by group (kSize bytes each, a constant so
// that each copy is one move rather than a call to memcpy).
template <std::size_t kSize>
void transpose_params(const uint8_t* params, int64_t first, int64_t rows, int64_t groups, uint8_t* block) {
  const uint8_t* row = params + static_cast<std::size_t>(first * groups) * kSize;
  for (int64_t l = 0; l < rows; ++l, row += groups * kSize) {
    for (int64_t g = 0; g < groups; ++g) std::memcpy(block + (g * kRowBlock + l) * kSize, row + g * kSize, kSize);
  }
}

void pack_block(const WeightMatrix& w, const RowBlocksShape& shape, int64_t block, uint8_t* nibbles,
                uint8_t* scales, uint8_t* biases) {
  const int64_t first = block * kRowBlock, rows = std::min(kRowBlock, w.rows - first), row_bytes = w.cols / 2;
  const auto* source = static_cast<const uint8_t*>(w.data) + first * row_bytes;
  uint8_t* to = nibbles + block * shape.octets * kOctetBytes;
  for (int64_t o = 0; o < shape.octets; o += kOctetsPerPass) {
    const int64_t count = std::min(kOctetsPerPass, shape.octets - o);
    const auto held = static_cast<__mmask16>(count >= kOctetsPerPass ? 0xffff : (1u << count) - 1);
    __m512i lanes[kRowBlock];
    for (int64_t l = 0; l < kRowBlock; ++l) {
      lanes[l] = l < rows ? _mm512_maskz_loadu_epi32(held, source + l * row_bytes + 4 * o) : _mm512_setzero_si512();
    }
    transpose_lanes(lanes);
    for (int64_t j = 0; j < count; ++j) _mm512_store_si512(to + (o + j) * kOctetBytes, to_block_order(lanes[j]));
  }
  const std::size_t block_params = static_cast<std::size_t>(shape.groups * kRowBlock) * shape.param_size;
  const std::size_t offset = static_cast<std::size_t>(block) * block_params;
  if (rows < kRowBlock) {
    std::memset(scales + offset, 0, block_params);
    std::memset(biases + offset, 0, block_params);
  }
  const auto* const source_scales = static_cast<const uint8_t*>(w.scales);
  const auto* const source_biases = static_cast<const uint8_t*>(w.biases);
  if (shape.param_size == 2) {
    transpose_params<2>(source_scales, first, rows, shape.groups, scales + offset);
    transpose_params<2>(source_biases, first, rows, shape.groups, biases + offset);
  } else {
    transpose_params<4>(source_scales, first, rows, shape.groups, scales + offset);
    transpose_params<4>(source_biases, first, rows, shape.groups, biases + offset);
  }
}

#endif  // VERBATIM_ROW_BLOCKS

}  // namespace

bool packs_row_blocks(const WeightMatrix& w) {
#if defined(VERBATIM_ROW_BLOCKS)
  return w.format == WeightMatrix::Format::Quantized && w.layout == WeightMatrix::Layout::Rows && w.bits == 4 &&
         (w.group_size == 32 || w.group_size == 64 || w.group_size == 128) && w.cols % w.group_size == 0 &&
         w.rows > 0 && w.data != nullptr && w.scales != nullptr && w.biases != nullptr;
#else
  (void)w;
  return false;
#endif
}

KernelWeights kernel_weights(ThreadPool& pool, const WeightMatrix& w) {
#if defined(VERBATIM_ROW_BLOCKS)
  if (!packs_row_blocks(w)) return {w, nullptr};
  const RowBlocksShape shape(w);
  std::shared_ptr<void> storage = allocate(shape.nibble_bytes + 2 * shape.param_bytes);
  auto* nibbles = static_cast<uint8_t*>(storage.get());
  uint8_t* scales = nibbles + shape.nibble_bytes;
  uint8_t* biases = scales + shape.param_bytes;
  pool.parallel_for(shape.blocks, [&](int64_t block, int) { pack_block(w, shape, block, nibbles, scales, biases); });

  const std::size_t original_params = static_cast<std::size_t>(w.rows * shape.groups) * shape.param_size;
  release_mapped_pages(w.data, static_cast<std::size_t>(w.rows * w.cols / 2));
  release_mapped_pages(w.scales, original_params);
  release_mapped_pages(w.biases, original_params);

  KernelWeights packed{w, std::move(storage)};
  packed.matrix.layout = WeightMatrix::Layout::RowBlocks;
  packed.matrix.data = nibbles;
  packed.matrix.scales = scales;
  packed.matrix.biases = biases;
  return packed;
#else
  (void)pool;
  return {w, nullptr};
#endif
}

void decode_row_blocks_row(const WeightMatrix& w, int64_t row, float* dst) {
  if (w.layout != WeightMatrix::Layout::RowBlocks || row < 0 || row >= w.rows) {
    throw std::invalid_argument("decode_row_blocks_row: not a row of a row-blocks matrix");
  }
  const RowBlocksShape shape(w);
  const int64_t block = row / kRowBlock, lane = row % kRowBlock;
  const auto* lanes = static_cast<const uint8_t*>(w.data) + block * shape.octets * kOctetBytes + lane * 4;
  const auto* scales = static_cast<const uint8_t*>(w.scales);
  const auto* biases = static_cast<const uint8_t*>(w.biases);
  for (int64_t g = 0; g < shape.groups; ++g) {
    const std::size_t at = static_cast<std::size_t>((block * shape.groups + g) * kRowBlock + lane) * shape.param_size;
    float scale, bias;
    to_float(w.scale_dtype, scales + at, &scale, 1);
    to_float(w.scale_dtype, biases + at, &bias, 1);
    for (int64_t c = g * w.group_size; c < (g + 1) * w.group_size; c += 8) {
      const uint8_t* octet = lanes + (c / 8) * kOctetBytes;
      for (int k = 0; k < 4; ++k) {
        dst[c + k] = std::fma(scale, static_cast<float>(octet[k] & 0x0f), bias);
        dst[c + k + 4] = std::fma(scale, static_cast<float>(octet[k] >> 4), bias);
      }
    }
  }
}

void group_params_by_row(const WeightMatrix& w, const void* params, float* dst) {
  const RowBlocksShape shape(w);
  if (w.layout != WeightMatrix::Layout::RowBlocks) {
    to_float(w.scale_dtype, params, dst, w.rows * shape.groups);
    return;
  }
  const auto* stored = static_cast<const uint8_t*>(params);
  for (int64_t block = 0; block < shape.blocks; ++block) {
    const int64_t first = block * kRowBlock, rows = std::min(kRowBlock, w.rows - first);
    for (int64_t g = 0; g < shape.groups; ++g) {
      const std::size_t at = static_cast<std::size_t>((block * shape.groups + g) * kRowBlock) * shape.param_size;
      float lanes[kRowBlock];  // the block's 16 rows' values for group g, side by side
      to_float(w.scale_dtype, stored + at, lanes, kRowBlock);
      for (int64_t l = 0; l < rows; ++l) dst[(first + l) * shape.groups + g] = lanes[l];
    }
  }
}

}  // namespace cpu
}  // namespace verbatim
