// The JS `Model` class: one loaded engine. Loading, transcription and language detection run as background
// jobs ({ promise, cancel }); the JS thread only converts values.
#pragma once

#include <napi.h>

#include <memory>

#include "engine.h"

namespace verbatim::addon {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  // loadModel(folder, options) -> { promise: Promise<Model>, cancel }
  static Napi::Value Load(const Napi::CallbackInfo& info);
  // modelFamily(folder) -> the family's name, from its config.json alone (the loader's own test); throws when none
  static Napi::Value Family(const Napi::CallbackInfo& info);

  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Memory(const Napi::CallbackInfo& info);
  Napi::Value SetVocabulary(const Napi::CallbackInfo& info);
  Napi::Value Transcribe(const Napi::CallbackInfo& info);
  // startStream(options, onEvent) -> { promise, cancel, push(Float32Array), endUtterance(), finish() }
  Napi::Value StartStream(const Napi::CallbackInfo& info);
  Napi::Value DetectLanguage(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);

  std::shared_ptr<Engine> engine() const;

  // Shared with running jobs, so free() never pulls the model from under one: memory goes when the last ends.
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const TokenBytes> token_bytes_;
};

}  // namespace verbatim::addon
