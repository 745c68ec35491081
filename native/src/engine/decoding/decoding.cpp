#include "decoding/decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "decoding/language.h"
#include "decoding/logit_filters.h"

namespace verbatim {
namespace {

constexpr double kChunkSeconds = 30.0;

void check_cancelled(const DecodingHooks& hooks) {
  if (hooks.cancelled && hooks.cancelled()) throw Cancelled();
}

double uniform_unit(std::mt19937_64& rng) {  // [0, 1) with 53 random bits, the same on every platform
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

DecodingTask::DecodingTask(ModelRunner& runner, DecodingOptions options, std::shared_ptr<const TokenBytes> token_bytes)
    : runner_(runner),
      options_(std::move(options)),
      token_bytes_(token_bytes ? std::move(token_bytes) : std::make_shared<const TokenBytes>()),
      special_(SpecialTokens::for_vocabulary(runner.dims().n_vocab)),
      rng_(options_.seed) {
  if (special_.multilingual() && options_.language_token != -1 && !special_.is_language(options_.language_token)) {
    throw std::invalid_argument("token " + std::to_string(options_.language_token) +
                                " is not a language token of this model's vocabulary");
  }
  const int n_text_ctx = runner.dims().n_text_ctx;
  sample_len_ = options_.sample_len > 0 ? options_.sample_len : n_text_ctx / 2;
  always_suppressed_ = {special_.transcribe, special_.translate, special_.sot,
                        special_.startofprev, special_.startoflm, special_.nospeech};
  // openai treats a max_initial_timestamp of 0 as "no limit" (a falsy option).
  if (options_.timestamps && options_.max_initial_timestamp && *options_.max_initial_timestamp != 0) {
    const double precision = kChunkSeconds / runner.dims().n_audio_ctx;
    max_initial_timestamp_index_ = static_cast<int>(std::nearbyint(*options_.max_initial_timestamp / precision));
  }
}

void DecodingTask::feed_prompt(const DecodingHooks& hooks) {
  check_cancelled(hooks);
  runner_.truncate_cache(0);
  sot_sequence_ = {special_.sot};
  if (special_.multilingual()) {
    int32_t language = options_.language_token;
    if (language == -1) language = detect_language_encoded(runner_, special_).token;
    sot_sequence_.push_back(language);
    sot_sequence_.push_back(options_.task == Task::Translate ? special_.translate : special_.transcribe);
  }

  initial_tokens_.clear();
  if (!options_.prompt.empty()) {
    const std::size_t keep = static_cast<std::size_t>(std::max(runner_.dims().n_text_ctx / 2 - 1, 0));
    const std::size_t skip = options_.prompt.size() > keep ? options_.prompt.size() - keep : 0;
    initial_tokens_.push_back(special_.startofprev);
    initial_tokens_.insert(initial_tokens_.end(), options_.prompt.begin() + static_cast<std::ptrdiff_t>(skip),
                           options_.prompt.end());
  }
  const int sot_index = static_cast<int>(initial_tokens_.size());
  initial_tokens_.insert(initial_tokens_.end(), sot_sequence_.begin(), sot_sequence_.end());
  if (!options_.timestamps) initial_tokens_.push_back(special_.notimestamps);
  if (static_cast<int>(initial_tokens_.size()) >= runner_.dims().n_text_ctx) {
    throw std::invalid_argument("the decoder prompt (" + std::to_string(initial_tokens_.size()) +
                                " tokens) does not fit the model's text context of " +
                                std::to_string(runner_.dims().n_text_ctx));
  }

  // The no-speech probability is read at <|sot|>, so the prompt goes in two parts: up to <|sot|>, then the rest.
  prompt_logits_.assign(static_cast<std::size_t>(runner_.dims().n_vocab), 0.0f);
  runner_.decode(initial_tokens_.data(), sot_index + 1, prompt_logits_.data(), {}, nullptr);
  no_speech_prob_ = std::exp(log_probability(prompt_logits_, special_.nospeech));
  const int rest = static_cast<int>(initial_tokens_.size()) - (sot_index + 1);
  if (rest > 0) {
    check_cancelled(hooks);
    runner_.decode(initial_tokens_.data() + sot_index + 1, rest, prompt_logits_.data(), {}, nullptr);
  }
  prompt_fed_ = true;
}

std::vector<float> DecodingTask::filtered_logits(const std::vector<float>& logits,
                                                 const std::vector<int32_t>& sampled) const {
  std::vector<float> filtered = logits;
  if (options_.suppress_blank && sampled.empty()) suppress_tokens(filtered, {options_.blank_token, special_.eot});
  suppress_tokens(filtered, options_.suppress_tokens);
  suppress_tokens(filtered, always_suppressed_);
  if (options_.timestamps) apply_timestamp_rules(filtered, sampled, special_, max_initial_timestamp_index_);
  return filtered;
}

// Greedy at temperature 0, else a draw from softmax(logits / temperature). A step where every token is
// suppressed ends the window.
int32_t DecodingTask::choose(const std::vector<float>& logits, float temperature) {
  const auto best = std::max_element(logits.begin(), logits.end());  // the first of equal maxima, as argmax
  if (best == logits.end() || std::isinf(*best) || std::isnan(*best)) return special_.eot;
  if (temperature <= 0) return static_cast<int32_t>(best - logits.begin());

  std::vector<double> weights(logits.size());
  double total = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    weights[i] = std::exp((static_cast<double>(logits[i]) - *best) / temperature);
    total += weights[i];
  }
  const double target = uniform_unit(rng_) * total;
  double cumulative = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    cumulative += weights[i];
    if (weights[i] > 0 && cumulative > target) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(best - logits.begin());  // rounding left the target past the last weight
}

DecodingResult DecodingTask::run(float temperature, const DecodingHooks& hooks) {
  if (!prompt_fed_) {
    feed_prompt(hooks);
  } else {
    runner_.truncate_cache(static_cast<int>(initial_tokens_.size()));
  }

  const std::size_t n_text_ctx = static_cast<std::size_t>(runner_.dims().n_text_ctx);
  std::vector<float> logits = prompt_logits_;
  std::vector<int32_t> sampled;
  double sum_logprob = 0;
  for (int step = 0; step < sample_len_; ++step) {
    if (step > 0) {
      check_cancelled(hooks);
      runner_.decode(&sampled.back(), 1, logits.data(), {}, nullptr);
    }
    const std::vector<float> filtered = filtered_logits(logits, sampled);
    const int32_t token = choose(filtered, temperature);
    const double logprob = log_probability(filtered, token);
    sum_logprob += logprob;
    sampled.push_back(token);
    if (token == special_.eot) break;
    if (hooks.on_token) {
      TokenEvent event;
      event.token = token;
      event.probability = static_cast<float>(std::exp(logprob));
      event.temperature = temperature;
      if (special_.is_timestamp(token)) {
        event.timestamp = (token - special_.timestamp_begin) * kChunkSeconds / runner_.dims().n_audio_ctx;
      }
      hooks.on_token(event);
    }
    if (initial_tokens_.size() + sampled.size() > n_text_ctx) break;
  }

  DecodingResult result;
  result.tokens.assign(sampled.begin(), std::find(sampled.begin(), sampled.end(), special_.eot));
  result.language_token = special_.multilingual() ? sot_sequence_[1] : -1;
  result.temperature = temperature;
  result.sum_logprob = sum_logprob;
  result.avg_logprob = sum_logprob / static_cast<double>(result.tokens.size() + 1);
  result.no_speech_prob = no_speech_prob_;
  result.compression_ratio =
      compression_ratio(strip_whitespace(decode_tokens(result.tokens, *token_bytes_, special_.timestamp_begin)));
  return result;
}

bool needs_fallback(const DecodingResult& result, const FallbackOptions& fallback) {
  const bool low_logprob = fallback.logprob_threshold && result.avg_logprob < *fallback.logprob_threshold;
  const bool repetitive =
      fallback.compression_ratio_threshold && result.compression_ratio > *fallback.compression_ratio_threshold;
  const bool silent = fallback.no_speech_threshold && result.no_speech_prob > *fallback.no_speech_threshold;
  if (silent && low_logprob) return false;
  return repetitive || low_logprob;
}

DecodingResult decode_with_fallback(DecodingTask& task, const FallbackOptions& fallback, const DecodingHooks& hooks) {
  if (fallback.temperatures.empty()) throw std::invalid_argument("decoding needs at least one temperature");
  DecodingResult result;
  for (float temperature : fallback.temperatures) {
    result = task.run(temperature, hooks);
    if (!needs_fallback(result, fallback)) break;
  }
  return result;
}

bool is_silence(const DecodingResult& result, const FallbackOptions& fallback) {
  if (!fallback.no_speech_threshold || !(result.no_speech_prob > *fallback.no_speech_threshold)) return false;
  return !(fallback.logprob_threshold && result.avg_logprob > *fallback.logprob_threshold);
}

}  // namespace verbatim
