#include "whisper/whisper_streaming.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "whisper/decoding.h"
#include "whisper/language.h"
#include "whisper/mel.h"

namespace verbatim {
namespace {

constexpr std::size_t kSamplesPerEncoderFrame = 2 * kHopLength;  // 20 ms
constexpr int kContextMargin = 20;  // tokens of the text context left free for decoding, as SimulStreaming

void check_cancelled(const std::function<bool()>& cancelled) {
  if (cancelled && cancelled()) throw Cancelled();
}

// Every special token, the vocabulary's non-speech tokens and timestamps: the live decode writes text only.
std::vector<int32_t> live_suppressed(const SpecialTokens& special, const std::vector<int32_t>& suppress_tokens) {
  std::vector<int32_t> out = suppress_tokens;
  out.insert(out.end(), {special.transcribe, special.translate, special.sot, special.startofprev, special.startoflm,
                         special.nospeech, special.notimestamps});
  for (int i = 0; i < special.n_languages; ++i) out.push_back(special.language_token(i));
  for (int32_t t = special.timestamp_begin; t < special.n_vocab; ++t) out.push_back(t);
  return out;
}

void shift_times(Transcript& transcript, double seconds, int frames) {
  for (Segment& segment : transcript.segments) {
    segment.seek += frames;
    segment.start += seconds;
    segment.end += seconds;
    for (TokenTiming& timing : segment.token_timings) {
      timing.start += seconds;
      timing.end += seconds;
    }
  }
}

}  // namespace

void validate_streaming_options(const WhisperStreamingOptions& options, const WhisperDims& dims) {
  const PolicyParameters& p = options.parameters;
  const auto check = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  check(p.frame_threshold >= 0 && p.frame_threshold <= dims.n_audio_ctx,
        "frameThreshold must be between 0 and " + std::to_string(dims.n_audio_ctx) + " encoder frames");
  check(p.final_frame_threshold >= 0 && p.final_frame_threshold <= dims.n_audio_ctx,
        "finalFrameThreshold must be between 0 and " + std::to_string(dims.n_audio_ctx) + " encoder frames");
  check(p.rewind_threshold > 0 && p.rewind_threshold <= dims.n_audio_ctx,
        "rewindThreshold must be between 1 and " + std::to_string(dims.n_audio_ctx) + " encoder frames");
  check(std::isfinite(options.min_chunk_seconds) && options.min_chunk_seconds >= 0.02 &&
            options.min_chunk_seconds <= 30,
        "minChunkSeconds must be between 0.02 and 30");
  check(options.max_context_tokens >= 0 && options.max_context_tokens <= dims.n_text_ctx,
        "maxContextTokens must be between 0 (as many as fit) and " + std::to_string(dims.n_text_ctx));
  check(options.policy.value_or(StreamingPolicyKind::AlignAtt) != StreamingPolicyKind::AlignAtt || !p.alignment_heads.empty(),
        "AlignAtt streaming needs the model's alignment heads");
  for (const auto& [layer, head] : p.alignment_heads) {
    check(layer >= 0 && layer < dims.n_text_layer && head >= 0 && head < dims.n_text_head,
          "alignment head [" + std::to_string(layer) + ", " + std::to_string(head) + "] is not in this model's decoder");
  }
  check(options.transcribe.token_bytes && !options.transcribe.token_bytes->empty(),
        "streaming needs the vocabulary's token bytes");
}

WhisperStreamingRecognizer::WhisperStreamingRecognizer(const WhisperDims& dims, WhisperStreamingOptions options,
                                                       RunnerAccess with_runner)
    : dims_(dims),
      with_runner_(std::move(with_runner)),
      options_(std::move(options)),
      special_(SpecialTokens::for_vocabulary(dims.n_vocab)) {
  validate_streaming_options(options_, dims_);
  if (options_.max_context_tokens == 0) options_.max_context_tokens = dims_.n_text_ctx;
  policy_ = make_streaming_policy(options_.policy.value_or(StreamingPolicyKind::AlignAtt), options_.parameters,
                                  options_.transcribe.token_bytes, special_);
  suppressed_ = live_suppressed(special_, options_.transcribe.decoding.suppress_tokens);
}

std::size_t WhisperStreamingRecognizer::min_update_samples() const {
  return static_cast<std::size_t>(options_.min_chunk_seconds * kSampleRate);
}

void WhisperStreamingRecognizer::add_audio(const float* samples, std::size_t n) {
  audio_.insert(audio_.end(), samples, samples + n);
  unassigned_ += n;
  session_samples_ += n;
}

void WhisperStreamingRecognizer::roll_over(std::size_t limit) {
  std::size_t window = audio_.size() - window_start_;
  while (window > limit && chunks_.size() > 1) {
    const Chunk& oldest = chunks_.front();
    window_start_ += oldest.samples;
    window -= oldest.samples;
    policy_->shift_frames(static_cast<int>(oldest.samples / kSamplesPerEncoderFrame));
    context_.insert(context_.end(), oldest.committed.begin(), oldest.committed.end());
    chunks_.pop_front();
  }
  if (window > limit) {  // one update received more than 30 s at once: the live window keeps its last 30 s
    const std::size_t excess = window - limit;
    window_start_ += excess;
    chunks_.front().samples -= excess;
    policy_->shift_frames(static_cast<int>(excess / kSamplesPerEncoderFrame));
  }
}

void WhisperStreamingRecognizer::trim_context(std::size_t fixed_tokens) {
  const TokenBytes& bytes = *options_.transcribe.token_bytes;
  const std::size_t most = static_cast<std::size_t>(options_.max_context_tokens);
  const std::size_t room = static_cast<std::size_t>(std::max(0, dims_.n_text_ctx - kContextMargin));
  while (!context_.empty() && (context_.size() > most || fixed_tokens + context_.size() > room)) {
    std::size_t word_end = 1;  // drop the oldest word
    while (word_end < context_.size() && !starts_word(context_[word_end], bytes, special_)) ++word_end;
    context_.erase(context_.begin(), context_.begin() + static_cast<std::ptrdiff_t>(word_end));
  }
}

std::vector<float> WhisperStreamingRecognizer::window_mel(int& content_frames) const {
  const std::size_t n = audio_.size() - window_start_;
  const Spectrogram mel = log_mel_spectrogram(audio_.data() + window_start_, n, dims_.n_mels, kWindowSamples);
  std::vector<float> window(static_cast<std::size_t>(mel.n_mels) * kWindowFrames);
  for (int bin = 0; bin < mel.n_mels; ++bin) {
    const float* row = mel.data.data() + static_cast<std::size_t>(bin) * mel.n_frames;
    std::copy(row, row + kWindowFrames, window.begin() + static_cast<std::ptrdiff_t>(bin) * kWindowFrames);
  }
  content_frames = static_cast<int>(n / kSamplesPerEncoderFrame);
  return window;
}

std::vector<int32_t> WhisperStreamingRecognizer::prompt(WhisperRunner& runner) {
  std::vector<int32_t> sot_sequence = {special_.sot};
  if (special_.multilingual()) {
    if (options_.transcribe.decoding.language_token != -1) language_ = options_.transcribe.decoding.language_token;
    if (language_ == -1) language_ = detect_language_encoded(runner, special_).token;
    sot_sequence.push_back(language_);
    sot_sequence.push_back(options_.transcribe.decoding.task == Task::Translate ? special_.translate
                                                                                 : special_.transcribe);
  }
  // As batch decoding: at most the last n_text_ctx / 2 - 1 tokens of the user's prompt.
  const std::vector<int32_t>& initial = options_.transcribe.initial_prompt;
  const std::size_t keep = static_cast<std::size_t>(std::max(dims_.n_text_ctx / 2 - 1, 0));
  const auto static_begin = initial.end() - static_cast<std::ptrdiff_t>(std::min(keep, initial.size()));

  std::size_t forced = 0;
  for (const Chunk& chunk : chunks_) forced += chunk.committed.size();
  const std::size_t fixed = 1 + static_cast<std::size_t>(initial.end() - static_begin) + sot_sequence.size() + 1 + forced;
  trim_context(fixed);

  std::vector<int32_t> tokens;
  if (static_begin != initial.end() || !context_.empty()) {
    tokens.push_back(special_.startofprev);
    tokens.insert(tokens.end(), static_begin, initial.end());
    tokens.insert(tokens.end(), context_.begin(), context_.end());
  }
  tokens.insert(tokens.end(), sot_sequence.begin(), sot_sequence.end());
  tokens.push_back(special_.notimestamps);
  return tokens;
}

StreamingUpdate WhisperStreamingRecognizer::update(WhisperRunner& runner, bool is_last, const std::function<bool()>& cancelled) {
  chunks_.push_back(Chunk{unassigned_, {}});
  unassigned_ = 0;
  roll_over(kWindowSamples);

  int content_frames = 0;
  const std::vector<float> mel = window_mel(content_frames);
  check_cancelled(cancelled);
  runner.encode(mel.data());

  PolicyInput input;
  input.prompt = prompt(runner);
  for (const Chunk& chunk : chunks_) input.forced.insert(input.forced.end(), chunk.committed.begin(), chunk.committed.end());
  input.content_frames = content_frames;
  input.is_last = is_last;
  input.suppress_blank = options_.transcribe.decoding.suppress_blank && live_tokens_.empty();
  input.blank_token = options_.transcribe.decoding.blank_token;
  input.suppressed = suppressed_;
  input.cancelled = cancelled;
  PolicyUpdate decided = policy_->update(runner, input);

  chunks_.back().committed = decided.committed;
  live_tokens_.insert(live_tokens_.end(), decided.committed.begin(), decided.committed.end());
  StreamingUpdate update;
  update.utterance = utterance_index_;
  update.committed = std::move(decided.committed);
  update.tentative = std::move(decided.tentative);
  update.audio_seconds = static_cast<double>(session_samples_) / kSampleRate;
  return update;
}

Utterance WhisperStreamingRecognizer::end_utterance(WhisperRunner& runner, const std::function<bool()>& cancelled) {
  TranscribeEvents events;
  events.cancelled = cancelled;
  Utterance utterance;
  utterance.index = utterance_index_;
  utterance.start = utterance_start_;
  utterance.end = utterance_start_ + static_cast<double>(audio_.size()) / kSampleRate;
  utterance.transcript = transcribe_audio(runner, audio_.data(), audio_.size(), options_.transcribe, events);
  shift_times(utterance.transcript, utterance.start, static_cast<int>(std::lround(utterance.start * kSampleRate / kHopLength)));
  utterance.live_tokens = std::move(live_tokens_);

  ++utterance_index_;
  utterance_start_ = utterance.end;
  audio_.clear();
  window_start_ = 0;
  unassigned_ = 0;
  chunks_.clear();
  context_.clear();
  live_tokens_.clear();
  language_ = -1;
  policy_->reset();
  return utterance;
}

StreamingUpdate WhisperStreamingRecognizer::update(bool is_last, const std::function<bool()>& cancelled) {
  StreamingUpdate out;
  with_runner_([&](WhisperRunner& runner) { out = update(runner, is_last, cancelled); });
  return out;
}

Utterance WhisperStreamingRecognizer::end_utterance(const std::function<bool()>& cancelled) {
  Utterance out;
  with_runner_([&](WhisperRunner& runner) { out = end_utterance(runner, cancelled); });
  return out;
}

}  // namespace verbatim
