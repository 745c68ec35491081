// Decoding one 30 s window as openai/whisper's DecodingTask (greedy or beam search at temperature 0, seeded
// categorical sampling of one or best_of sequences above), and the temperature fallback around it
// (transcribe.py decode_with_fallback).
// Token ids in, token ids out: text, prompts and suppress lists come from the tokenizer in TypeScript.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "transcript/cancelled.h"
#include "transcript/token_event.h"
#include "whisper/special_tokens.h"
#include "whisper/token_text.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

enum class Task { Transcribe, Translate };

struct DecodingHooks {
  std::function<void(const TokenEvent&)> on_token;  // optional
  std::function<bool()> cancelled;                  // optional; polled before every model call
};

struct DecodingOptions {
  Task task = Task::Transcribe;
  // Multilingual models: the language token; -1 detects the language of the window. English-only models take
  // no language token.
  int32_t language_token = -1;
  bool timestamps = true;
  int sample_len = 0;  // most tokens to sample; 0: n_text_ctx / 2
  // Previous-text tokens; the last n_text_ctx / 2 - 1 follow <|startofprev|> in the prompt. Empty: no prompt.
  std::vector<int32_t> prompt;
  // Ids to suppress at every step (the vocabulary's non-speech tokens, computed by the tokenizer). The task,
  // <|sot|>, <|startofprev|>, <|startoflm|> and <|nospeech|> tokens are always suppressed as well.
  std::vector<int32_t> suppress_tokens;
  bool suppress_blank = true;  // at the first sampled step, suppress `blank_token` and eot
  int32_t blank_token = 220;   // " " in both Whisper vocabularies
  std::optional<double> max_initial_timestamp = 1.0;  // seconds; with timestamps only
  uint64_t seed = 0;                                   // for sampling at temperatures above 0
  // At temperature 0: openai's BeamSearchDecoder with this many beams, done when round(beam_size * patience)
  // sequences have ended; 1 is greedy decoding.
  int beam_size = 1;
  double patience = 1.0;
  // Above temperature 0: this many independent samples (openai's best_of).
  int best_of = 1;
  // openai's MaximumLikelihoodRanker picks among the beams or samples: the highest sum_logprob / length, or
  // sum_logprob / ((5 + length) / 6) ^ length_penalty when one is given.
  std::optional<double> length_penalty;
};

struct DecodingResult {
  std::vector<int32_t> tokens;  // the sampled tokens, without the closing eot
  int32_t language_token = -1;  // -1 for English-only models
  float temperature = 0;
  double sum_logprob = 0;
  double avg_logprob = 0;  // sum_logprob / (tokens + 1), as openai (the eot counts)
  double no_speech_prob = 0;
  double compression_ratio = 0;  // of the stripped text of `tokens`
};

// Decodes the window the runner last encoded. The prompt goes through the decoder once; every run() after the
// first (the temperature fallback) restarts from the cached prompt. Beams and samples are decoded as one batch
// (WhisperRunner::decode_beams). Throws std::invalid_argument for a beam size, best_of or patience that leaves no
// candidate.
class DecodingTask {
 public:
  DecodingTask(WhisperRunner& runner, DecodingOptions options, std::shared_ptr<const TokenBytes> token_bytes);

  // At temperature 0 greedy or beam search (beam_size > 1); above it one sample, or best_of of them.
  // Token events come as tokens are chosen for a single sequence, and for the kept one at the end otherwise.
  DecodingResult run(float temperature, const DecodingHooks& hooks);

  // The prompt: [startofprev, previous text...] + sot sequence (+ notimestamps).
  const std::vector<int32_t>& initial_tokens() const { return initial_tokens_; }
  // The sot sequence alone: sot (+ language, task for multilingual models).
  const std::vector<int32_t>& sot_sequence() const { return sot_sequence_; }
  const SpecialTokens& special() const { return special_; }

 private:
  struct Sequence {
    std::vector<int32_t> tokens;  // sampled, without eot
    std::vector<double> logprobs;  // of each token
    double sum_logprob = 0;        // of the tokens and, once ended, eot
  };

  void feed_prompt(const DecodingHooks& hooks);
  std::vector<float> filtered_logits(const float* logits, const std::vector<int32_t>& sampled) const;
  int32_t choose(const std::vector<float>& logits, float temperature);
  Sequence sample(int count, float temperature, const DecodingHooks& hooks);
  Sequence beam_search(const DecodingHooks& hooks);
  void decode_next(const std::vector<int32_t>& last_tokens, std::vector<float>& logits, const DecodingHooks& hooks);
  const Sequence& most_likely(const std::vector<Sequence>& sequences) const;
  void report(int32_t token, double logprob, float temperature, const DecodingHooks& hooks) const;
  DecodingResult result_of(const Sequence& sequence, float temperature) const;

  WhisperRunner& runner_;
  DecodingOptions options_;
  std::shared_ptr<const TokenBytes> token_bytes_;
  SpecialTokens special_;
  std::vector<int32_t> sot_sequence_;
  std::vector<int32_t> initial_tokens_;
  std::vector<int32_t> always_suppressed_;
  std::optional<int> max_initial_timestamp_index_;
  int sample_len_ = 0;
  std::mt19937_64 rng_;

  bool prompt_fed_ = false;
  std::vector<float> prompt_logits_;  // logits after the last prompt token
  double no_speech_prob_ = 0;
};

struct FallbackOptions {
  std::vector<float> temperatures = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  std::optional<double> compression_ratio_threshold = 2.4;
  std::optional<double> logprob_threshold = -1.0;
  std::optional<double> no_speech_threshold = 0.6;
};

// Whether a result is too repetitive or too improbable to keep, unless it looks like silence (no-speech
// probability above its threshold together with a low average log-probability).
bool needs_fallback(const DecodingResult& result, const FallbackOptions& fallback);

// Runs the task at each temperature in turn until a result needs no fallback; returns the last result.
DecodingResult decode_with_fallback(DecodingTask& task, const FallbackOptions& fallback, const DecodingHooks& hooks);

// Whether transcribe skips the window as silence: no-speech probability above its threshold, unless the
// average log-probability is above the log-probability threshold.
bool is_silence(const DecodingResult& result, const FallbackOptions& fallback);

}  // namespace verbatim
