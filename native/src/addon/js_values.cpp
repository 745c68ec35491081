#include "js_values.h"

#include <optional>
#include <string>

namespace verbatim::addon {
namespace {

Napi::Array int_array(Napi::Env env, const std::vector<int32_t>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) array.Set(i, Napi::Number::New(env, values[i]));
  return array;
}

// A language code, or null where the model does not say.
Napi::Value language_code(Napi::Env env, const std::string& code) {
  return code.empty() ? env.Null() : Napi::String::New(env, code);
}

// { "en": 0.93, "de": 0.01, ... } over the model's languages.
Napi::Object language_probabilities(Napi::Env env, const LanguageProbabilities& probabilities) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& [code, probability] : probabilities) object.Set(code, probability);
  return object;
}

Napi::Object sizes_to_js(Napi::Env env, const ModelDescription::Sizes& sizes) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& [name, value] : sizes) object.Set(name, value);
  return object;
}

}  // namespace

Napi::Object model_info_to_js(Napi::Env env, const Engine& engine) {
  const ModelDescription description = engine.description();
  Napi::Object info = Napi::Object::New(env);
  info.Set("family", engine.family());
  info.Set("dims", description.dims ? Napi::Value(sizes_to_js(env, *description.dims)) : env.Null());
  info.Set("sizes", sizes_to_js(env, description.sizes));
  info.Set("nVocab", engine.vocabulary_size());

  const FamilyCapabilities& c = engine.capabilities();
  Napi::Object capabilities = Napi::Object::New(env);
  capabilities.Set("languageDetection", c.language_detection);
  capabilities.Set("chooseLanguage", c.choose_language);
  capabilities.Set("translate", c.translate);
  capabilities.Set("prompt", c.prompt);
  capabilities.Set("boosting", c.boosting);
  capabilities.Set("decodingOptions", c.decoding_options);
  capabilities.Set("wordTimestamps", c.word_timestamps);
  capabilities.Set("streaming", c.streaming);
  Napi::Array languages = Napi::Array::New(env, c.languages.size());
  for (uint32_t i = 0; i < c.languages.size(); ++i) languages.Set(i, c.languages[i]);
  capabilities.Set("languages", languages);
  info.Set("capabilities", capabilities);

  if (description.vocabulary.empty()) {
    info.Set("vocabulary", env.Null());
  } else {
    Napi::Array vocabulary = Napi::Array::New(env, description.vocabulary.size());
    for (uint32_t i = 0; i < description.vocabulary.size(); ++i) vocabulary.Set(i, description.vocabulary[i]);
    info.Set("vocabulary", vocabulary);
  }

  info.Set("backend", engine.backend_name());
  info.Set("device", engine.device_name());
  info.Set("weightsPath", description.weights_path);
  info.Set("loadSeconds", engine.load_seconds());
  info.Set("quantization", quantization_to_js(env, description.quantization));
  Napi::Array heads = Napi::Array::New(env, description.stored_alignment_heads.size());
  for (uint32_t i = 0; i < description.stored_alignment_heads.size(); ++i) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, description.stored_alignment_heads[i].first);
    pair.Set(1u, description.stored_alignment_heads[i].second);
    heads.Set(i, pair);
  }
  info.Set("storedAlignmentHeads", heads);
  return info;
}

Napi::Value quantization_to_js(Napi::Env env, const std::optional<Quantization>& quantization) {
  if (!quantization) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("bits", quantization->bits);
  out.Set("groupSize", quantization->group_size);
  return out;
}

Napi::Value memory_to_js(Napi::Env env, const Engine& engine) {
  const std::optional<MlxMemory> memory = engine.memory();
  if (!memory) return env.Null();
  Napi::Object object = Napi::Object::New(env);
  object.Set("activeBytes", static_cast<double>(memory->active_bytes));
  object.Set("peakBytes", static_cast<double>(memory->peak_bytes));
  object.Set("cacheBytes", static_cast<double>(memory->cache_bytes));
  return object;
}

Napi::Object token_event_to_js(Napi::Env env, const TokenEvent& token, double window_start) {
  Napi::Object event = Napi::Object::New(env);
  event.Set("type", "token");
  event.Set("token", token.token);
  event.Set("probability", token.probability);
  event.Set("temperature", token.temperature);
  event.Set("windowStart", window_start);
  if (token.timestamp) event.Set("timestamp", *token.timestamp);
  return event;
}

Napi::Object segment_to_js(Napi::Env env, const Segment& segment) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("seek", segment.seek);
  object.Set("start", segment.start);
  object.Set("end", segment.end);
  object.Set("tokens", int_array(env, segment.tokens));
  object.Set("temperature", segment.temperature);
  object.Set("avgLogprob", segment.avg_logprob);
  object.Set("compressionRatio", segment.compression_ratio);
  object.Set("noSpeechProb", segment.no_speech_prob);
  if (!segment.token_timings.empty()) {
    Napi::Array timings = Napi::Array::New(env, segment.token_timings.size());
    for (uint32_t i = 0; i < segment.token_timings.size(); ++i) {
      const TokenTiming& t = segment.token_timings[i];
      Napi::Object timing = Napi::Object::New(env);
      timing.Set("token", t.token);
      timing.Set("start", t.start);
      timing.Set("end", t.end);
      timing.Set("probability", t.probability);
      timings.Set(i, timing);
    }
    object.Set("tokenTimings", timings);
  }
  if (!segment.words.empty()) {
    Napi::Array words = Napi::Array::New(env, segment.words.size());
    for (uint32_t i = 0; i < segment.words.size(); ++i) {
      const Word& w = segment.words[i];
      Napi::Object word = Napi::Object::New(env);
      Napi::Array tokens = Napi::Array::New(env, w.tokens.size());
      for (uint32_t k = 0; k < w.tokens.size(); ++k) tokens.Set(k, w.tokens[k]);
      word.Set("tokens", tokens);
      word.Set("start", w.start);
      word.Set("end", w.end);
      word.Set("probability", w.probability);
      words.Set(i, word);
    }
    object.Set("words", words);
  }
  return object;
}

Napi::Object transcript_to_js(Napi::Env env, const Transcript& transcript) {
  Napi::Array segments = Napi::Array::New(env, transcript.segments.size());
  for (uint32_t i = 0; i < transcript.segments.size(); ++i) segments.Set(i, segment_to_js(env, transcript.segments[i]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("segments", segments);
  result.Set("language", language_code(env, transcript.language));
  if (!transcript.language_probabilities.empty())
    result.Set("languageProbabilities", language_probabilities(env, transcript.language_probabilities));
  return result;
}

Napi::Object language_detection_to_js(Napi::Env env, const DetectedLanguage& detection) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("language", language_code(env, detection.language));
  result.Set("probabilities", language_probabilities(env, detection.probabilities));
  return result;
}

Napi::Object streaming_update_to_js(Napi::Env env, const StreamingUpdate& update) {
  Napi::Object event = Napi::Object::New(env);
  event.Set("type", "update");
  event.Set("utterance", update.utterance);
  event.Set("committed", int_array(env, update.committed));
  event.Set("tentative", int_array(env, update.tentative));
  event.Set("audioSeconds", update.audio_seconds);
  return event;
}

Napi::Object utterance_to_js(Napi::Env env, const Utterance& utterance) {
  Napi::Object result = transcript_to_js(env, utterance.transcript);
  result.Set("index", utterance.index);
  result.Set("start", utterance.start);
  result.Set("end", utterance.end);
  result.Set("liveTokens", int_array(env, utterance.live_tokens));
  return result;
}

Napi::Object streaming_transcript_to_js(Napi::Env env, const StreamingTranscript& transcript) {
  Napi::Array utterances = Napi::Array::New(env, transcript.utterances.size());
  for (uint32_t i = 0; i < transcript.utterances.size(); ++i)
    utterances.Set(i, utterance_to_js(env, transcript.utterances[i]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("utterances", utterances);
  return result;
}

}  // namespace verbatim::addon
