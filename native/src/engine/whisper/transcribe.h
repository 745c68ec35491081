// Long-form transcription as openai/whisper transcribe(): 30 s windows over the log-mel spectrogram, seeking
// by the decoded timestamps, previous-text conditioning, temperature fallback and silence skipping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "audio/samples.h"
#include "transcript/token_bytes.h"
#include "transcript/transcribe_events.h"
#include "transcript/transcript.h"
#include "whisper/decoding.h"
#include "whisper/mel.h"
#include "whisper/whisper_runner.h"

namespace verbatim {

struct WhisperTranscribeOptions {
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
};

// Transcribes a spectrogram computed over the audio followed by 30 s of zeros (log_mel_spectrogram with
// kWindowSamples of zero padding), so n_frames = audio frames + 3000. Throws std::invalid_argument when the
// spectrogram does not fit the model, Cancelled when cancelled.
Transcript transcribe(WhisperRunner& runner, const Spectrogram& padded_mel, const WhisperTranscribeOptions& options,
                      const TranscribeEvents& events);

// Transcribes 16 kHz mono samples in [-1, 1].
Transcript transcribe_audio(WhisperRunner& runner, const float* samples, std::size_t n,
                            const WhisperTranscribeOptions& options, const TranscribeEvents& events);

// Transcribes `n` such samples read through `read` about 30 s at a time (from a file: they need not be in memory).
Transcript transcribe_audio(WhisperRunner& runner, const SampleReader& read, std::size_t n,
                            const WhisperTranscribeOptions& options, const TranscribeEvents& events);

}  // namespace verbatim
