// Whisper's options as a caller gives them (native/lib/types.ts TranscribeOptions and StreamOptions), read into its
// own: a wrong type or value throws std::invalid_argument naming the option.
#pragma once

#include "options/option_values.h"
#include "whisper/special_tokens.h"
#include "whisper/transcribe.h"
#include "whisper/whisper_streaming.h"

namespace verbatim {

// `special` is the vocabulary's: language codes become its tokens, token lists stay below its size. The token bytes
// are the caller's to set.
WhisperTranscribeOptions read_whisper_transcribe_options(const OptionValues& values, const SpecialTokens& special);

// The transcription's options (for the final pass and the live decode) plus the live policy's. Parakeet's
// marginFrames is refused, naming frameThreshold.
WhisperStreamingOptions read_whisper_streaming_options(const OptionValues& values, const SpecialTokens& special);

// A file job's options that are another family's and would change what it gives (Parakeet's chunkSeconds and
// chunkOverlapSeconds): the refusal that fails the job, or empty.
std::string whisper_refusal(const OptionValues& values);

}  // namespace verbatim
