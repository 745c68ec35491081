// Engine results as JS values (called on the JS thread).
#pragma once

#include <napi.h>

#include "engine.h"
#include "streaming/streaming.h"

namespace verbatim::addon {

Napi::Object model_info_to_js(Napi::Env env, const Engine& engine);
// MLX's memory figures, or null on the portable CPU backend.
Napi::Value memory_to_js(Napi::Env env, const Engine& engine);
Napi::Object token_event_to_js(Napi::Env env, const TokenEvent& token, double window_start);
Napi::Object segment_to_js(Napi::Env env, const Segment& segment);
Napi::Object transcript_to_js(Napi::Env env, const Transcript& transcript, const SpecialTokens& special);
Napi::Object language_detection_to_js(Napi::Env env, const LanguageDetection& detection, const SpecialTokens& special);
Napi::Object streaming_update_to_js(Napi::Env env, const StreamingUpdate& update);
Napi::Object utterance_to_js(Napi::Env env, const Utterance& utterance, const SpecialTokens& special);
Napi::Object streaming_transcript_to_js(Napi::Env env, const StreamingTranscript& transcript,
                                        const SpecialTokens& special);

}  // namespace verbatim::addon
