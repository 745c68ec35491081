#include "whisper/transcribe.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "whisper/alignment.h"
#include "whisper/language.h"
#include "whisper/special_tokens.h"
#include "whisper/words.h"

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

// Python's round(seconds * FRAMES_PER_SECOND): the nearest mel frame, ties to even.
int frame_at(double seconds) { return static_cast<int>(std::nearbyint(seconds * kFramesPerSecond)); }

// transcribe()'s seek_clips: pairs of [start, end) frames from clip_timestamps, cut to the audio's frames.
std::vector<std::pair<int, int>> seek_clips(const std::vector<double>& clip_timestamps, int content_frames) {
  std::vector<int> points;
  for (double seconds : clip_timestamps) {
    if (!std::isfinite(seconds) || seconds < 0) {
      throw std::invalid_argument("clip timestamps must be seconds from the start of the audio (not negative)");
    }
    points.push_back(frame_at(std::min(seconds, content_frames / kFramesPerSecond)));
  }
  if (points.empty()) points.push_back(0);
  if (points.size() % 2 == 1) points.push_back(content_frames);
  std::vector<std::pair<int, int>> clips;
  for (std::size_t i = 0; i + 1 < points.size(); i += 2) clips.emplace_back(points[i], points[i + 1]);
  return clips;
}

// Times the text tokens of a window's segments (token_timings, from the audio start) and gives them openai's words,
// moving each segment's start and end to its words as add_word_timestamps does.
void add_words(std::vector<Segment>& segments, WhisperRunner& runner, const std::vector<int32_t>& sot_sequence,
               int segment_size, const WhisperTranscribeOptions& options, const SpecialTokens& special, int32_t language,
               double last_speech_timestamp, const TranscribeEvents& events) {
  std::vector<WordSegment> word_segments;
  std::vector<int32_t> text_tokens;
  for (const Segment& segment : segments) {
    WordSegment& word_segment = word_segments.emplace_back();
    for (int32_t token : segment.tokens) {
      if (token < special.eot) word_segment.text_tokens.push_back(token);
    }
    text_tokens.insert(text_tokens.end(), word_segment.text_tokens.begin(), word_segment.text_tokens.end());
    word_segment.start = segment.start;
    word_segment.end = segment.end;
  }
  const std::vector<TokenTiming> timings =
      align_tokens(runner, sot_sequence, text_tokens, segment_size, options.alignment_heads, events.cancelled);
  const double time_offset = segments.front().seek / kFramesPerSecond;
  // tokenizer.split_to_word_tokens: languages written without spaces are split into characters.
  static const std::vector<std::string> kWithoutSpaces = {"zh", "ja", "th", "lo", "my", "yue"};
  const std::vector<std::string>& codes = whisper_language_codes();
  const int language_index = special.multilingual() ? language - special.first_language : 0;
  const bool split_on_unicode =
      language_index >= 0 && language_index < static_cast<int>(codes.size()) &&
      std::find(kWithoutSpaces.begin(), kWithoutSpaces.end(), codes[static_cast<std::size_t>(language_index)]) !=
          kWithoutSpaces.end();
  add_word_timestamps(word_segments, timings, time_offset, *options.token_bytes, split_on_unicode,
                      last_speech_timestamp);

  std::size_t next = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Segment& segment = segments[i];
    for (std::size_t k = 0; k < word_segments[i].text_tokens.size(); ++k) {
      TokenTiming timing = timings[next++];
      timing.start += time_offset;
      timing.end += time_offset;
      segment.token_timings.push_back(timing);
    }
    segment.start = word_segments[i].start;
    segment.end = word_segments[i].end;
    segment.words = std::move(word_segments[i].words);
  }
}

// utils.get_end: the end of the last word, else of the last segment.
std::optional<double> get_end(const std::vector<Segment>& segments) {
  for (auto segment = segments.rbegin(); segment != segments.rend(); ++segment) {
    if (!segment->words.empty()) return segment->words.back().end;
  }
  if (segments.empty()) return std::nullopt;
  return segments.back().end;
}

// transcribe()'s word_anomaly_score: improbable, very short or very long words.
double word_anomaly_score(const Word& word) {
  const double duration = word.end - word.start;
  double score = 0.0;
  if (word.probability < 0.15) score += 1.0;
  if (duration < 0.133) score += (0.133 - duration) * 15;
  if (duration > 2.0) score += duration - 2.0;
  return score;
}

// transcribe()'s is_segment_anomaly over the first 8 words that are not punctuation.
bool is_segment_anomaly(const Segment* segment) {
  if (segment == nullptr || segment->words.empty()) return false;
  const std::string punctuation = std::string(kPrependPunctuations) + kAppendPunctuations;
  double score = 0.0;
  std::size_t counted = 0;
  for (const Word& word : segment->words) {
    if (punctuation.find(word.text) != std::string::npos) continue;
    if (counted == 8) break;
    score += word_anomaly_score(word);
    ++counted;
  }
  return score >= 3 || score + 0.01 >= static_cast<double>(counted);
}

// The first of segments[from...] with words, or null.
const Segment* next_words_segment(const std::vector<Segment>& segments, std::size_t from) {
  for (std::size_t i = from; i < segments.size(); ++i) {
    if (!segments[i].words.empty()) return &segments[i];
  }
  return nullptr;
}

// The transcription over a padded spectrogram of n_frames frames, read a window at a time.
Transcript transcribe_frames(WhisperRunner& runner, int n_frames, const MelReader& read, const WhisperTranscribeOptions& options,
                             const TranscribeEvents& events) {
  const WhisperDims& dims = runner.dims();
  if (dims.n_audio_ctx <= 0 || kWindowFrames % dims.n_audio_ctx != 0) {
    throw std::invalid_argument("the model's audio context does not divide a 30 s window");
  }
  if (!options.token_bytes || options.token_bytes->empty()) {
    throw std::invalid_argument("transcribe needs the vocabulary's token bytes");
  }
  if (options.word_timestamps && options.alignment_heads.empty()) {
    throw std::invalid_argument("word timestamps need the model's alignment heads");
  }
  if (options.hallucination_silence_threshold &&
      !(std::isfinite(*options.hallucination_silence_threshold) && *options.hallucination_silence_threshold >= 0)) {
    throw std::invalid_argument("the hallucination silence threshold must be seconds (not negative)");
  }
  const SpecialTokens special = SpecialTokens::for_vocabulary(dims.n_vocab);
  const TokenBytes& token_bytes = *options.token_bytes;
  const int content_frames = n_frames - kWindowFrames;
  const double content_duration = content_frames / kFramesPerSecond;
  const int input_stride = kWindowFrames / dims.n_audio_ctx;  // mel frames per encoder position: 2
  const double time_precision = input_stride / kFramesPerSecond;  // seconds per timestamp step: 0.02
  const std::vector<std::pair<int, int>> clips = seek_clips(options.clip_timestamps, content_frames);

  Transcript transcript;
  // The first window as it is (its tail is the padding's spectrogram); when the audio fills a whole window it
  // is also the first decoding window, which then needs no second encoder pass.
  bool first_window_encoded = false;
  int32_t language = special.multilingual() ? options.decoding.language_token : -1;
  if (special.multilingual() && language == -1) {
    check_cancelled(events);
    const LanguageDetection detection = detect_language(runner, window_at(read, dims.n_mels, 0, kWindowFrames).data());
    language = detection.token;
    transcript.language_probabilities = language_probabilities(detection);
    first_window_encoded = content_frames >= kWindowFrames;
  }
  transcript.language = special.multilingual() ? language_code(special, language) : "en";

  std::vector<int32_t> all_tokens = options.initial_prompt;
  std::size_t prompt_reset_since = 0;
  DecodingHooks hooks;
  hooks.cancelled = events.cancelled;
  const auto report_progress = [&](int seek) {
    if (events.on_progress) events.on_progress(std::clamp(seek, 0, content_frames), content_frames);
  };

  // openai's loop over the clips, flattened as it is there: a window starts at the clip's start or where the last
  // one seeks to, and reads no further than the clip's end.
  std::size_t clip_index = 0;
  int seek = clips[0].first;
  double last_speech_timestamp = 0.0;
  for (uint64_t window_index = 0; clip_index < clips.size();) {
    const auto [clip_start, clip_end] = clips[clip_index];
    if (seek < clip_start) seek = clip_start;
    if (seek >= clip_end) {
      ++clip_index;
      if (clip_index < clips.size()) seek = clips[clip_index].first;
      continue;
    }
    const int segment_size = std::min({kWindowFrames, content_frames - seek, clip_end - seek});
    const double time_offset = seek / kFramesPerSecond;
    const double window_end_time = (seek + kWindowFrames) / kFramesPerSecond;
    const double segment_duration = segment_size / kFramesPerSecond;
    if (events.between_windows && events.between_windows()) first_window_encoded = false;
    if (!(seek == 0 && segment_size == kWindowFrames && first_window_encoded)) {
      check_cancelled(events);
      runner.encode(window_at(read, dims.n_mels, seek, segment_size).data());
    }
    if (events.on_token) {
      hooks.on_token = [&events, time_offset](const TokenEvent& token) { events.on_token(token, time_offset); };
    }

    DecodingOptions decoding = options.decoding;
    decoding.language_token = language;
    decoding.prompt.assign(all_tokens.begin() + static_cast<std::ptrdiff_t>(prompt_reset_since), all_tokens.end());
    decoding.seed = options.decoding.seed + window_index++;
    DecodingTask task(runner, decoding, options.token_bytes);
    const DecodingResult result = decode_with_fallback(task, options.fallback, hooks);

    const int previous_seek = seek;
    if (is_silence(result, options.fallback)) {
      seek += segment_size;
      report_progress(seek);
      continue;
    }

    WindowSegments window = segment_window(result, special, seek, segment_size, input_stride, time_precision);
    std::vector<Segment>& segments = window.segments;
    seek += window.advance;
    bool skip_window = false;
    if (options.word_timestamps) {
      add_words(segments, runner, task.sot_sequence(), segment_size, options, special, language,
                last_speech_timestamp, events);
      if (!window.single_timestamp_ending) {
        const std::optional<double> last_word_end = get_end(segments);
        if (last_word_end && *last_word_end > time_offset) seek = frame_at(*last_word_end);
      }

      // Skip silence before possible hallucinations (transcribe.py, hallucination_silence_threshold).
      if (options.hallucination_silence_threshold) {
        const double threshold = *options.hallucination_silence_threshold;
        if (!window.single_timestamp_ending) {
          const std::optional<double> last_word_end = get_end(segments);
          if (last_word_end && *last_word_end > time_offset) {
            const double remaining_duration = window_end_time - *last_word_end;
            seek = remaining_duration > threshold ? frame_at(*last_word_end) : previous_seek + segment_size;
          }
        }
        // A doubtful first segment after silence: decode again from its start, without this window's text.
        const Segment* first_segment = next_words_segment(segments, 0);
        if (first_segment != nullptr && is_segment_anomaly(first_segment)) {
          const double gap = first_segment->start - time_offset;
          if (gap > threshold) {
            seek = previous_seek + frame_at(gap);
            skip_window = true;
          }
        }
        // A doubtful segment with silence or more doubtful text on both sides ends the window's text; the next
        // window starts at it (at least 1 s on), or the audio ends there when little of it is left.
        double hal_last_end = last_speech_timestamp;
        for (std::size_t si = 0; !skip_window && si < segments.size(); ++si) {
          const Segment& segment = segments[si];
          if (segment.words.empty()) continue;
          if (is_segment_anomaly(&segment)) {
            const Segment* next_segment = next_words_segment(segments, si + 1);
            const double hal_next_start =
                next_segment != nullptr ? next_segment->words.front().start : time_offset + segment_duration;
            const bool silence_before = segment.start - hal_last_end > threshold || segment.start < threshold ||
                                        segment.start - time_offset < 2.0;
            const bool silence_after = hal_next_start - segment.end > threshold || is_segment_anomaly(next_segment) ||
                                       window_end_time - segment.end < 2.0;
            if (silence_before && silence_after) {
              seek = frame_at(std::max(time_offset + 1, segment.start));
              if (content_duration - segment.end < threshold) seek = content_frames;
              segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(si), segments.end());
              break;
            }
          }
          hal_last_end = segment.end;
        }
      }
      if (!skip_window) {
        const std::optional<double> last_word_end = get_end(segments);
        if (last_word_end) last_speech_timestamp = *last_word_end;
      }
    }
    // openai would loop forever on a window that does not move (only possible when timestamps are off yet the
    // model emits a <|0.00|> pair); take the whole window instead.
    if (seek <= previous_seek) seek = previous_seek + segment_size;
    if (skip_window) {
      report_progress(seek);
      continue;
    }

    for (Segment& segment : segments) {
      if (segment.start == segment.end || !has_text(segment.tokens, token_bytes, special.eot)) {
        segment.tokens.clear();
        segment.token_timings.clear();
        segment.words.clear();
      }
      all_tokens.insert(all_tokens.end(), segment.tokens.begin(), segment.tokens.end());
      if (events.on_segment) events.on_segment(segment);
      transcript.segments.push_back(std::move(segment));
    }
    if (!options.condition_on_previous_text || result.temperature > 0.5f) prompt_reset_since = all_tokens.size();
    report_progress(seek);
  }
  return transcript;
}

}  // namespace

Transcript transcribe(WhisperRunner& runner, const Spectrogram& padded_mel, const WhisperTranscribeOptions& options,
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

Transcript transcribe_audio(WhisperRunner& runner, const float* samples, std::size_t n,
                            const WhisperTranscribeOptions& options, const TranscribeEvents& events) {
  // Window by window: a long recording's spectrogram is never held whole.
  LogMelFrames mel(samples, n, runner.dims().n_mels, kWindowSamples);
  const MelReader read = [&mel](int first, int count) { return mel.frames(first, count); };
  return transcribe_frames(runner, mel.n_frames(), read, options, events);
}

Transcript transcribe_audio(WhisperRunner& runner, const SampleReader& read, std::size_t n,
                            const WhisperTranscribeOptions& options, const TranscribeEvents& events) {
  LogMelFrames mel(read, n, runner.dims().n_mels, kWindowSamples);
  const MelReader read_mel = [&mel](int first, int count) { return mel.frames(first, count); };
  return transcribe_frames(runner, mel.n_frames(), read_mel, options, events);
}

}  // namespace verbatim
