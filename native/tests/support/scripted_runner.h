// A WhisperRunner whose logits and cross-attention come from a test's script instead of a network, so decoding
// rules can be checked step by step. It keeps the token context a real runner would keep in its cache.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "whisper/whisper_runner.h"
#include "whisper/special_tokens.h"

namespace verbatim::testing {

inline WhisperDims scripted_dims(int n_vocab = 51865) {
  WhisperDims dims;
  dims.n_mels = 80;
  dims.n_audio_ctx = 1500;
  dims.n_audio_state = 4;
  dims.n_audio_head = 1;
  dims.n_audio_layer = 1;
  dims.n_vocab = n_vocab;
  dims.n_text_ctx = 448;
  dims.n_text_state = 4;
  dims.n_text_head = 2;
  dims.n_text_layer = 2;
  return dims;
}

class ScriptedRunner : public WhisperRunner {
 public:
  // Fills `logits` (n_vocab zeros on entry) for the next token after `context` (every token in the cache).
  using LogitsScript = std::function<void(const std::vector<int32_t>& context, std::vector<float>& logits)>;
  // Fills the softmaxed cross-attention of one head for the last token of `context`: n_audio_ctx values.
  using AttentionScript =
      std::function<void(const std::vector<int32_t>& context, int layer, int head, std::vector<float>& frames)>;

  explicit ScriptedRunner(WhisperDims dims = scripted_dims()) : dims_(dims) {}

  LogitsScript logits_script;
  AttentionScript attention_script;
  std::function<void()> before_decode;  // runs at the start of every decode call (e.g. to request a cancel)

  // What the decoding code did, for the checks.
  std::vector<std::vector<float>> encoded_windows;  // every mel window passed to encode()
  std::vector<std::vector<int32_t>> decode_calls;   // the tokens of every decode() call
  std::vector<int32_t> context;                     // the tokens now in the cache

  const WhisperDims& dims() const override { return dims_; }
  std::string backend_name() const override { return "scripted"; }

  void encode(const float* mel) override {
    encoded_windows.emplace_back(mel, mel + static_cast<std::size_t>(dims_.n_mels) * 2 * dims_.n_audio_ctx);
    context.clear();
    other_beams.clear();
  }

  std::vector<float> encoder_output() const override { return {}; }

  void decode(const int32_t* tokens, int count, float* logits, const HeadList& heads,
              std::vector<float>* attention) override {
    if (before_decode) before_decode();
    if (count <= 0) throw std::invalid_argument("decode needs at least one token");
    decode_calls.emplace_back(tokens, tokens + count);
    for (int i = 0; i < count; ++i) {
      context.push_back(tokens[i]);
      if (static_cast<int>(context.size()) > dims_.n_text_ctx) throw std::out_of_range("past the text context");
      for (const auto& [layer, head] : heads) {
        std::vector<float> frames(static_cast<std::size_t>(dims_.n_audio_ctx), 1.0f / dims_.n_audio_ctx);
        if (attention_script) attention_script(context, layer, head, frames);
        attention->insert(attention->end(), frames.begin(), frames.end());
      }
    }
    std::vector<float> next(static_cast<std::size_t>(dims_.n_vocab), 0.0f);
    if (logits_script) logits_script(context, next);
    std::copy(next.begin(), next.end(), logits);
  }

  int cached_tokens() const override { return static_cast<int>(context.size()); }
  void truncate_cache(int n) override {
    if (n < 0 || n > cached_tokens()) throw std::out_of_range("truncate_cache past the cache");
    context.resize(static_cast<std::size_t>(n));
    other_beams.clear();
  }

  void select_beams(const std::vector<int>& sources) override {
    std::vector<std::vector<int32_t>> all = {context};
    all.insert(all.end(), other_beams.begin(), other_beams.end());
    std::vector<std::vector<int32_t>> chosen;
    for (int source : sources) chosen.push_back(all.at(static_cast<std::size_t>(source)));
    context = chosen.at(0);
    other_beams.assign(chosen.begin() + 1, chosen.end());
    beam_selections.push_back(sources);
  }

  void decode_beams(const int32_t* tokens, float* logits) override {
    if (before_decode) before_decode();
    const auto n = static_cast<std::size_t>(dims_.n_vocab);
    decode_calls.push_back({tokens[0]});
    for (std::size_t b = 0; b <= other_beams.size(); ++b) {
      std::vector<int32_t>& beam = b == 0 ? context : other_beams[b - 1];
      beam.push_back(tokens[b]);
      if (static_cast<int>(beam.size()) > dims_.n_text_ctx) throw std::out_of_range("past the text context");
      std::vector<float> next(n, 0.0f);
      if (logits_script) logits_script(beam, next);
      std::copy(next.begin(), next.end(), logits + b * n);
    }
  }

  int beams() const override { return 1 + static_cast<int>(other_beams.size()); }

  std::vector<std::vector<int32_t>> other_beams;          // the tokens of beams 1, 2, ... (beam 0's are `context`)
  std::vector<std::vector<int>> beam_selections;          // every select_beams() call

 private:
  WhisperDims dims_;
};

// The tokens sampled so far: everything after the last token that ends a prompt (task or notimestamps), or
// an empty list while the prompt itself is being fed.
inline std::vector<int32_t> sampled_tokens(const std::vector<int32_t>& context, const SpecialTokens& special) {
  const auto end_of_prompt = std::find_if(context.rbegin(), context.rend(), [&](int32_t t) {
    return t == special.transcribe || t == special.translate || t == special.notimestamps ||
           (!special.multilingual() && t == special.sot);
  });
  if (end_of_prompt == context.rend()) return {};
  return std::vector<int32_t>(end_of_prompt.base(), context.end());
}

// Whether the context ends with the whole prompt (the first sampling step comes next).
inline bool at_prompt_end(const std::vector<int32_t>& context, const SpecialTokens& special) {
  if (context.empty()) return false;
  const int32_t last = context.back();
  return last == special.transcribe || last == special.translate || last == special.notimestamps ||
         (!special.multilingual() && last == special.sot);
}

}  // namespace verbatim::testing
