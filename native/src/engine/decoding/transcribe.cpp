#include "decoding/transcribe.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "decoding/language.h"
#include "decoding/special_tokens.h"

namespace verbatim {
namespace {

constexpr double kFramesPerSecond = static_cast<double>(kSampleRate) / kHopLength;

void check_cancelled(const TranscribeEvents& events) {
  if (events.cancelled && events.cancelled()) throw Cancelled();
}

// Frames [first, first + count) of the padded spectrogram: n_mels rows of `count` values, row-major.
using MelReader = std::function<std::vector<float>(int first, int count)>;

// mel[:, seek : seek + size] zero-padded to one window (pad_or_trim), row-major n_mels x kWindowFrames.
std::vector<float> window_at(const MelReader& read, int n_mels, int seek, int size) {
  const std::vector<float> frames = read(seek, size);
  std::vector<float> window(static_cast<std::size_t>(n_mels) * kWindowFrames, 0.0f);
  for (int m = 0; m < n_mels; ++m) {
    const float* row = frames.data() + static_cast<std::size_t>(m) * size;
    std::copy(row, row + size, window.begin() + static_cast<std::ptrdiff_t>(m) * kWindowFrames);
  }
  return window;
}

bool has_text(const std::vector<int32_t>& tokens, const TokenBytes& table, int32_t eot) {
  return !strip_whitespace(decode_tokens(tokens, table, eot)).empty();
}

// Splits a window's tokens into segments and says how far to seek, as openai's transcribe loop does.
struct WindowSegments {
  std::vector<Segment> segments;
  int advance = 0;  // frames to seek forward
  bool single_timestamp_ending = false;
};

WindowSegments segment_window(const DecodingResult& result, const SpecialTokens& special, int seek, int segment_size,
                              int input_stride, double time_precision) {
  const std::vector<int32_t>& tokens = result.tokens;
  const double time_offset = seek / kFramesPerSecond;
  const auto is_timestamp = [&](std::size_t i) { return tokens[i] >= special.timestamp_begin; };
  const auto position = [&](int32_t token) { return token - special.timestamp_begin; };
  const auto make_segment = [&](double start, double end, std::vector<int32_t> segment_tokens) {
    Segment segment;
    segment.seek = seek;
    segment.start = start;
    segment.end = end;
    segment.tokens = std::move(segment_tokens);
    segment.temperature = result.temperature;
    segment.avg_logprob = result.avg_logprob;
    segment.compression_ratio = result.compression_ratio;
    segment.no_speech_prob = result.no_speech_prob;
    return segment;
  };

  WindowSegments window;
  const std::size_t n = tokens.size();
  window.single_timestamp_ending = n >= 2 && !is_timestamp(n - 2) && is_timestamp(n - 1);
  std::vector<std::size_t> slices;  // ends of segments: after each pair of consecutive timestamps
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (is_timestamp(i) && is_timestamp(i + 1)) slices.push_back(i + 1);
  }

  if (!slices.empty()) {
    if (window.single_timestamp_ending) slices.push_back(n);
    std::size_t last_slice = 0;
    for (std::size_t current : slices) {
      std::vector<int32_t> sliced(tokens.begin() + static_cast<std::ptrdiff_t>(last_slice),
                                  tokens.begin() + static_cast<std::ptrdiff_t>(current));
      const double start = time_offset + position(sliced.front()) * time_precision;
      const double end = time_offset + position(sliced.back()) * time_precision;
      window.segments.push_back(make_segment(start, end, std::move(sliced)));
      last_slice = current;
    }
    // A single timestamp at the end means no speech after it; otherwise the unfinished segment is decoded
    // again from its start in the next window.
    window.advance = window.single_timestamp_ending ? segment_size : position(tokens[last_slice - 1]) * input_stride;
  } else {
    double duration = static_cast<double>(segment_size) / kFramesPerSecond;
    const auto last_timestamp = std::find_if(tokens.rbegin(), tokens.rend(),
                                             [&](int32_t t) { return t >= special.timestamp_begin; });
    if (last_timestamp != tokens.rend() && *last_timestamp != special.timestamp_begin) {
      duration = position(*last_timestamp) * time_precision;
    }
    window.segments.push_back(make_segment(time_offset, time_offset + duration, tokens));
    window.advance = segment_size;
  }
  return window;
}

// Times the text tokens of a window's segments and returns the end of the last one (seconds), if any.
std::optional<double> add_token_timings(std::vector<Segment>& segments, ModelRunner& runner,
                                        const std::vector<int32_t>& sot_sequence, int segment_size,
                                        const TranscribeOptions& options, const SpecialTokens& special,
                                        const TranscribeEvents& events) {
  std::vector<int32_t> text_tokens;
  for (const Segment& segment : segments) {
    for (int32_t token : segment.tokens) {
      if (token < special.eot) text_tokens.push_back(token);
    }
  }
  if (text_tokens.empty()) return std::nullopt;
  const std::vector<TokenTiming> timings =
      align_tokens(runner, sot_sequence, text_tokens, segment_size, options.alignment_heads, events.cancelled);
  const double time_offset = segments.front().seek / kFramesPerSecond;
  std::size_t next = 0;
  for (Segment& segment : segments) {
    for (int32_t token : segment.tokens) {
      if (token >= special.eot) continue;
      TokenTiming timing = timings[next++];
      timing.start += time_offset;
      timing.end += time_offset;
      segment.token_timings.push_back(timing);
    }
  }
  return timings.back().end + time_offset;
}

// The transcription over a padded spectrogram of n_frames frames, read a window at a time.
Transcript transcribe_frames(ModelRunner& runner, int n_frames, const MelReader& read, const TranscribeOptions& options,
                             const TranscribeEvents& events) {
  const ModelDims& dims = runner.dims();
  if (dims.n_audio_ctx <= 0 || kWindowFrames % dims.n_audio_ctx != 0) {
    throw std::invalid_argument("the model's audio context does not divide a 30 s window");
  }
  if (!options.token_bytes || options.token_bytes->empty()) {
    throw std::invalid_argument("transcribe needs the vocabulary's token bytes");
  }
  if (options.word_timestamps && options.alignment_heads.empty()) {
    throw std::invalid_argument("word timestamps need the model's alignment heads");
  }
  const SpecialTokens special = SpecialTokens::for_vocabulary(dims.n_vocab);
  const TokenBytes& token_bytes = *options.token_bytes;
  const int content_frames = n_frames - kWindowFrames;
  const int input_stride = kWindowFrames / dims.n_audio_ctx;  // mel frames per encoder position: 2
  const double time_precision = input_stride / kFramesPerSecond;  // seconds per timestamp step: 0.02

  Transcript transcript;
  // The first window as it is (its tail is the padding's spectrogram); when the audio fills a whole window it
  // is also the first decoding window, which then needs no second encoder pass.
  bool first_window_encoded = false;
  int32_t language = special.multilingual() ? options.decoding.language_token : -1;
  if (special.multilingual() && language == -1) {
    check_cancelled(events);
    const LanguageDetection detection = detect_language(runner, window_at(read, dims.n_mels, 0, kWindowFrames).data());
    language = detection.token;
    transcript.language_probabilities = detection.probabilities;
    first_window_encoded = content_frames >= kWindowFrames;
  }
  transcript.language_token = language;

  std::vector<int32_t> all_tokens = options.initial_prompt;
  std::size_t prompt_reset_since = 0;
  DecodingHooks hooks;
  hooks.cancelled = events.cancelled;

  int seek = 0;
  for (uint64_t window_index = 0; seek < content_frames; ++window_index) {
    const int segment_size = std::min(kWindowFrames, content_frames - seek);
    const double time_offset = seek / kFramesPerSecond;
    if (events.between_windows && events.between_windows()) first_window_encoded = false;
    if (!(seek == 0 && first_window_encoded)) {
      check_cancelled(events);
      runner.encode(window_at(read, dims.n_mels, seek, segment_size).data());
    }
    if (events.on_token) {
      hooks.on_token = [&events, time_offset](const TokenEvent& token) { events.on_token(token, time_offset); };
    }

    DecodingOptions decoding = options.decoding;
    decoding.language_token = language;
    decoding.prompt.assign(all_tokens.begin() + static_cast<std::ptrdiff_t>(prompt_reset_since), all_tokens.end());
    decoding.seed = options.decoding.seed + window_index;
    DecodingTask task(runner, decoding, options.token_bytes);
    const DecodingResult result = decode_with_fallback(task, options.fallback, hooks);

    const int previous_seek = seek;
    if (is_silence(result, options.fallback)) {
      seek += segment_size;
      if (events.on_progress) events.on_progress(std::min(content_frames, seek), content_frames);
      continue;
    }

    WindowSegments window = segment_window(result, special, seek, segment_size, input_stride, time_precision);
    seek += window.advance;
    if (options.word_timestamps) {
      std::optional<double> last_end =
          add_token_timings(window.segments, runner, task.sot_sequence(), segment_size, options, special, events);
      // openai's get_end: without words (a window of timestamps only), the last segment's end.
      if (!last_end && !window.segments.empty()) last_end = window.segments.back().end;
      if (!window.single_timestamp_ending && last_end && *last_end > time_offset) {
        seek = static_cast<int>(std::nearbyint(*last_end * kFramesPerSecond));
      }
    }
    // openai would loop forever on a window that does not move (only possible when timestamps are off yet the
    // model emits a <|0.00|> pair); take the whole window instead.
    if (seek <= previous_seek) seek = previous_seek + segment_size;

    for (Segment& segment : window.segments) {
      if (segment.start == segment.end || !has_text(segment.tokens, token_bytes, special.eot)) {
        segment.tokens.clear();
        segment.token_timings.clear();
      }
      all_tokens.insert(all_tokens.end(), segment.tokens.begin(), segment.tokens.end());
      if (events.on_segment) events.on_segment(segment);
      transcript.segments.push_back(std::move(segment));
    }
    if (!options.condition_on_previous_text || result.temperature > 0.5f) prompt_reset_since = all_tokens.size();
    if (events.on_progress) events.on_progress(std::min(content_frames, seek), content_frames);
  }
  return transcript;
}

}  // namespace

Transcript transcribe(ModelRunner& runner, const Spectrogram& padded_mel, const TranscribeOptions& options,
                      const TranscribeEvents& events) {
  if (padded_mel.n_mels != runner.dims().n_mels) {
    throw std::invalid_argument("the spectrogram has " + std::to_string(padded_mel.n_mels) +
                                " mel bins but the model takes " + std::to_string(runner.dims().n_mels));
  }
  if (padded_mel.n_frames < kWindowFrames ||
      padded_mel.data.size() != static_cast<std::size_t>(padded_mel.n_mels) * padded_mel.n_frames) {
    throw std::invalid_argument("transcribe needs a spectrogram that ends with 30 s of zero padding");
  }
  const MelReader read = [&padded_mel](int first, int count) {
    std::vector<float> frames(static_cast<std::size_t>(padded_mel.n_mels) * count);
    for (int m = 0; m < padded_mel.n_mels; ++m) {
      const float* row = padded_mel.data.data() + static_cast<std::size_t>(m) * padded_mel.n_frames + first;
      std::copy(row, row + count, frames.begin() + static_cast<std::ptrdiff_t>(m) * count);
    }
    return frames;
  };
  return transcribe_frames(runner, padded_mel.n_frames, read, options, events);
}

Transcript transcribe_audio(ModelRunner& runner, const float* samples, std::size_t n, const TranscribeOptions& options,
                            const TranscribeEvents& events) {
  // Window by window: a long recording's spectrogram is never held whole.
  LogMelFrames mel(samples, n, runner.dims().n_mels, kWindowSamples);
  const MelReader read = [&mel](int first, int count) { return mel.frames(first, count); };
  return transcribe_frames(runner, mel.n_frames(), read, options, events);
}

Transcript transcribe_audio(ModelRunner& runner, const SampleReader& read, std::size_t n,
                            const TranscribeOptions& options, const TranscribeEvents& events) {
  LogMelFrames mel(read, n, runner.dims().n_mels, kWindowSamples);
  const MelReader read_mel = [&mel](int first, int count) { return mel.frames(first, count); };
  return transcribe_frames(runner, mel.n_frames(), read_mel, options, events);
}

}  // namespace verbatim
