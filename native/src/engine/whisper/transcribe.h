// Long-form transcription as openai/whisper transcribe(): 30 s windows over the log-mel spectrogram, seeking
// by the decoded timestamps, previous-text conditioning, temperature fallback and silence skipping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "whisper/alignment.h"
#include "whisper/decoding.h"
#include "transducer/transducer_chunks.h"
#include "whisper/mel.h"
#include "whisper/whisper_runner.h"
#include "whisper/token_text.h"
#include "whisper/words.h"

namespace verbatim {

struct TranscribeOptions {
  // Per-window decoding. language_token -1 detects the language on the first window (English-only models
  // need none); `prompt` is set per window from the previous text; window k samples with seed + k.
  DecodingOptions decoding;
  FallbackOptions fallback;
  bool condition_on_previous_text = true;
  std::vector<int32_t> initial_prompt;  // tokens of the user's prompt for the first window (and after)
  // Time every text token (needs alignment_heads) and make openai's words of them: windows then seek by the last
  // word's end, and segments start and end with their words (timing.py add_word_timestamps).
  bool word_timestamps = false;
  HeadList alignment_heads;
  // openai's clip_timestamps: start, end, start, end, ... seconds of the audio to transcribe, in that order; a
  // last start without an end runs to the end of the audio. Empty: all of it (openai's "0"). Times past the end
  // of the audio are cut to it (openai would decode empty windows there forever). Must not be negative.
  std::vector<double> clip_timestamps;
  // openai's hallucination_silence_threshold (seconds; acts only with word_timestamps): a segment that looks like
  // a hallucination (improbable, very short or very long words) is dropped and the window decoded again after it
  // when silence longer than this surrounds it, and the silence before a doubtful first segment is skipped.
  std::optional<double> hallucination_silence_threshold;
  // Bytes of every text token: needed for the compression ratio and to recognise segments without text.
  std::shared_ptr<const TokenBytes> token_bytes;
  // Parakeet: the chunks long files are decoded in (absent: ChunkingOptions' defaults). Whisper reads long files
  // in its 30 s windows and refuses this.
  std::optional<ChunkingOptions> chunking;
};

struct Segment {
  int seek = 0;  // mel frame where the segment's window starts
  double start = 0;  // seconds from the start of the audio
  double end = 0;
  // Text and timestamp tokens; empty when the segment has no text or no length (as openai clears them).
  std::vector<int32_t> tokens;
  float temperature = 0;
  double avg_logprob = 0;
  double compression_ratio = 0;
  double no_speech_prob = 0;
  std::vector<TokenTiming> token_timings;  // with word_timestamps: its text tokens, in seconds from the audio start
  std::vector<Word> words;  // with word_timestamps: openai's words (add_word_timestamps), empty when cleared
};

struct TranscribeEvents {
  // Every token as it is chosen, with the start of its window in seconds. Provisional: see TokenEvent.
  std::function<void(const TokenEvent& token, double window_start)> on_token;
  std::function<void(const Segment& segment)> on_segment;  // final segments, in order
  std::function<void(int done_frames, int total_frames)> on_progress;  // after each window
  std::function<bool()> cancelled;  // polled before every model call; throws Cancelled
  // Called before each window; true when other work used the runner meanwhile (its encoder state is then gone).
  std::function<bool()> between_windows;
};

struct Transcript {
  std::vector<Segment> segments;
  int32_t language_token = -1;  // -1 for English-only models
  std::vector<float> language_probabilities;  // per language index, when the language was detected
};

// Transcribes a spectrogram computed over the audio followed by 30 s of zeros (log_mel_spectrogram with
// kWindowSamples of zero padding), so n_frames = audio frames + 3000. Throws std::invalid_argument when the
// spectrogram does not fit the model, Cancelled when cancelled.
Transcript transcribe(WhisperRunner& runner, const Spectrogram& padded_mel, const TranscribeOptions& options,
                      const TranscribeEvents& events);

// Transcribes 16 kHz mono samples in [-1, 1].
Transcript transcribe_audio(WhisperRunner& runner, const float* samples, std::size_t n, const TranscribeOptions& options,
                            const TranscribeEvents& events);

// Transcribes `n` such samples read through `read` about 30 s at a time (from a file: they need not be in memory).
Transcript transcribe_audio(WhisperRunner& runner, const SampleReader& read, std::size_t n,
                            const TranscribeOptions& options, const TranscribeEvents& events);

}  // namespace verbatim
