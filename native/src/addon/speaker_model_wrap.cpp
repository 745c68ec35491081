#include "speaker_model_wrap.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "background_job.h"
#include "errors.h"
#include "js_options.h"
#include "js_values.h"
#include "streaming/audio_inbox.h"

namespace verbatim::addon {
namespace {

struct SpeakerConstructors {
  Napi::FunctionReference model, stream;
};

// This JS environment's constructors (each worker thread loading the addon has its own).
SpeakerConstructors*& registered() {
  static thread_local SpeakerConstructors* current = nullptr;
  return current;
}

Napi::Float32Array floats_to_js(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

Napi::Array segments_to_js(Napi::Env env, const std::vector<SpeakerSegment>& segments) {
  Napi::Array out = Napi::Array::New(env, segments.size());
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Napi::Object s = Napi::Object::New(env);
    s.Set("speaker", segments[i].speaker);
    s.Set("start", segments[i].start);
    s.Set("end", segments[i].end);
    out.Set(static_cast<uint32_t>(i), s);
  }
  return out;
}

const float* samples_of(const Napi::Value& value, std::size_t& count) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::invalid_argument("audio must be a Float32Array of 16 kHz mono samples");
  Napi::Float32Array audio = value.As<Napi::Float32Array>();
  count = audio.ElementLength();
  return audio.Data();
}

}  // namespace

void SpeakerModelWrap::Register(Napi::Env env, Napi::Object exports) {
  auto* made = new SpeakerConstructors;
  made->model = Napi::Persistent(DefineClass(env, "SpeakerModel",
                                             {
                                                 InstanceMethod("info", &SpeakerModelWrap::Info),
                                                 InstanceMethod("diarize", &SpeakerModelWrap::Diarize),
                                                 InstanceMethod("startStream", &SpeakerModelWrap::StartStream),
                                                 InstanceMethod("free", &SpeakerModelWrap::Free),
                                             }));
  made->stream = Napi::Persistent(SpeakerStreamWrap::Define(env));
  registered() = made;
  env.AddCleanupHook([made]() {
    if (registered() == made) registered() = nullptr;
    delete made;
  });
  exports.Set("loadSpeakerModel", Napi::Function::New(env, &SpeakerModelWrap::Load));
}

SpeakerModelWrap::SpeakerModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SpeakerModelWrap>(info) {}

std::shared_ptr<SpeakerModel> SpeakerModelWrap::model() const {
  if (!model_) throw std::invalid_argument("the speaker model has been freed");
  return model_;
}

Napi::Value SpeakerModelWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw std::invalid_argument("the speaker model folder must be a string");
    const std::string folder = info[0].As<Napi::String>().Utf8Value();
    const EngineOptions options = read_engine_options(info[1]);
    SpeakerConstructors* made = registered();
    if (made == nullptr) throw std::logic_error("the speaker model classes are not registered");
    return start_background_job(env, env.Undefined(), Napi::Object::New(env), [folder, options, made](JobContext&) {
      std::shared_ptr<SpeakerModel> model = SpeakerModel::load(folder, options);
      return ValueMaker([model, made](Napi::Env) -> Napi::Value {
        Napi::Object wrap = made->model.New({});
        SpeakerModelWrap::Unwrap(wrap)->model_ = model;
        return wrap;
      });
    });
  });
}

Napi::Value SpeakerModelWrap::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::shared_ptr<SpeakerModel> m = model();
    const SpeakerConfig& c = m->config();
    Napi::Object out = Napi::Object::New(env);
    out.Set("speakers", c.cache.speakers);
    out.Set("frameSeconds", m->frame_seconds());
    Napi::Array modes = Napi::Array::New(env, c.streaming_modes.size());
    for (std::size_t i = 0; i < c.streaming_modes.size(); ++i) {
      Napi::Object mode = Napi::Object::New(env);
      mode.Set("name", c.streaming_modes[i].first);
      mode.Set("chunkFrames", c.streaming_modes[i].second.first);
      mode.Set("rightContextFrames", c.streaming_modes[i].second.second);
      modes.Set(static_cast<uint32_t>(i), mode);
    }
    out.Set("streamingModes", modes);
    out.Set("streamingMode", c.default_streaming_mode);
    out.Set("encoderFrameSeconds", m->frame_seconds() * c.subsampling);
    out.Set("backend", m->backend_name());
    out.Set("device", m->device_name());
    out.Set("quantization", quantization_to_js(env, c.quantize));
    return out;
  });
}

Napi::Value SpeakerModelWrap::Diarize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::shared_ptr<SpeakerModel> m = model();
    std::size_t count = 0;
    const float* data = samples_of(info[0], count);
    // copied: the job reads them on another thread, after the caller may have reused the buffer
    auto samples = std::make_shared<std::vector<float>>(data, data + count);
    return start_background_job(env, info[1], Value(), [m, samples](JobContext& job) {
      SpeakerActivity activity = m->diarize(
          samples->data(), samples->size(),
          [&job](double fraction) {
            job.emit([fraction](Napi::Env e) -> Napi::Value {
              Napi::Object event = Napi::Object::New(e);
              event.Set("type", "progress");
              event.Set("fraction", fraction);
              return event;
            });
          },
          [&job]() { return job.cancelled(); });
      SegmentTracker tracker(activity.speakers, activity.frame_seconds);
      tracker.add(activity.probabilities.data(), activity.frames);
      auto result = std::make_shared<std::pair<SpeakerActivity, std::vector<SpeakerSegment>>>(std::move(activity),
                                                                                               tracker.finish());
      return ValueMaker([result](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("probabilities", floats_to_js(e, result->first.probabilities));
        out.Set("frames", static_cast<double>(result->first.frames));
        out.Set("segments", segments_to_js(e, result->second));
        return out;
      });
    });
  });
}

Napi::Value SpeakerModelWrap::StartStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::shared_ptr<SpeakerModel> m = model();
    std::string mode;
    if (info[0].IsString()) {
      mode = info[0].As<Napi::String>().Utf8Value();
    } else if (!info[0].IsUndefined()) {
      throw std::invalid_argument("a speaker stream's mode must be the name of one of the model's streaming modes");
    }
    SpeakerConstructors* made = registered();
    if (made == nullptr) throw std::logic_error("the speaker model classes are not registered");
    Napi::Object stream = made->stream.New({});
    SpeakerStreamWrap::Unwrap(stream)->start(m, mode);
    return stream;
  });
}

Napi::Value SpeakerModelWrap::Free(const Napi::CallbackInfo& info) {
  model_.reset();
  return info.Env().Undefined();
}

Napi::Function SpeakerStreamWrap::Define(Napi::Env env) {
  return DefineClass(env, "SpeakerStream",
                     {
                         InstanceMethod("push", &SpeakerStreamWrap::Push),
                         InstanceMethod("finish", &SpeakerStreamWrap::Finish),
                     });
}

SpeakerStreamWrap::SpeakerStreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SpeakerStreamWrap>(info) {}

void SpeakerStreamWrap::start(std::shared_ptr<SpeakerModel> model, const std::string& mode) {
  stream_ = std::make_shared<SpeakerStream>(std::move(model), mode);
}

// Claims the stream for one push or finish (the engine's stream is not safe to call from two threads); the job
// gives it back when its work ends, before its promise settles.
void SpeakerStreamWrap::claim(const char* next) {
  if (!stream_) throw StreamClosed("the speaker stream has finished: start a new one");
  if (running_->exchange(true)) {
    throw std::invalid_argument(
        std::string("a push is still running on this speaker stream: await its promise before ") + next);
  }
}

Napi::Value SpeakerStreamWrap::Push(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::size_t count = 0;
    const float* data = samples_of(info[0], count);
    // copied: the job reads them on another thread, after the caller may have reused the buffer
    auto samples = std::make_shared<std::vector<float>>(data, data + count);
    claim("the next push");
    std::shared_ptr<SpeakerStream> stream = stream_;
    return run_claimed(env, [stream, samples]() {
      auto frames = std::make_shared<std::vector<float>>(stream->push(samples->data(), samples->size()));
      return ValueMaker([frames](Napi::Env e) -> Napi::Value { return floats_to_js(e, *frames); });
    });
  });
}

Napi::Value SpeakerStreamWrap::Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    claim("finish()");
    std::shared_ptr<SpeakerStream> stream = std::move(stream_);  // later pushes are refused at once
    return run_claimed(env, [stream]() {
      auto last = std::make_shared<std::vector<float>>(stream->finish());
      auto segments = std::make_shared<std::vector<SpeakerSegment>>(stream->segments());
      return ValueMaker([last, segments](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("probabilities", floats_to_js(e, *last));
        out.Set("segments", segments_to_js(e, *segments));
        return out;
      });
    });
  });
}

Napi::Value SpeakerStreamWrap::run_claimed(Napi::Env env, std::function<ValueMaker()> work) {
  std::shared_ptr<std::atomic<bool>> running = running_;
  try {
    return start_background_job(env, env.Undefined(), Value(), [running, work = std::move(work)](JobContext&) {
      struct Release {
        std::atomic<bool>& flag;
        ~Release() { flag = false; }
      } release{*running};
      return work();
    });
  } catch (...) {
    *running = false;
    throw;
  }
}

}  // namespace verbatim::addon
