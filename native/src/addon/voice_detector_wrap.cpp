#include "voice_detector_wrap.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "background_job.h"
#include "transcript/cancelled.h"
#include "errors.h"
#include "sample_file.h"

namespace verbatim::addon {
namespace {

// Weights by file, kept while a stream uses them.
std::shared_ptr<const SileroVadWeights> shared_weights(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const SileroVadWeights>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<const SileroVadWeights> weights = loaded[path].lock();
  if (!weights) {
    weights = SileroVadWeights::load(path);
    loaded[path] = weights;
  }
  return weights;
}

}  // namespace

void VoiceDetectorWrap::Register(Napi::Env env, Napi::Object exports) {
  exports.Set("VoiceDetector",
              DefineClass(env, "VoiceDetector",
                          {
                              InstanceMethod("probability", &VoiceDetectorWrap::Probability),
                              InstanceMethod("fileProbabilities", &VoiceDetectorWrap::FileProbabilities),
                              InstanceMethod("reset", &VoiceDetectorWrap::Reset),
                              StaticValue("frameSamples", Napi::Number::New(env, SileroVad::kFrameSamples)),
                          }));
}

VoiceDetectorWrap::VoiceDetectorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VoiceDetectorWrap>(info) {
  guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsString()) throw std::invalid_argument("the voice detector's weights must be a file path");
    vad_ = std::make_shared<SileroVad>(shared_weights(info[0].As<Napi::String>().Utf8Value()));
    return info.Env().Undefined();
  });
}

void VoiceDetectorWrap::ensure_idle() const {
  if (busy_->load()) throw std::invalid_argument("the voice detector is still working through earlier samples");
}

Napi::Value VoiceDetectorWrap::Probability(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ensure_idle();
    const std::string wrong = "a voice detector frame is a Float32Array or Int16Array of " +
                              std::to_string(SileroVad::kFrameSamples) + " samples";
    if (!info[0].IsTypedArray()) throw std::invalid_argument(wrong);
    Napi::TypedArray frame = info[0].As<Napi::TypedArray>();
    if (frame.ElementLength() != SileroVad::kFrameSamples) throw std::invalid_argument(wrong);
    if (frame.TypedArrayType() == napi_float32_array)
      return Napi::Number::New(env, vad_->probability(frame.As<Napi::Float32Array>().Data()));
    if (frame.TypedArrayType() != napi_int16_array) throw std::invalid_argument(wrong);
    float samples[SileroVad::kFrameSamples];
    const int16_t* pcm = frame.As<Napi::Int16Array>().Data();
    for (int i = 0; i < SileroVad::kFrameSamples; ++i) samples[i] = static_cast<float>(pcm[i]) / 32768.0f;
    return Napi::Number::New(env, vad_->probability(samples));
  });
}

Napi::Value VoiceDetectorWrap::FileProbabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber())
      throw std::invalid_argument("fileProbabilities takes a samples file, the first sample and the sample count");
    const double first = info[1].As<Napi::Number>().DoubleValue();
    const double count = info[2].As<Napi::Number>().DoubleValue();
    if (!(first >= 0 && count >= 0 && first == std::floor(first) && count == std::floor(count)))
      throw std::invalid_argument("the first sample and the sample count must be whole numbers, 0 or more");
    auto file = std::make_shared<SampleFile>(info[0].As<Napi::String>().Utf8Value());
    const auto from = static_cast<std::size_t>(first);
    const auto samples = static_cast<std::size_t>(count);
    if (from + samples > file->size())
      throw std::invalid_argument("the samples file has " + std::to_string(file->size()) + " samples, not " +
                                  std::to_string(from + samples));
    ensure_idle();
    busy_->store(true);
    std::shared_ptr<SileroVad> vad = vad_;
    std::shared_ptr<std::atomic<bool>> busy = busy_;
    const std::size_t frames = samples / SileroVad::kFrameSamples;
    return start_background_job(env, env.Undefined(), Value(), [vad, busy, file, from, frames](JobContext& job) {
      struct Idle {
        std::atomic<bool>& busy;
        ~Idle() { busy.store(false); }
      } idle{*busy};
      constexpr std::size_t kFramesPerRead = 64;  // 2 s of samples in a buffer made once per job
      std::vector<float> read(kFramesPerRead * SileroVad::kFrameSamples);
      auto out = std::make_shared<std::vector<float>>(frames);
      for (std::size_t done = 0; done < frames; done += kFramesPerRead) {
        if (job.cancelled()) throw Cancelled();
        const std::size_t n = std::min(kFramesPerRead, frames - done);
        file->read(from + done * SileroVad::kFrameSamples, n * SileroVad::kFrameSamples, read.data());
        for (std::size_t f = 0; f < n; ++f)
          (*out)[done + f] = vad->probability(read.data() + f * SileroVad::kFrameSamples);
      }
      return ValueMaker([out](Napi::Env js) -> Napi::Value {
        Napi::Float32Array result = Napi::Float32Array::New(js, out->size());
        std::copy(out->begin(), out->end(), result.Data());
        return result;
      });
    });
  });
}

Napi::Value VoiceDetectorWrap::Reset(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    ensure_idle();
    vad_->reset();
    return info.Env().Undefined();
  });
}

}  // namespace verbatim::addon
