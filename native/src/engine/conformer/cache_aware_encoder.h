// The cache-aware FastConformer encoder (NeMo's streaming ConformerEncoder with causal subsampling, causal depthwise
// convolutions and chunked limited-context attention; transformers' NemotronAsrStreamingEncoder), run a chunk at a
// time: each chunk's frames attend to themselves and to the last left-context frames of earlier chunks (whole
// attention chunks of lookahead + 1 frames), and every convolution reads the rows it needs of earlier chunks from
// the stream's state. So a stream costs the same per chunk however long it runs, and its rows equal those of the
// whole audio run at once under transformers' chunked_limited mask (native/NEMOTRON.md). Written once against the
// tensor operations each backend provides (backends/tensor_ops.h), over the same layer weights as ConformerEncoder.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/tensor_ops.h"
#include "conformer/conformer_encoder.h"
#include "conformer/conformer_weights.h"

namespace verbatim {

// Feature frames a chunk holds for `lookahead` (the right context R, in encoder frames): the first 1 + 8R, then
// 8(R + 1); each gives R + 1 encoder frames. Only a stream's last chunk may hold fewer.
inline int cache_aware_chunk_frames(bool first, int lookahead) {
  return first ? 1 + 8 * lookahead : 8 * (lookahead + 1);
}

template <class Ops>
class CacheAwareEncoder {
 public:
  using Tensor = typename Ops::Tensor;

  // One stream's caches: what each convolution and attention layer keeps of the chunks before.
  struct State {
    bool started = false;  // a first chunk was encoded (its causal padding differs)
    // Per stride-2 subsampling convolution: the last row of its input, channels x width (k - stride = 1 row).
    std::vector<std::vector<float>> subsampling_rows;
    // Per layer, the last chunk's keys and values with their left context (its last `keep` rows are the next
    // chunk's), and the depthwise convolution's last input (its last kernel - 1 rows are the next chunk's).
    std::vector<std::optional<Tensor>> keys, values, conv_inputs;
  };

  // `left_context`: frames of earlier chunks attention may reach (transformers' sliding_window - 1).
  CacheAwareEncoder(const ConformerConfig& config, const ConformerWeights& w, Ops& ops, int left_context)
      : config_(config), ops_(ops), left_context_(left_context) {
    if (!config.causal_subsampling) throw std::invalid_argument("the cache-aware encoder needs causal subsampling");
    if (left_context < 0) throw std::invalid_argument("the left context cannot be negative");
    convs_.push_back(ops_.conv2d_params(w.conv0));
    convs_.push_back(ops_.conv2d_params(w.depthwise1));
    convs_.push_back(ops_.conv2d_params(w.depthwise2));
    pointwise_.push_back(ops_.conv2d_params(w.pointwise1));
    pointwise_.push_back(ops_.conv2d_params(w.pointwise2));
    auto encoding = [&](const Linear& linear) { return ops_.linear_params(linear, MatrixUse::Encoding); };
    subsampling_out_.emplace(encoding(w.subsampling_out));
    const int head_dim = config.d_model / config.n_heads;
    for (const ConformerLayerWeights& l : w.layers) {
      if (!l.depthwise_norm) throw std::invalid_argument("the cache-aware encoder's layers need a depthwise norm");
      layers_.push_back(Layer{ops_.norm_params(l.norm_ff1), ops_.norm_params(l.norm_att), ops_.norm_params(l.norm_conv),
                              ops_.norm_params(l.norm_ff2), ops_.norm_params(l.norm_out),
                              ops_.norm_params(*l.depthwise_norm), encoding(l.ff1_in), encoding(l.ff1_out),
                              encoding(l.ff2_in), encoding(l.ff2_out), encoding(l.query), encoding(l.key),
                              encoding(l.value), encoding(l.out), encoding(l.pos),
                              ops_.from_host(DType::F32, l.pos_bias_u.data(), config.n_heads, head_dim),
                              ops_.from_host(DType::F32, l.pos_bias_v.data(), config.n_heads, head_dim),
                              encoding(l.pointwise1), encoding(l.pointwise2),
                              ops_.depthwise_params(l.depthwise_weight, l.depthwise_bias, config.conv_kernel)});
    }
  }

  State new_state() const {
    State s;
    s.keys.resize(layers_.size());
    s.values.resize(layers_.size());
    s.conv_inputs.resize(layers_.size());
    return s;
  }

  // Encodes one chunk of `frames` rows of n_mels features (time-major) with the stream's caches, and updates them.
  // `last`: the audio ends with this chunk, which may then be short; each subsampling convolution then reads one
  // zero row past its end, as the whole audio's causal padding does (transformers' offline pass). A padded final
  // chunk (transformers' streaming) is an ordinary full chunk. Returns (encoder frames) x d_model rows.
  // `between_layers`, when set, is called before each layer (it may throw to cancel).
  Tensor encode_chunk(State& state, const float* features, int frames, bool last, int lookahead,
                      const std::function<void()>& between_layers = nullptr) {
    const ConformerConfig& c = config_;
    if (lookahead < 0) throw std::invalid_argument("the right context cannot be negative");
    const int full = cache_aware_chunk_frames(!state.started, lookahead);
    if (frames < 1 || frames > full || (!last && frames != full)) {
      throw std::invalid_argument("a chunk for right context " + std::to_string(lookahead) + " holds " +
                                  std::to_string(full) + " feature frames (the last one 1 to " + std::to_string(full) +
                                  "), not " + std::to_string(frames));
    }
    Tensor x = subsample(state, features, frames, last);
    if (c.xscaling) x = ops_.scale(std::move(x), std::sqrt(static_cast<float>(c.d_model)));
    const int64_t T = ops_.rows(x);
    // Attention reaches whole chunks of lookahead + 1 frames, as many as fit the left context.
    const int64_t keep = static_cast<int64_t>(left_context_ / (lookahead + 1)) * (lookahead + 1);
    const int64_t cached = !state.keys.empty() && state.keys[0] ? std::min(ops_.rows(*state.keys[0]), keep) : 0;
    const int64_t L = cached + T;
    const int64_t most = keep + lookahead + 1;  // a full left context and a chunk
    const std::vector<Tensor>& projected = projected_positions(most);
    const int pad = c.conv_kernel / 2, history = c.conv_kernel - 1;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      if (between_layers) between_layers();
      x = ops_.add(std::move(x), ops_.scale(feed_forward(ops_.layer_norm(x, l.norm_ff1), l.ff1_in, l.ff1_out), 0.5f));
      {
        const Tensor n = ops_.layer_norm(x, l.norm_att);
        const Tensor q = ops_.linear(n, l.query);
        Tensor k = after(state.keys[i], keep, ops_.linear(n, l.key));
        Tensor v = after(state.values[i], keep, ops_.linear(n, l.value));
        std::optional<Tensor> fewer;  // the middle rows, for a chunk attending over fewer frames
        if (L < most) fewer = ops_.slice_rows(projected[i], most - L, 2 * L - 1);
        const Tensor attended =
            ops_.relative_attention(q, k, v, fewer ? *fewer : projected[i], l.bias_u, l.bias_v, c.n_heads);
        x = ops_.add(std::move(x), ops_.linear(attended, l.out));
        state.keys[i] = std::move(k);
        state.values[i] = std::move(v);
      }
      {
        Tensor g = ops_.glu(ops_.linear(ops_.layer_norm(x, l.norm_conv), l.pointwise1));
        if (!state.conv_inputs[i]) state.conv_inputs[i] = ops_.zeros(history, c.d_model);
        // The causal convolution of kernel k over [k - 1 cached rows; the chunk] is the centred one's rows
        // [k / 2, k / 2 + T) of that input.
        Tensor input = after(state.conv_inputs[i], history, std::move(g));
        Tensor n = ops_.slice_rows(ops_.depthwise_conv1d(input, l.depthwise), pad, T);
        state.conv_inputs[i] = std::move(input);
        n = ops_.unary(ops_.layer_norm(n, l.depthwise_norm), Unary::Silu);
        x = ops_.add(std::move(x), ops_.linear(n, l.pointwise2));
      }
      x = ops_.add(std::move(x), ops_.scale(feed_forward(ops_.layer_norm(x, l.norm_ff2), l.ff2_in, l.ff2_out), 0.5f));
      x = ops_.layer_norm(x, l.norm_out);
    }
    state.started = true;
    return x;
  }

 private:
  using LinearParams = typename Ops::LinearParams;
  using NormParams = typename Ops::NormParams;
  using Conv2dParams = typename Ops::Conv2dParams;

  struct Layer {
    NormParams norm_ff1, norm_att, norm_conv, norm_ff2, norm_out, depthwise_norm;
    LinearParams ff1_in, ff1_out, ff2_in, ff2_out;
    LinearParams query, key, value, out, pos;
    Tensor bias_u, bias_v;
    LinearParams pointwise1, pointwise2;
    typename Ops::DepthwiseParams depthwise;
  };

  // Per layer, the relative positions' projection for chunks attending over at most `frames` frames (positions
  // frames - 1 down to 1 - frames; a chunk attending over L takes the middle 2L - 1 rows). It depends on nothing
  // else, so it is made once per right context in use: (2L - 1) rows through a d_model x d_model product per layer,
  // at the 160 ms chunk three times the multiply-adds of the rest of a layer's products.
  const std::vector<Tensor>& projected_positions(int64_t frames) {
    auto found = projected_positions_.find(frames);
    if (found != projected_positions_.end()) return found->second;
    const std::vector<float> positions = relative_positions(static_cast<int>(frames), config_.d_model);
    const Tensor pos = ops_.from_host(DType::F32, positions.data(), 2 * frames - 1, config_.d_model);
    std::vector<Tensor> projected;
    for (const Layer& l : layers_) projected.push_back(ops_.linear(pos, l.pos));
    return projected_positions_.emplace(frames, std::move(projected)).first->second;
  }

  // [the last `keep` rows of the chunk before's window; rows], or rows alone on a first chunk. The window is taken:
  // the backend may reuse its memory.
  Tensor after(std::optional<Tensor>& window, int64_t keep, Tensor rows) {
    if (!window) return rows;
    Tensor out = ops_.append_rows(std::move(*window), keep, rows);
    window.reset();
    return out;
  }

  // The causal subsampling of one chunk: three 3x3 stride-2 convolutions (the first over the features as one
  // channel, the others depthwise, each followed by a pointwise one), each reading its input with 2 zero columns
  // before and 1 after on the mel axis and, on the time axis, the cached last row of its previous input (2 zero rows
  // on a first chunk) before and, on a last chunk, 1 zero row after. Output rows (the time axis) then flattened
  // channel-major and projected to d_model.
  Tensor subsample(State& state, const float* features, int frames, bool last) {
    const ConformerConfig& c = config_;
    if (state.subsampling_rows.empty()) state.subsampling_rows.resize(3);
    int64_t h = frames, w = c.features.n_mels;
    std::vector<float> planes(features, features + static_cast<std::size_t>(h * w));
    int64_t channels = 1;
    Tensor x = ops_.zeros(1, 1);
    for (int stage = 0; stage < 3; ++stage) {
      std::vector<float>& cached = state.subsampling_rows[static_cast<std::size_t>(stage)];
      if (cached.empty()) cached.assign(static_cast<std::size_t>(channels * w), 0.0f);
      const int64_t before = state.started ? 1 : 2, after = last ? 1 : 0;
      const int64_t ph = before + h + after, pw = w + 3;
      std::vector<float> padded(static_cast<std::size_t>(channels * ph * pw), 0.0f);
      for (int64_t ch = 0; ch < channels; ++ch) {
        float* plane = padded.data() + ch * ph * pw;
        const float* source = planes.data() + ch * h * w;
        std::copy(cached.begin() + ch * w, cached.begin() + (ch + 1) * w, plane + (before - 1) * pw + 2);
        for (int64_t t = 0; t < h; ++t) std::copy(source + t * w, source + (t + 1) * w, plane + (before + t) * pw + 2);
        std::copy(source + (h - 1) * w, source + h * w, cached.begin() + ch * w);
      }
      x = ops_.from_host(DType::F32, padded.data(), channels, ph * pw);
      x = ops_.conv2d(x, ph, pw, convs_[static_cast<std::size_t>(stage)], 2, 0);
      h = (ph - 3) / 2 + 1, w = (pw - 3) / 2 + 1;
      if (stage > 0) x = ops_.conv2d(x, h, w, pointwise_[static_cast<std::size_t>(stage - 1)], 1, 0);
      x = ops_.unary(std::move(x), Unary::Relu);
      channels = ops_.rows(x);
      if (stage < 2) {
        planes.resize(static_cast<std::size_t>(channels * h * w));
        ops_.to_host(x, planes.data());
      }
    }
    return ops_.linear(ops_.planes_to_frames(x, h, w), *subsampling_out_);
  }

  Tensor feed_forward(const Tensor& x, const LinearParams& in, const LinearParams& out) {
    return ops_.linear(ops_.unary(ops_.linear(x, in), Unary::Silu), out);
  }

  ConformerConfig config_;
  Ops& ops_;
  int left_context_;
  std::vector<Conv2dParams> convs_, pointwise_;
  std::optional<LinearParams> subsampling_out_;
  std::vector<Layer> layers_;
  std::map<int64_t, std::vector<Tensor>> projected_positions_;  // by the most frames a chunk attends over
};

}  // namespace verbatim
