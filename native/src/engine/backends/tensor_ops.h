// The tensor operations every backend provides (CpuOps in backends/cpu/, MlxOps in backends/mlx/): the one interface
// each family's network is written against once, as a template over `Ops` (whisper/whisper_model.h,
// conformer/conformer_encoder.h, transducer/transducer_decoder.h). It names no family.
//
// A backend is a class `Ops` with:
//   using Tensor = ...;           a 2-D float matrix (rows x cols), copyable and movable; it may be lazy
//   using LinearParams, NormParams, ConvParams, EmbeddingParams, Conv2dParams, DepthwiseParams;
//                                 weights prepared for this backend
//   LinearParams linear_params(const Linear&, MatrixUse);   the use (tensors/weight_matrix.h) may choose a layout
//   NormParams norm_params(const LayerNormWeights&);     ConvParams conv_params(const Conv1dWeights&);
//   EmbeddingParams embedding_params(const WeightMatrix&);   a token embedding, read by decoding steps
//   Conv2dParams conv2d_params(const Conv2dWeights&);
//   DepthwiseParams depthwise_params(const std::vector<float>& weight, const std::vector<float>& bias, int kernel);
//   std::string name() const;                            e.g. "cpu"
//   Tensor from_host(DType, const void* data, int64_t rows, int64_t cols);   data is F32, F16 or BF16
//   void to_host(const Tensor&, float* out);             rows*cols floats, row-major
//   void evaluate(const std::vector<const Tensor*>&);    compute these now: a lazy backend otherwise computes
//                                                        only when data goes to the host; an eager one does nothing
//   int64_t rows(const Tensor&);
//   Tensor zeros(int64_t rows, int64_t cols);
//   Tensor transpose(const Tensor&);
//   Tensor slice_rows(const Tensor&, int64_t first, int64_t count);
//   void write_rows(Tensor& dst, int64_t first, const Tensor& src);   dst[first, first + rows(src)) = src
//   Tensor append_rows(Tensor history, int64_t keep, const Tensor& rows);
//       [the last `keep` rows of history (all of it when it has fewer); rows]: a stream's window of earlier rows
//       moved on by a chunk's (a backend may reuse history's memory)
//   void copy_rows(Tensor& dst, const Tensor& src, int64_t count);    dst[0, count) = src[0, count)
//   Tensor linear(const Tensor& x, const LinearParams&);               x · Wᵀ + b
//   Tensor layer_norm(const Tensor& x, const NormParams&);             eps 1e-5
//   Tensor gelu(Tensor x);                                             exact erf form
//   Tensor add(Tensor a, const Tensor& b);
//   Tensor conv1d(const Tensor& x, const ConvParams&, int stride);    x is time x channels, padding kernel/2
//   Tensor embed(const EmbeddingParams&, const int32_t* tokens, int count);   rows of the embedding
//   Tensor project_to_vocab(const EmbeddingParams&, const Tensor& x);        x · embeddingᵀ
//   Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t keys, bool causal,
//                    std::optional<Tensor>* weights);
//       multi-head softmax(q kᵀ / sqrt(head_dim)) v over the first `keys` rows of k and v; causal masks are
//       bottom-right aligned (query i sees keys [0, keys - rows(q) + i]). When `weights` is not null it receives
//       the softmaxed scores, (heads * rows(q)) x keys laid out [head][query][key]; backends with a fused
//       attention that returns no weights compute the scores explicitly only then.
//   Tensor attention_per_row(const Tensor& q, const std::vector<const Tensor*>& keys,
//                            const std::vector<const Tensor*>& values, int heads, int64_t count);
//       row r of q attends over the first `count` rows of *keys[r] and *values[r] (beam search: each beam's query
//       over its own cache), as attention() of that row alone would.
//   Tensor key_cache(Tensor k, int heads);  Tensor value_cache(Tensor v, int heads);
//       keys and values as this backend holds them for attention() at every decoding step (the cross-attention's)
//   Tensor unary(Tensor x, Unary f);                   elementwise relu, silu, sigmoid or tanh
//   Tensor scale(Tensor x, float s);                   x * s
//   Tensor glu(const Tensor& x);                       first half of the columns times sigmoid(second half)
//   Tensor depthwise_conv1d(const Tensor& x, const DepthwiseParams&);   x is time x channels, padding kernel/2
//   Tensor conv2d(const Tensor& x, int64_t height, int64_t width, const Conv2dParams&, int stride, int padding);
//       x holds planes: channel rows of height*width values (row-major planes); groups = in channels / the
//       weights' in_per_group. Returns out-channel rows of height'*width' with L' = (L + 2p - k) / stride + 1.
//   Tensor planes_to_frames(const Tensor& x, int64_t height, int64_t width);
//       (C, height*width) planes to height rows of C*width values (channel-major within a row)
//   Tensor relative_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& pos,
//                             const Tensor& bias_u, const Tensor& bias_v, int heads);
//       Transformer-XL attention: pos holds 2T-1 rows for relative positions T-1 down to -(T-1); scores
//       ((q+u)·k_j + (q+v)·pos[T-1-i+j]) / sqrt(head_dim), softmax over keys, times v; bias_u/v are heads x head_dim.
//       Also L > T keys (a cache of L - T earlier frames before the T queries' own), with 2L-1 position rows
//       (L-1 down to -(L-1)): the same formula, query i being key L - T + i.
//   std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c);   gates i, f, g, o -> (h', c')
#pragma once

namespace verbatim {

// The elementwise functions of Ops::unary.
enum class Unary { Relu, Silu, Sigmoid, Tanh };

}  // namespace verbatim
