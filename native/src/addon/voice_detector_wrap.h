// The JS `VoiceDetector` class: one stream's Silero VAD (vad/silero_vad.h). One frame at a time on the JS thread
// (a fraction of a millisecond), or a file's many frames as a background job.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

#include "vad/silero_vad.h"

namespace verbatim::addon {

class VoiceDetectorWrap : public Napi::ObjectWrap<VoiceDetectorWrap> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  // new VoiceDetector(weightsPath): the weights are read once per process and shared by every stream.
  explicit VoiceDetectorWrap(const Napi::CallbackInfo& info);

 private:
  // probability(frame: Float32Array | Int16Array of 512 samples) -> number
  Napi::Value Probability(const Napi::CallbackInfo& info);
  // fileProbabilities(samplesFile, firstSample, sampleCount) -> { promise: Promise<Float32Array>, cancel }: each whole
  // frame's, in order, of that stretch of a file of float samples (a file job's audio), read on the job's thread
  Napi::Value FileProbabilities(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);

  void ensure_idle() const;

  std::shared_ptr<SileroVad> vad_;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace verbatim::addon
