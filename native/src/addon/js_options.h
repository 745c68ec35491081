// Reading the options objects JS passes in. A wrong type or value throws std::invalid_argument naming the
// option, which reaches JS as an ERR_INVALID_ARGUMENT error.
#pragma once

#include <napi.h>

#include "engine.h"
#include "streaming/streaming.h"
#include "whisper/transcribe.h"

namespace verbatim::addon {

EngineOptions read_engine_options(const Napi::Value& value);

// `special` picks the vocabulary's token ids (language codes are mapped to tokens with it).
TranscribeOptions read_transcribe_options(const Napi::Value& value, const SpecialTokens& special);

// The transcribe options (for the final pass and the live decode) plus the streaming policy's.
StreamingOptions read_streaming_options(const Napi::Value& value, const SpecialTokens& special);

}  // namespace verbatim::addon
