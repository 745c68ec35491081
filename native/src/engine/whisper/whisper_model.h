// The Whisper network (openai/whisper's model.py: the conv front end, the encoder, the decoder with its KV cache),
// written once against the tensor operations each backend provides (backends/tensor_ops.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backends/tensor_ops.h"
#include "whisper/weights.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

// Whisper's encoder positional embedding, computed in fp32 as openai/whisper and mlx_whisper do:
// first half sin, second half cos of t * exp(-i * ln(10000) / (channels/2 - 1)).
std::vector<float> whisper_sinusoids(int length, int channels);

// Throws std::invalid_argument naming the first tensor whose shape disagrees with the dims.
void check_whisper_shapes(const WhisperWeights& weights);

template <class Ops>
class WhisperModel final : public WhisperRunner {
 public:
  WhisperModel(std::shared_ptr<const WhisperWeights> weights, Ops ops)
      : weights_(std::move(weights)), ops_(std::move(ops)) {
    check_whisper_shapes(*weights_);
    const WhisperDims& d = dims();
    conv1_.emplace(ops_.conv_params(weights_->conv1));
    conv2_.emplace(ops_.conv_params(weights_->conv2));
    const std::vector<float> sinusoids = whisper_sinusoids(d.n_audio_ctx, d.n_audio_state);
    audio_positions_.emplace(ops_.from_host(DType::F32, sinusoids.data(), d.n_audio_ctx, d.n_audio_state));
    for (const auto& block : weights_->encoder_blocks) encoder_.push_back(prepare(block, MatrixUse::Encoding));
    ln_post_.emplace(ops_.norm_params(weights_->ln_post));
    token_embedding_.emplace(ops_.embedding_params(weights_->token_embedding));
    text_positions_.emplace(ops_.from_host(weights_->positional_embedding_dtype, weights_->positional_embedding,
                                           d.n_text_ctx, d.n_text_state));
    for (const auto& block : weights_->decoder_blocks) decoder_.push_back(prepare(block, MatrixUse::Decoding));
    self_keys_.resize(decoder_.size());
    self_values_.resize(decoder_.size());
    add_cache_slot();
    decoder_ln_.emplace(ops_.norm_params(weights_->decoder_ln));
  }

  const WhisperDims& dims() const override { return weights_->config.dims; }
  std::string backend_name() const override { return ops_.name(); }

  void encode(const float* mel) override {
    const WhisperDims& d = dims();
    Tensor x = ops_.transpose(ops_.from_host(DType::F32, mel, d.n_mels, 2 * d.n_audio_ctx));
    x = ops_.gelu(ops_.conv1d(x, *conv1_, 1));
    x = ops_.gelu(ops_.conv1d(x, *conv2_, 2));
    x = ops_.add(std::move(x), *audio_positions_);
    for (const Block& block : encoder_) {
      x = residual_attention(std::move(x), block.attn, block.attn_ln, d.n_audio_head);
      x = mlp(std::move(x), block);
    }
    x = ops_.layer_norm(x, *ln_post_);

    cross_keys_.clear();
    cross_values_.clear();
    for (const Block& block : decoder_) {
      cross_keys_.push_back(ops_.key_cache(ops_.linear(x, block.cross_attn->key), d.n_text_head));
      cross_values_.push_back(ops_.value_cache(ops_.linear(x, block.cross_attn->value), d.n_text_head));
    }
    encoded_.emplace(std::move(x));
    cached_ = 0;
    beam_slots_.resize(1);
    std::vector<const Tensor*> computed = {&*encoded_};
    for (std::size_t layer = 0; layer < decoder_.size(); ++layer) {
      computed.push_back(&cross_keys_[layer]);
      computed.push_back(&cross_values_[layer]);
    }
    ops_.evaluate(computed);  // encode() is where the encoder's work happens, whatever the backend
  }

  std::vector<float> encoder_output() const override {
    if (!encoded_) throw std::logic_error("encoder_output() needs an encode() first");
    std::vector<float> out(static_cast<std::size_t>(dims().n_audio_ctx) * dims().n_audio_state);
    ops_.to_host(*encoded_, out.data());
    return out;
  }

  void decode(const int32_t* tokens, int count, float* logits, const HeadList& heads,
              std::vector<float>* attention) override {
    const WhisperDims& d = dims();
    check_decode_arguments(tokens, count, heads, attention);
    if (beam_slots_.size() != 1) throw std::logic_error("decode() needs a single beam");
    const int offset = cached_;
    Tensor x = ops_.add(ops_.embed(*token_embedding_, tokens, count), ops_.slice_rows(*text_positions_, offset, count));
    std::vector<std::vector<float>> layer_weights(decoder_.size());
    for (std::size_t layer = 0; layer < decoder_.size(); ++layer) {
      const Block& block = decoder_[layer];
      x = cached_self_attention(std::move(x), block, layer, offset, beam_slots_[0]);
      std::optional<Tensor> weights;
      const bool want_weights = holds_any(heads, static_cast<int>(layer));
      x = cross_attention(std::move(x), block, layer, want_weights ? &weights : nullptr);
      if (want_weights) {
        layer_weights[layer].resize(static_cast<std::size_t>(d.n_text_head) * count * d.n_audio_ctx);
        ops_.to_host(*weights, layer_weights[layer].data());
      }
      x = mlp(std::move(x), block);
    }
    cached_ = offset + count;

    const Tensor last = ops_.layer_norm(ops_.slice_rows(x, count - 1, 1), *decoder_ln_);
    ops_.to_host(ops_.project_to_vocab(*token_embedding_, last), logits);
    if (!heads.empty()) append_head_weights(heads, layer_weights, count, *attention);
  }

  void decode_beams(const int32_t* tokens, float* logits) override {
    const int beams = static_cast<int>(beam_slots_.size());
    check_decode_arguments(tokens, beams, {}, nullptr);
    const int offset = cached_;
    const Tensor position = ops_.slice_rows(*text_positions_, offset, 1);
    Tensor positions = ops_.zeros(beams, dims().n_text_state);
    for (int b = 0; b < beams; ++b) ops_.write_rows(positions, b, position);
    Tensor x = ops_.add(ops_.embed(*token_embedding_, tokens, beams), positions);
    for (std::size_t layer = 0; layer < decoder_.size(); ++layer) {
      const Block& block = decoder_[layer];
      x = beams_self_attention(std::move(x), block, layer, offset);
      x = cross_attention(std::move(x), block, layer, nullptr);
      x = mlp(std::move(x), block);
    }
    cached_ = offset + 1;
    ops_.to_host(ops_.project_to_vocab(*token_embedding_, ops_.layer_norm(x, *decoder_ln_)), logits);
  }

  // Beams taking a source already taken get a free cache slot (made when there is none) with the source's rows
  // copied; the first beam to take a source keeps its slot, so a step copies caches only where beams fork.
  void select_beams(const std::vector<int>& sources) override {
    if (sources.empty()) throw std::invalid_argument("select_beams() needs at least one beam");
    std::vector<int> slots(sources.size(), -1);
    std::vector<bool> taken(self_keys_[0].size(), false);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (sources[i] < 0 || sources[i] >= static_cast<int>(beam_slots_.size())) {
        throw std::out_of_range("select_beams(): beam " + std::to_string(sources[i]) + " does not exist");
      }
      const int slot = beam_slots_[static_cast<std::size_t>(sources[i])];
      if (!taken[static_cast<std::size_t>(slot)]) slots[i] = slot, taken[static_cast<std::size_t>(slot)] = true;
    }
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (slots[i] != -1) continue;
      auto free = std::find(taken.begin(), taken.end(), false);
      if (free == taken.end()) {
        add_cache_slot();
        taken.push_back(false);
        free = taken.end() - 1;
      }
      *free = true;
      slots[i] = static_cast<int>(free - taken.begin());
      copy_cache_slot(beam_slots_[static_cast<std::size_t>(sources[i])], slots[i]);
    }
    beam_slots_ = std::move(slots);
  }

  int beams() const override { return static_cast<int>(beam_slots_.size()); }

  int cached_tokens() const override { return cached_; }

  void truncate_cache(int n) override {
    if (n < 0 || n > cached_) {
      throw std::out_of_range("truncate_cache(" + std::to_string(n) + ") outside the " + std::to_string(cached_) +
                              " cached tokens");
    }
    cached_ = n;
    beam_slots_.resize(1);
  }

 private:
  using Tensor = typename Ops::Tensor;
  using LinearParams = typename Ops::LinearParams;
  using NormParams = typename Ops::NormParams;

  struct AttentionParams {
    LinearParams query, key, value, out;
  };

  struct Block {
    AttentionParams attn;
    NormParams attn_ln;
    std::optional<AttentionParams> cross_attn;
    std::optional<NormParams> cross_attn_ln;
    LinearParams mlp1, mlp2;
    NormParams mlp_ln;
  };

  AttentionParams prepare(const AttentionWeights& w, MatrixUse use) {
    return {ops_.linear_params(w.query, use), ops_.linear_params(w.key, use), ops_.linear_params(w.value, use),
            ops_.linear_params(w.out, use)};
  }

  // The cross-attention's keys and values are products of the encoder's output, once per window.
  AttentionParams prepare_cross(const AttentionWeights& w) {
    return {ops_.linear_params(w.query, MatrixUse::Decoding), ops_.linear_params(w.key, MatrixUse::Encoding),
            ops_.linear_params(w.value, MatrixUse::Encoding), ops_.linear_params(w.out, MatrixUse::Decoding)};
  }

  Block prepare(const ResidualBlockWeights& w, MatrixUse use) {
    Block b{prepare(w.attn, use), ops_.norm_params(w.attn_ln), std::nullopt, std::nullopt,
            ops_.linear_params(w.mlp1, use), ops_.linear_params(w.mlp2, use), ops_.norm_params(w.mlp_ln)};
    if (w.cross_attn) b.cross_attn.emplace(prepare_cross(*w.cross_attn));
    if (w.cross_attn_ln) b.cross_attn_ln.emplace(ops_.norm_params(*w.cross_attn_ln));
    return b;
  }

  // x + attn(attn_ln(x)) without a cache (the encoder).
  Tensor residual_attention(Tensor x, const AttentionParams& attn, const NormParams& norm, int heads) {
    const Tensor h = ops_.layer_norm(x, norm);
    const Tensor q = ops_.linear(h, attn.query), k = ops_.linear(h, attn.key), v = ops_.linear(h, attn.value);
    const Tensor attended = ops_.attention(q, k, v, heads, ops_.rows(k), false, nullptr);
    return ops_.add(std::move(x), ops_.linear(attended, attn.out));
  }

  // x + attn(attn_ln(x)) over the cached positions plus x's, causally; x's keys and values join the cache slot.
  Tensor cached_self_attention(Tensor x, const Block& block, std::size_t layer, int offset, int slot) {
    const Tensor h = ops_.layer_norm(x, block.attn_ln);
    const Tensor q = ops_.linear(h, block.attn.query);
    Tensor& keys = self_keys_[layer][static_cast<std::size_t>(slot)];
    Tensor& values = self_values_[layer][static_cast<std::size_t>(slot)];
    ops_.write_rows(keys, offset, ops_.linear(h, block.attn.key));
    ops_.write_rows(values, offset, ops_.linear(h, block.attn.value));
    const Tensor attended =
        ops_.attention(q, keys, values, dims().n_text_head, offset + ops_.rows(x), true, nullptr);
    return ops_.add(std::move(x), ops_.linear(attended, block.attn.out));
  }

  // The same for one new position per beam (row b of x is beam b's): the projections run once for all beams,
  // the attention, in one call, per beam over its own cache.
  Tensor beams_self_attention(Tensor x, const Block& block, std::size_t layer, int offset) {
    const Tensor h = ops_.layer_norm(x, block.attn_ln);
    const Tensor q = ops_.linear(h, block.attn.query);
    const Tensor k = ops_.linear(h, block.attn.key), v = ops_.linear(h, block.attn.value);
    std::vector<const Tensor*> beam_keys, beam_values;
    for (int b = 0; b < ops_.rows(x); ++b) {
      Tensor& keys = self_keys_[layer][static_cast<std::size_t>(beam_slots_[static_cast<std::size_t>(b)])];
      Tensor& values = self_values_[layer][static_cast<std::size_t>(beam_slots_[static_cast<std::size_t>(b)])];
      ops_.write_rows(keys, offset, ops_.slice_rows(k, b, 1));
      ops_.write_rows(values, offset, ops_.slice_rows(v, b, 1));
      beam_keys.push_back(&keys);
      beam_values.push_back(&values);
    }
    const Tensor attended = ops_.attention_per_row(q, beam_keys, beam_values, dims().n_text_head, offset + 1);
    return ops_.add(std::move(x), ops_.linear(attended, block.attn.out));
  }

  // x + cross_attn(cross_attn_ln(x)) over the encoded window; every row of x attends independently.
  Tensor cross_attention(Tensor x, const Block& block, std::size_t layer, std::optional<Tensor>* weights) {
    const Tensor h = ops_.layer_norm(x, *block.cross_attn_ln);
    const Tensor q = ops_.linear(h, block.cross_attn->query);
    const Tensor attended = ops_.attention(q, cross_keys_[layer], cross_values_[layer], dims().n_text_head,
                                           dims().n_audio_ctx, false, weights);
    return ops_.add(std::move(x), ops_.linear(attended, block.cross_attn->out));
  }

  void add_cache_slot() {
    for (std::size_t layer = 0; layer < decoder_.size(); ++layer) {
      self_keys_[layer].push_back(ops_.zeros(dims().n_text_ctx, dims().n_text_state));
      self_values_[layer].push_back(ops_.zeros(dims().n_text_ctx, dims().n_text_state));
    }
  }

  void copy_cache_slot(int from, int to) {
    if (cached_ == 0) return;
    for (std::size_t layer = 0; layer < decoder_.size(); ++layer) {
      for (auto* cache : {&self_keys_[layer], &self_values_[layer]}) {
        ops_.copy_rows((*cache)[static_cast<std::size_t>(to)], (*cache)[static_cast<std::size_t>(from)], cached_);
      }
    }
  }

  Tensor mlp(Tensor x, const Block& block) {
    Tensor hidden = ops_.gelu(ops_.linear(ops_.layer_norm(x, block.mlp_ln), block.mlp1));
    return ops_.add(std::move(x), ops_.linear(hidden, block.mlp2));
  }

  static bool holds_any(const HeadList& heads, int layer) {
    for (const auto& head : heads) {
      if (head.first == layer) return true;
    }
    return false;
  }

  void check_decode_arguments(const int32_t* tokens, int count, const HeadList& heads,
                              const std::vector<float>* attention) const {
    const WhisperDims& d = dims();
    if (!encoded_) throw std::logic_error("decode() needs an encode() first");
    if (count <= 0) throw std::invalid_argument("decode() needs at least one token");
    if (cached_ + count > d.n_text_ctx) {
      throw std::length_error(std::to_string(cached_) + " cached plus " + std::to_string(count) +
                              " new tokens exceed the model's text context of " + std::to_string(d.n_text_ctx));
    }
    for (int i = 0; i < count; ++i) {
      if (tokens[i] < 0 || tokens[i] >= d.n_vocab) {
        throw std::out_of_range("token " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                                std::to_string(d.n_vocab));
      }
    }
    for (const auto& [layer, head] : heads) {
      if (layer < 0 || layer >= d.n_text_layer || head < 0 || head >= d.n_text_head) {
        throw std::out_of_range("attention head [" + std::to_string(layer) + ", " + std::to_string(head) +
                                "] is not in this model's decoder");
      }
    }
    if (!heads.empty() && attention == nullptr) throw std::invalid_argument("heads requested without an output");
  }

  // Appends [token][head][frame] from per-layer weights laid out [head][token][frame].
  void append_head_weights(const HeadList& heads, const std::vector<std::vector<float>>& layer_weights, int count,
                           std::vector<float>& out) const {
    const auto frames = static_cast<std::size_t>(dims().n_audio_ctx);
    const auto n_heads = heads.size();
    const std::size_t base = out.size();
    out.resize(base + static_cast<std::size_t>(count) * n_heads * frames);
    for (std::size_t p = 0; p < n_heads; ++p) {
      const std::vector<float>& weights = layer_weights[static_cast<std::size_t>(heads[p].first)];
      for (int t = 0; t < count; ++t) {
        const float* src = weights.data() + (static_cast<std::size_t>(heads[p].second) * count + t) * frames;
        std::copy(src, src + frames, out.begin() + static_cast<std::ptrdiff_t>(base + (t * n_heads + p) * frames));
      }
    }
  }

  std::shared_ptr<const WhisperWeights> weights_;
  mutable Ops ops_;  // to_host() is logically const but a lazy backend evaluates on the way out
  std::optional<typename Ops::ConvParams> conv1_, conv2_;
  std::optional<Tensor> audio_positions_;
  std::vector<Block> encoder_;
  std::optional<NormParams> ln_post_;
  std::optional<typename Ops::EmbeddingParams> token_embedding_;
  std::optional<Tensor> text_positions_;
  std::vector<Block> decoder_;
  std::optional<NormParams> decoder_ln_;

  std::optional<Tensor> encoded_;                  // of the last encode()
  std::vector<Tensor> cross_keys_, cross_values_;  // per decoder layer, of the last encode()
  // [decoder layer][cache slot]: n_text_ctx rows, the first cached_ in use; beam b's slot is beam_slots_[b].
  std::vector<std::vector<Tensor>> self_keys_, self_values_;
  std::vector<int> beam_slots_ = {0};
  int cached_ = 0;
};

}  // namespace verbatim
