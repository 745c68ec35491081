// Engine results as JS values (called on the JS thread).
#pragma once

#include <napi.h>

#include "engine.h"
#include "streaming/streaming.h"
#include "transcript/detected_language.h"
#include "transcript/token_event.h"
#include "transcript/transcript.h"

namespace verbatim::addon {

Napi::Object model_info_to_js(Napi::Env env, const Engine& engine);
// MLX's memory figures, or null on the portable CPU backend.
Napi::Value memory_to_js(Napi::Env env, const Engine& engine);
// A load's packing as the addon's types say it ({ bits, groupSize }), or null for weights as stored.
Napi::Value quantization_to_js(Napi::Env env, const std::optional<Quantization>& quantization);
Napi::Object token_event_to_js(Napi::Env env, const TokenEvent& token, double window_start);
Napi::Object segment_to_js(Napi::Env env, const Segment& segment);
Napi::Object transcript_to_js(Napi::Env env, const Transcript& transcript);
Napi::Object language_detection_to_js(Napi::Env env, const DetectedLanguage& detection);
Napi::Object streaming_update_to_js(Napi::Env env, const StreamingUpdate& update);
Napi::Object utterance_to_js(Napi::Env env, const Utterance& utterance);
Napi::Object streaming_transcript_to_js(Napi::Env env, const StreamingTranscript& transcript);

}  // namespace verbatim::addon
