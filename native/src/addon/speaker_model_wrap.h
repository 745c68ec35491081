// The JS `SpeakerModel` class: one loaded speaker diarization model (engine/speakers/). Loading and diarizing a
// recording run as background jobs ({ promise, cancel }), and so does each push and the finish of a stream
// (SpeakerStreamWrap), one at a time per stream.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "background_job.h"
#include "speakers/speaker_model.h"

namespace verbatim::addon {

class SpeakerModelWrap : public Napi::ObjectWrap<SpeakerModelWrap> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  explicit SpeakerModelWrap(const Napi::CallbackInfo& info);

 private:
  // loadSpeakerModel(folder, { backend, threads, mlxCacheLimitBytes, mlxWiredLimitBytes }) -> { promise: Promise<SpeakerModel>, cancel }
  static Napi::Value Load(const Napi::CallbackInfo& info);
  // info() -> { speakers, frameSeconds, streamingModes, streamingMode, backend, device }
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
  // push(Float32Array) -> { promise: Promise<Float32Array> (the new frames' probabilities, frames x speakers),
  // cancel }; refused after finish() or while another push runs
  Napi::Value Push(const Napi::CallbackInfo& info);
  // finish() -> { promise: Promise<{ probabilities: Float32Array (the last frames), segments }>, cancel }
  Napi::Value Finish(const Napi::CallbackInfo& info);

  void claim(const char* next);
  Napi::Value run_claimed(Napi::Env env, std::function<ValueMaker()> work);

  std::shared_ptr<SpeakerStream> stream_;  // shared with the running push; null once finished
  std::shared_ptr<std::atomic<bool>> running_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace verbatim::addon
