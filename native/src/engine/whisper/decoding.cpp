#include "whisper/decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "whisper/language.h"
#include "whisper/logit_filters.h"

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

DecodingTask::DecodingTask(WhisperRunner& runner, DecodingOptions options, std::shared_ptr<const TokenBytes> token_bytes)
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
  if (options_.beam_size < 1 || options_.best_of < 1) {
    throw std::invalid_argument("beam size and best_of must be at least 1");
  }
  if (options_.beam_size > 1 && !(std::nearbyint(options_.beam_size * options_.patience) >= 1)) {
    throw std::invalid_argument("a beam size of " + std::to_string(options_.beam_size) + " with patience " +
                                std::to_string(options_.patience) + " keeps no finished sequence");
  }
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

std::vector<float> DecodingTask::filtered_logits(const float* logits, const std::vector<int32_t>& sampled) const {
  std::vector<float> filtered(logits, logits + runner_.dims().n_vocab);
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
  // openai's decode_with_fallback drops best_of at temperature 0 and beam_size above it.
  if (temperature <= 0 && options_.beam_size > 1) {
    const Sequence best = beam_search(hooks);
    for (std::size_t i = 0; i < best.tokens.size(); ++i) report(best.tokens[i], best.logprobs[i], temperature, hooks);
    return result_of(best, temperature);
  }
  const int count = temperature > 0 ? options_.best_of : 1;
  const Sequence best = sample(count, temperature, hooks);
  if (count > 1) {
    for (std::size_t i = 0; i < best.tokens.size(); ++i) report(best.tokens[i], best.logprobs[i], temperature, hooks);
  }
  return result_of(best, temperature);
}

// openai's GreedyDecoder over `count` sequences: each step every unfinished one chooses its next token (drawing
// from the generator in sequence order above temperature 0); an ended sequence leaves the batch.
DecodingTask::Sequence DecodingTask::sample(int count, float temperature, const DecodingHooks& hooks) {
  const auto n_vocab = static_cast<std::size_t>(runner_.dims().n_vocab);
  const auto n_text_ctx = static_cast<std::size_t>(runner_.dims().n_text_ctx);
  std::vector<Sequence> sequences(static_cast<std::size_t>(count));
  std::vector<int> active(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) active[static_cast<std::size_t>(i)] = i;
  if (count > 1) runner_.select_beams(std::vector<int>(static_cast<std::size_t>(count), 0));
  std::vector<float> logits;
  std::vector<int32_t> last_tokens;
  for (int step = 0; step < sample_len_; ++step) {
    if (step > 0) {
      last_tokens.clear();
      for (int i : active) last_tokens.push_back(sequences[static_cast<std::size_t>(i)].tokens.back());
      decode_next(last_tokens, logits, hooks);
    }
    std::vector<int> continuing, continuing_beams;
    for (std::size_t beam = 0; beam < active.size(); ++beam) {
      Sequence& sequence = sequences[static_cast<std::size_t>(active[beam])];
      const float* row = step == 0 ? prompt_logits_.data() : logits.data() + beam * n_vocab;
      const std::vector<float> filtered = filtered_logits(row, sequence.tokens);
      const int32_t token = choose(filtered, temperature);
      const double logprob = log_probability(filtered, token);
      sequence.sum_logprob += logprob;
      if (token == special_.eot) continue;
      sequence.tokens.push_back(token);
      sequence.logprobs.push_back(logprob);
      if (count == 1) report(token, logprob, temperature, hooks);
      continuing.push_back(active[beam]);
      continuing_beams.push_back(static_cast<int>(beam));
    }
    if (continuing.empty() || initial_tokens_.size() + static_cast<std::size_t>(step) + 1 > n_text_ctx) break;
    if (continuing.size() != active.size()) runner_.select_beams(continuing_beams);
    active = std::move(continuing);
  }
  return most_likely(sequences);
}

// openai's BeamSearchDecoder for one audio: each beam's beam_size + 1 most probable next tokens are candidates,
// ranked by their sequence's summed log-probability; candidates ending in eot are finished (up to
// round(beam_size * patience) of them, which ends the search), the best others become the next beams. The prompt
// is one beam: openai's beam_size identical copies of it yield the same candidates once.
DecodingTask::Sequence DecodingTask::beam_search(const DecodingHooks& hooks) {
  struct Candidate {
    int source;
    int32_t token;
    double logprob;
    double score;
  };
  const auto n_vocab = static_cast<std::size_t>(runner_.dims().n_vocab);
  const auto n_text_ctx = static_cast<std::size_t>(runner_.dims().n_text_ctx);
  const auto beam_size = static_cast<std::size_t>(options_.beam_size);
  const auto max_finished = static_cast<std::size_t>(std::nearbyint(options_.beam_size * options_.patience));
  std::vector<Sequence> beams(1), finished;
  std::vector<float> logits;
  std::vector<int32_t> last_tokens;
  for (int step = 0; step < sample_len_; ++step) {
    if (step > 0) {
      last_tokens.clear();
      for (const Sequence& beam : beams) last_tokens.push_back(beam.tokens.back());
      decode_next(last_tokens, logits, hooks);
    }
    std::vector<Candidate> candidates;
    for (std::size_t b = 0; b < beams.size(); ++b) {
      const float* row = step == 0 ? prompt_logits_.data() : logits.data() + b * n_vocab;
      auto top = top_log_probabilities(filtered_logits(row, beams[b].tokens), beam_size + 1);
      if (top.empty()) top.emplace_back(special_.eot, -std::numeric_limits<double>::infinity());  // all suppressed
      for (const auto& [token, logprob] : top) {
        candidates.push_back({static_cast<int>(b), token, logprob, beams[b].sum_logprob + logprob});
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    std::vector<Sequence> next;
    std::vector<int> sources;
    for (const Candidate& candidate : candidates) {
      Sequence sequence = beams[static_cast<std::size_t>(candidate.source)];
      sequence.sum_logprob = candidate.score;
      if (candidate.token == special_.eot) {
        if (finished.size() < max_finished) finished.push_back(std::move(sequence));
        continue;
      }
      sequence.tokens.push_back(candidate.token);
      sequence.logprobs.push_back(candidate.logprob);
      next.push_back(std::move(sequence));
      sources.push_back(candidate.source);
      if (next.size() == beam_size) break;
    }
    beams = std::move(next);
    if (finished.size() >= max_finished || initial_tokens_.size() + static_cast<std::size_t>(step) + 1 > n_text_ctx)
      break;
    runner_.select_beams(sources);
  }
  // Too few finished: the unfinished beams, most probable first, end here.
  std::stable_sort(beams.begin(), beams.end(),
                   [](const Sequence& a, const Sequence& b) { return a.sum_logprob > b.sum_logprob; });
  for (std::size_t b = 0; b < beams.size() && finished.size() < beam_size; ++b) finished.push_back(beams[b]);
  return most_likely(finished);
}

// Feeds each beam its last token, all as one batch; `logits` gets one row of n_vocab per beam.
void DecodingTask::decode_next(const std::vector<int32_t>& last_tokens, std::vector<float>& logits,
                               const DecodingHooks& hooks) {
  check_cancelled(hooks);
  logits.resize(last_tokens.size() * static_cast<std::size_t>(runner_.dims().n_vocab));
  runner_.decode_beams(last_tokens.data(), logits.data());
}

const DecodingTask::Sequence& DecodingTask::most_likely(const std::vector<Sequence>& sequences) const {
  std::size_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const auto length = static_cast<double>(sequences[i].tokens.size());
    const double penalty = options_.length_penalty ? std::pow((5 + length) / 6, *options_.length_penalty) : length;
    const double score = sequences[i].sum_logprob / penalty;
    if (i == 0 || score > best_score) best = i, best_score = score;
  }
  return sequences[best];
}

void DecodingTask::report(int32_t token, double logprob, float temperature, const DecodingHooks& hooks) const {
  if (!hooks.on_token) return;
  TokenEvent event;
  event.token = token;
  event.probability = static_cast<float>(std::exp(logprob));
  event.temperature = temperature;
  if (special_.is_timestamp(token)) {
    event.timestamp = (token - special_.timestamp_begin) * kChunkSeconds / runner_.dims().n_audio_ctx;
  }
  hooks.on_token(event);
}

DecodingResult DecodingTask::result_of(const Sequence& sequence, float temperature) const {
  DecodingResult result;
  result.tokens = sequence.tokens;
  result.language_token = special_.multilingual() ? sot_sequence_[1] : -1;
  result.temperature = temperature;
  result.sum_logprob = sequence.sum_logprob;
  result.avg_logprob = sequence.sum_logprob / static_cast<double>(result.tokens.size() + 1);
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
