// The portable CPU backend's kernels: fp32 activations against weights in their stored format (fp32, fp16,
// bf16 or MLX affine-quantized), read directly and never expanded whole. Matrices are row-major; `ld*` are
// row strides in elements.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/tensor_ops.h"
#include "formats/tensor_file.h"
#include "backends/cpu/thread_pool.h"
#include "tensors/weight_matrix.h"

namespace verbatim {
namespace cpu {

// Converts n elements stored as F32, F16 or BF16 to fp32. Throws std::invalid_argument for other dtypes.
void to_float(DType dtype, const void* src, float* dst, int64_t n);
std::vector<float> to_float(const Vector& v);

// Writes rows [row, row + count) of w, dequantised or converted to fp32, to dst (count x w.cols).
// Quantized weights are dequantised as MLX does: w = scale * q + bias in fp32.
void decode_rows(const WeightMatrix& w, int64_t row, int64_t count, float* dst);

// y = x · wᵀ (+ bias): x is m x w.cols, y is m x w.rows; bias (w.rows floats) may be null.
// Few rows of x are multiplied straight from the stored format; many rows go through BLAS a tile of w at a time.
void matmul(ThreadPool& pool, const float* x, int64_t m, int64_t ldx, const WeightMatrix& w, const float* bias,
            float* y, int64_t ldy);

// Rows of `cols` floats (contiguous): y = (x - mean) / sqrt(var + 1e-5) * gamma + beta. y may alias x.
void layer_norm(ThreadPool& pool, const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta,
                float* y);

// In place: x * (1 + erf(x / sqrt(2))) / 2, with erf accurate to about 2e-7.
void gelu(ThreadPool& pool, float* x, int64_t n);

// f(x) in place over n floats; SiLU (x * sigmoid(x)) and the sigmoid (1 / (1 + e^-x)) with exp accurate to a few ulp.
void unary(ThreadPool& pool, Unary f, float* x, int64_t n);

// y = a * sigmoid(gate) (a GLU's halves), as unary() computes the sigmoid.
void gated(const float* a, const float* gate, float* y, int64_t n);

// y = a + b (y may alias a or b).
void add(const float* a, const float* b, float* y, int64_t n);

// The row's `visible` floats become their softmax, in fp32, with exp accurate to a few ulp (results below about
// 1e-38 become 0).
void softmax(float* row, int64_t visible);

struct AttentionShape {
  int64_t queries = 0;  // T rows of q
  int64_t keys = 0;     // kv_len rows of k and v
  int heads = 0;
  int head_dim = 0;
  bool causal = false;  // query i sees keys [0, keys - queries + i]: the mask is bottom-right aligned
};

// Multi-head scaled dot-product attention: out[i, h] = softmax(q_h[i] · k_hᵀ / sqrt(head_dim)) · v_h, where head h
// is columns [h*head_dim, (h+1)*head_dim) of q, k, v and out. When `weights` is not null it receives the
// softmaxed scores, laid out [head][query][key].
void attention(ThreadPool& pool, const AttentionShape& shape, const float* q, int64_t ldq, const float* k,
               const float* v, int64_t ldkv, float* out, int64_t ldo, float* weights);
// The same over keys and values held as attention caches (read at every decoding step): fp16 bits, half the bytes,
// the keys laid out by to_key_cache and the values by to_value_cache, both made of `cache_rows` rows (at least
// shape.keys).
void attention(ThreadPool& pool, const AttentionShape& shape, const float* q, int64_t ldq, const uint16_t* k,
               const uint16_t* v, int64_t cache_rows, float* out, int64_t ldo, float* weights);

// `count` attentions of one shape at once, sharing the pool's calls (beam search's self-attentions: each beam's query
// over its own cache): attention n takes its queries from q + n * shape.queries * ldq, its keys and values from k[n]
// and v[n] (fp32, rows ldkv apart), and writes out + n * shape.queries * ldo, each as attention() would.
void attention_batch(ThreadPool& pool, const AttentionShape& shape, int64_t count, const float* q, int64_t ldq,
                     const float* const* k, const float* const* v, int64_t ldkv, float* out, int64_t ldo);

// The rows x cols matrix x as an attention cache of values for `heads` heads: fp16 bits, each head's rows together
// (rows x cols / heads), so that attending one head reads its values from memory in order.
void to_value_cache(const float* x, int64_t rows, int64_t cols, int heads, uint16_t* cache);

// Keys are cached as values are, each head's rows together, but in blocks of kKeyCacheBlock keys held column by
// column (a block's keys side by side for each of the head's columns), the last block filled out with zeros: one
// vector holds a column of 16 keys, so a query scores them with one multiply-add per column and no sums across a
// vector's lanes. key_cache_rows(rows) rows are held.
constexpr int64_t kKeyCacheBlock = 16;
int64_t key_cache_rows(int64_t rows);
void to_key_cache(const float* x, int64_t rows, int64_t cols, int heads, uint16_t* cache);

// fp32 to fp16 bits, rounding to nearest even.
void float_to_f16(const float* src, uint16_t* dst, int64_t n);

}  // namespace cpu
}  // namespace verbatim
