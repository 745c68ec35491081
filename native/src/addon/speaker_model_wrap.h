// The JS `SpeakerModel` class: one loaded speaker diarization model (engine/speakers/). Loading and diarizing a
// recording run as background jobs ({ promise, cancel }); a stream (SpeakerStreamWrap) runs each chunk on the JS
// thread as its samples arrive.
#pragma once

#include <napi.h>

#include <memory>

#include "speakers/speaker_model.h"

namespace verbatim::addon {

class SpeakerModelWrap : public Napi::ObjectWrap<SpeakerModelWrap> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  explicit SpeakerModelWrap(const Napi::CallbackInfo& info);

 private:
  // loadSpeakerModel(folder, { threads }) -> { promise: Promise<SpeakerModel>, cancel }
  static Napi::Value Load(const Napi::CallbackInfo& info);
  // info() -> { speakers, frameSeconds, streamingModes, streamingMode, backend }
  Napi::Value Info(const Napi::CallbackInfo& info);
  // diarize(Float32Array, onEvent) -> { promise: Promise<{ probabilities, frames, segments }>, cancel }; events
  // { type: "progress", fraction }
  Napi::Value Diarize(const Napi::CallbackInfo& info);
  // startStream(mode?: string) -> SpeakerStream
  Napi::Value StartStream(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);

  std::shared_ptr<SpeakerModel> model() const;

  std::shared_ptr<SpeakerModel> model_;  // shared with running jobs and streams
};

class SpeakerStreamWrap : public Napi::ObjectWrap<SpeakerStreamWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SpeakerStreamWrap(const Napi::CallbackInfo& info);
  void start(std::shared_ptr<SpeakerModel> model, const std::string& mode);

 private:
  // push(Float32Array) -> Float32Array of the new frames' probabilities (frames x speakers)
  Napi::Value Push(const Napi::CallbackInfo& info);
  // finish() -> { probabilities: Float32Array (the last frames), segments }
  Napi::Value Finish(const Napi::CallbackInfo& info);

  std::unique_ptr<SpeakerStream> stream_;
};

}  // namespace verbatim::addon
