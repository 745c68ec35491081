// The Nemotron Speech Streaming network: the cache-aware FastConformer encoder (conformer/cache_aware_encoder.h) and
// the RNN-T prediction network and joint (transducer/transducer_decoder.h), decoded greedily a chunk at a time, as
// transformers' NemotronAsrStreamingForRNNT.generate decodes (native/NEMOTRON.md). Each stream keeps its own state
// (encoder caches, prediction network, symbols at the current frame), so one loaded model serves any number of
// streams in turn. Written once against the tensor operations each backend provides (backends/tensor_ops.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conformer/cache_aware_encoder.h"
#include "nemotron/nemotron_weights.h"
#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"
#include "transducer/transducer_decoder.h"

namespace verbatim {

struct DecodedToken {
  int32_t id = 0;
  int64_t frame = 0;  // encoder frame (80 ms) from the stream's start
  float probability = 0;
};

// A loaded network on one backend: what a stream (nemotron_stream.h) runs each chunk through.
class NemotronRunner {
 public:
  class StreamState {
   public:
    virtual ~StreamState() = default;
  };

  virtual ~NemotronRunner() = default;
  virtual std::string backend_name() const = 0;
  // `prompt`: Nemotron 3.5's language slot (0 to num_prompts - 1) for this stream; ignored by a model without one.
  // `boost`: the terms the stream's greedy decoding favours, its walk through their tree going on from chunk to chunk;
  // `mask`: the pieces it never emits.
  virtual std::unique_ptr<StreamState> new_stream(int prompt, const PhraseBoost& boost = {}, TokenMask mask = {}) = 0;

  // Encodes one chunk of feature frames (CacheAwareEncoder::encode_chunk's rules) and decodes its encoder frames
  // greedily, going on from the stream's state: the tokens settled, in order (a boosted term still open at the chunk's
  // end is held back until it is whole or taken back). `encoder_rows`, when set, receives the chunk's encoder output
  // (frames x d_model, for tests). `between_layers` may throw to cancel.
  virtual std::vector<DecodedToken> decode_chunk(StreamState& state, const float* features, int frames, bool last,
                                                 int lookahead, const std::function<void()>& between_layers,
                                                 std::vector<float>* encoder_rows = nullptr) = 0;
  // The stream's audio has ended, every chunk decoded: a term still open never finishes, so it is taken back and its
  // frames decoded again; the tokens that settles.
  virtual std::vector<DecodedToken> end_stream(StreamState& state) = 0;
};

template <class Ops>
class NemotronModel final : public NemotronRunner {
 public:
  NemotronModel(std::shared_ptr<const NemotronWeights> weights, Ops ops)
      : weights_(std::move(weights)),
        ops_(std::move(ops)),
        encoder_(weights_->config, *weights_, ops_, weights_->config.left_context),
        decoder_(weights_->config, *weights_, ops_) {
    if (weights_->prompt) prompt_out_.emplace(ops_.linear_params(weights_->prompt->out, MatrixUse::Encoding));
  }
  NemotronModel(const NemotronModel&) = delete;  // the encoder and the decoder hold this model's ops
  NemotronModel& operator=(const NemotronModel&) = delete;

  std::string backend_name() const override { return ops_.name(); }

  std::unique_ptr<StreamState> new_stream(int prompt, const PhraseBoost& boost, TokenMask mask) override {
    auto state = std::make_unique<State>(encoder_.new_state(), PhraseBoostWalk(boost), std::move(mask));
    if (weights_->prompt) {
      const NemotronConfig& c = weights_->config;
      if (prompt < 0 || prompt >= c.num_prompts) {
        throw std::invalid_argument("prompt slot " + std::to_string(prompt) + " is not one of the model's " +
                                    std::to_string(c.num_prompts));
      }
      // linear_1 over [encoded; one_hot(prompt)] = the hidden columns' product + (bias + prompt's column).
      std::vector<float> bias = weights_->prompt->bias;
      const float* column = weights_->prompt->prompt_columns.data() + static_cast<std::size_t>(prompt) * c.prompt_hidden;
      for (int i = 0; i < c.prompt_hidden; ++i) bias[static_cast<std::size_t>(i)] += column[i];
      Linear in = weights_->prompt->hidden;
      in.bias = Vector{DType::F32, c.prompt_hidden, bias.data()};
      state->prompt_in.emplace(ops_.linear_params(in, MatrixUse::Encoding));
    }
    decoder_.reset_prediction();  // one step on the blank's embedding, as generate() starts
    state->prediction = decoder_.prediction_state();
    return state;
  }

  std::vector<DecodedToken> decode_chunk(StreamState& base, const float* features, int frames, bool last,
                                         int lookahead, const std::function<void()>& between_layers,
                                         std::vector<float>* encoder_rows) override {
    State& state = static_cast<State&>(base);
    const Tensor encoded = encoder_.encode_chunk(state.encoder, features, frames, last, lookahead, between_layers);
    const int T = static_cast<int>(ops_.rows(encoded));
    if (encoder_rows != nullptr) {
      encoder_rows->resize(static_cast<std::size_t>(T) * weights_->config.d_model);
      ops_.to_host(encoded, encoder_rows->data());
    }
    std::optional<Tensor> fused;  // Nemotron 3.5: the prompt projector's output
    if (state.prompt_in) {
      fused.emplace(ops_.linear(ops_.unary(ops_.linear(encoded, *state.prompt_in), Unary::Relu), *prompt_out_));
    }
    return decode_window(state, fused ? &*fused : &encoded, T, false);
  }

  std::vector<DecodedToken> end_stream(StreamState& base) override {
    State& state = static_cast<State&>(base);
    return state.term ? decode_window(state, nullptr, 0, true) : std::vector<DecodedToken>{};
  }

 private:
  using Tensor = typename Ops::Tensor;

  using PredictionState = typename TransducerDecoder<Ops>::PredictionState;

  // A boosted term begun and not yet whole (transducer/phrase_boost.h): where decoding stood before its first piece,
  // to go back to if it never finishes.
  struct OpenTerm {
    int64_t frame = 0;        // the frame decided at before its first piece
    int symbols = 0;          // tokens emitted at that frame before it
    PhraseBoostWalk walk;     // the walk before it
    PredictionState prediction;  // the prediction network before it
    int64_t last_piece = 0;   // the frame of its latest piece
  };

  struct State final : StreamState {
    State(typename CacheAwareEncoder<Ops>::State e, PhraseBoostWalk b, TokenMask m)
        : encoder(std::move(e)), boost(std::move(b)), mask(std::move(m)) {}
    typename CacheAwareEncoder<Ops>::State encoder;
    PhraseBoostWalk boost;  // where the stream stands in its terms' tree: a term begun in one chunk goes on in the next
    TokenMask mask;
    PredictionState prediction;
    std::optional<typename Ops::LinearParams> prompt_in;  // Nemotron 3.5: linear_1 with this stream's prompt
    int64_t frames = 0;   // encoder frames encoded so far
    int64_t frame = 0;    // the frame decoding stands at
    int symbols = 0;      // tokens emitted at that frame (max_symbols moves on)
    std::optional<OpenTerm> term;   // a term begun and not yet whole
    std::vector<DecodedToken> held;  // its tokens, held back from the stream's output
    std::optional<Tensor> kept;      // the joint's encoder side of frames [term->frame, frames), to go back over
    bool unboosted = false;          // the next decision is the model's own (a term was just taken back there)
  };

  // Frames after a term's latest piece with none of its pieces emitted (0.32 s, as Parakeet's greedy TDT): the term
  // has failed. Without it a term begun could be held back over the rest of the audio.
  static constexpr int kTermPauseFrames = 4;

  // Decodes the kept frames (from an open term's start) and then the `frames` new rows of `encoded` (none at the
  // stream's end), going on from where the stream stood; `ended`: no frames follow.
  std::vector<DecodedToken> decode_window(State& state, const Tensor* encoded, int frames, bool ended) {
    const int kept = state.kept ? static_cast<int>(ops_.rows(*state.kept)) : 0;
    if (state.kept) {
      decoder_.project_encoder(encoded, frames, *state.kept, kept);
      state.kept.reset();
    } else {
      decoder_.project_encoder(*encoded, frames);
    }
    const int64_t start = state.frames - kept;
    state.frames += frames;
    decoder_.set_prediction_state(std::move(state.prediction));
    std::vector<DecodedToken> tokens = greedy(state, start, ended);
    if (state.term) {
      state.kept.emplace(decoder_.encoder_rows(static_cast<int>(state.term->frame - start),
                                               static_cast<int>(state.frames - state.term->frame)));
    }
    state.prediction = decoder_.prediction_state();
    decoder_.forget_encoder();
    return tokens;
  }

  // Greedy RNN-T from state.frame to state.frames, the window's frames starting at `start` (transformers'
  // ParakeetRNNTGenerationMixin, which the streaming generate() runs over the chunks' frames in turn): the argmax over
  // the V + 1 outputs; a blank moves to the next frame, a token is emitted and advances the prediction network, and
  // the max_symbols-th token emitted at one frame moves on too. Ties go to the lowest id (argmax). The mask's pieces
  // are -infinity before the argmax. With terms, as NeMo's greedy fusion (transducer/phrase_boost.h): where the argmax
  // is a token, the token emitted is the argmax of the token logits plus the tree's boosted scores; where it is the
  // blank, only the next piece of a term begun may overrule it. A token's probability stays the model's own (softmax
  // over the masked outputs).
  // A term begun is held back until it is whole. When it does not go on (a token that is not its next piece, a pause
  // of kTermPauseFrames, the stream's end), decoding goes back to where it began, the walk and the prediction network
  // too, and decides that step as the model has it: the term's bonus is given back, as Parakeet's greedy TDT does
  // (parakeet/tdt_decoding.cpp). Decoding stops at the window's end, a term still open going on in the next window.
  std::vector<DecodedToken> greedy(State& state, int64_t start, bool ended) {
    const NemotronConfig& c = weights_->config;
    const int blank = c.vocab_size;
    std::vector<float> logits(static_cast<std::size_t>(c.vocab_size) + 1);
    std::vector<DecodedToken> tokens;
    const auto take_back = [&] {
      OpenTerm& term = *state.term;
      state.frame = term.frame;
      state.symbols = term.symbols;
      state.boost = std::move(term.walk);
      decoder_.set_prediction_state(std::move(term.prediction));
      state.term.reset();
      state.held.clear();
      state.unboosted = true;
    };
    for (;;) {
      if (state.frame >= state.frames) {
        if (!state.term || !ended) break;
        take_back();  // the audio ended inside the term
        continue;
      }
      if (state.term && state.frame - state.term->last_piece > kTermPauseFrames) {
        take_back();
        continue;
      }
      decoder_.joint(static_cast<int>(state.frame - start), logits.data());
      state.mask.apply(logits.data());
      const auto top = std::max_element(logits.begin(), logits.end());
      const float best = *top;
      int token = static_cast<int>(top - logits.begin());
      if (state.boost.active() && !state.unboosted) {
        if (token != blank) {
          token = state.boost.choose(logits.data());
        } else if (const int32_t next = state.boost.overrule_blank(logits.data(), best); next >= 0) {
          token = next;  // `best` is the blank's logit here
        }
      }
      if (token != blank && state.boost.active()) {
        if (state.unboosted) {
          state.boost.restart();  // a term taken back is not begun again at the same step
        } else {
          const PhraseBoostWalk before = state.boost;
          state.boost.advance(token);
          if (state.term && state.boost.depth() != before.depth() + 1) {
            state.boost = before;  // not the term's next piece: the term fails
            take_back();
            continue;
          }
          if (!state.term && state.boost.partial()) {
            state.term = OpenTerm{state.frame, state.symbols, before, decoder_.prediction_state(), state.frame};
          }
          if (state.term) state.term->last_piece = state.frame;
        }
      }
      state.unboosted = false;
      if (token == blank) {
        state.symbols = 0;
        ++state.frame;
        continue;
      }
      double sum = 0;
      for (float v : logits) sum += std::exp(static_cast<double>(v - best));
      const double probability = std::exp(static_cast<double>(logits[static_cast<std::size_t>(token)] - best)) / sum;
      (state.term ? state.held : tokens).push_back({token, state.frame, static_cast<float>(probability)});
      decoder_.advance_prediction(token);
      if (state.term && !state.boost.partial()) {  // whole: its tokens are settled
        tokens.insert(tokens.end(), state.held.begin(), state.held.end());
        state.held.clear();
        state.term.reset();
      }
      if (++state.symbols >= c.max_symbols) {
        state.symbols = 0;
        ++state.frame;
      }
    }
    return tokens;
  }

  std::shared_ptr<const NemotronWeights> weights_;
  mutable Ops ops_;
  CacheAwareEncoder<Ops> encoder_;
  TransducerDecoder<Ops> decoder_;
  std::optional<typename Ops::LinearParams> prompt_out_;  // Nemotron 3.5's linear_2
};

}  // namespace verbatim
