#include "model_wrap.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "audio/samples.h"
#include "background_job.h"
#include "errors.h"
#include "js_options.h"
#include "js_values.h"
#include "model_families.h"
#include "sample_file.h"

namespace verbatim::addon {
namespace {

// Copies the samples out of JS memory: the job reads them on another thread, after the caller may have reused
// or detached the buffer.
std::vector<float> copy_audio(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::invalid_argument("audio must be a Float32Array of 16 kHz mono samples");
  Napi::Float32Array audio = value.As<Napi::Float32Array>();
  return std::vector<float>(audio.Data(), audio.Data() + audio.ElementLength());
}

// The Model constructor of this JS environment (each worker thread loading the addon has its own).
Napi::FunctionReference& model_constructor(Napi::Env env) { return *env.GetInstanceData<Napi::FunctionReference>(); }

}  // namespace

void ModelWrap::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function model = DefineClass(env, "Model",
                                     {
                                         InstanceMethod("info", &ModelWrap::Info),
                                         InstanceMethod("memory", &ModelWrap::Memory),
                                         InstanceMethod("setVocabulary", &ModelWrap::SetVocabulary),
                                         InstanceMethod("transcribe", &ModelWrap::Transcribe),
                                         InstanceMethod("startStream", &ModelWrap::StartStream),
                                         InstanceMethod("detectLanguage", &ModelWrap::DetectLanguage),
                                         InstanceMethod("free", &ModelWrap::Free),
                                     });
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(model)));
  exports.Set("loadModel", Napi::Function::New(env, &ModelWrap::Load));
  exports.Set("modelFamily", Napi::Function::New(env, &ModelWrap::Family));
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw std::invalid_argument("the model folder must be a string");
    const std::string folder = info[0].As<Napi::String>().Utf8Value();
    const EngineOptions options = read_engine_options(info[1]);
    return start_background_job(env, env.Undefined(), Napi::Object::New(env), [folder, options](JobContext&) {
      std::shared_ptr<Engine> engine = Engine::load(folder, options);
      return ValueMaker([engine](Napi::Env job_env) -> Napi::Value {
        Napi::Object model = model_constructor(job_env).New({});
        ModelWrap::Unwrap(model)->engine_ = engine;
        return model;
      });
    });
  });
}

Napi::Value ModelWrap::Family(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw std::invalid_argument("the model folder must be a string");
    return Napi::String::New(env, read_model_family(info[0].As<Napi::String>().Utf8Value()).name);
  });
}

std::shared_ptr<Engine> ModelWrap::engine() const {
  if (!engine_) throw std::invalid_argument("this model has been freed; load it again");
  return engine_;
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return model_info_to_js(info.Env(), *engine()); });
}

Napi::Value ModelWrap::Memory(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return memory_to_js(info.Env(), *engine()); });
}

Napi::Value ModelWrap::SetVocabulary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int n_vocab = engine()->vocabulary_size();
    if (!info[0].IsArray()) throw std::invalid_argument("the vocabulary must be an array of Uint8Array");
    Napi::Array array = info[0].As<Napi::Array>();
    if (array.Length() > static_cast<uint32_t>(n_vocab))
      throw std::invalid_argument("the vocabulary has more tokens than the model (" + std::to_string(n_vocab) + ")");
    auto table = std::make_shared<TokenBytes>(array.Length());
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value token = array.Get(i);
      if (!token.IsTypedArray() || token.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        throw std::invalid_argument("vocabulary entry " + std::to_string(i) + " is not a Uint8Array");
      Napi::Uint8Array bytes = token.As<Napi::Uint8Array>();
      (*table)[i].assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength());
    }
    token_bytes_ = std::move(table);
    return env.Undefined();
  });
}

Napi::Value ModelWrap::Transcribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Engine> engine = this->engine();
    if (!token_bytes_) throw std::invalid_argument("set the model's vocabulary (setVocabulary) before transcribing");
    // A Float32Array is copied now; a file of samples is read on the job's thread, a window at a time.
    const std::string sample_file = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    auto audio = std::make_shared<std::vector<float>>(sample_file.empty() ? copy_audio(info[0]) : std::vector<float>());
    std::shared_ptr<Transcription> transcription = engine->transcription(option_values(info[1]), token_bytes_);

    return start_background_job(env, info[2], Value(), [engine, audio, sample_file, transcription](JobContext& job) {
      // Local to the run, so the samples are freed when it ends, however it ends.
      const std::vector<float> samples = std::move(*audio);
      TranscribeEvents events;
      events.cancelled = [&job] { return job.cancelled(); };
      events.on_token = [&job](const TokenEvent& token, double window_start) {
        job.emit([token, window_start](Napi::Env e) -> Napi::Value { return token_event_to_js(e, token, window_start); });
      };
      events.on_segment = [&job](const Segment& segment) {
        job.emit([segment](Napi::Env e) -> Napi::Value {
          Napi::Object event = Napi::Object::New(e);
          event.Set("type", "segment");
          event.Set("segment", segment_to_js(e, segment));
          return event;
        });
      };
      events.on_progress = [&job](int done, int total) {
        job.emit([done, total](Napi::Env e) -> Napi::Value {
          Napi::Object event = Napi::Object::New(e);
          event.Set("type", "progress");
          event.Set("doneFrames", done);
          event.Set("totalFrames", total);
          return event;
        });
      };
      std::shared_ptr<Transcript> transcript;
      if (sample_file.empty()) {
        transcript = std::make_shared<Transcript>(transcription->run(samples.data(), samples.size(), events));
      } else {
        SampleFile file(sample_file);
        const SampleReader read = [&file](std::size_t first, std::size_t count, float* out) {
          file.read(first, count, out);
        };
        transcript = std::make_shared<Transcript>(transcription->run(read, file.size(), events));
      }
      return ValueMaker([transcript](Napi::Env e) -> Napi::Value { return transcript_to_js(e, *transcript); });
    });
  });
}

Napi::Value ModelWrap::StartStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Engine> engine = this->engine();
    if (!token_bytes_) throw std::invalid_argument("set the model's vocabulary (setVocabulary) before streaming");
    std::shared_ptr<StreamingRecognizer> recognizer = engine->make_recognizer(option_values(info[0]), token_bytes_);
    auto inbox = std::make_shared<AudioInbox>(recognizer->min_update_samples());

    Napi::Object handle = start_background_job(env, info[1], Value(), [engine, inbox, recognizer](JobContext& job) {
      StreamingEvents events;
      events.cancelled = [&job] { return job.cancelled(); };
      events.on_update = [&job](const StreamingUpdate& update) {
        job.emit([update](Napi::Env e) -> Napi::Value { return streaming_update_to_js(e, update); });
      };
      events.on_utterance = [&job](const Utterance& utterance) {
        job.emit([utterance](Napi::Env e) -> Napi::Value {
          Napi::Object event = Napi::Object::New(e);
          event.Set("type", "utterance");
          event.Set("utterance", utterance_to_js(e, utterance));
          return event;
        });
      };
      auto transcript = std::make_shared<StreamingTranscript>(engine->stream(*inbox, *recognizer, events));
      return ValueMaker(
          [transcript](Napi::Env e) -> Napi::Value { return streaming_transcript_to_js(e, *transcript); });
    });

    Napi::Function cancel_job = handle.Get("cancel").As<Napi::Function>();
    auto cancel_ref = std::make_shared<Napi::FunctionReference>(Napi::Persistent(cancel_job));
    handle.Set("cancel", Napi::Function::New(env, [inbox, cancel_ref](const Napi::CallbackInfo& call) {
                 cancel_ref->Call({});
                 inbox->cancel();
                 return call.Env().Undefined();
               }));
    handle.Set("push", Napi::Function::New(env, [inbox](const Napi::CallbackInfo& call) -> Napi::Value {
                 return guarded(call.Env(), [&]() -> Napi::Value {
                   const std::vector<float> samples = copy_audio(call[0]);
                   inbox->push(samples.data(), samples.size());
                   return call.Env().Undefined();
                 });
               }));
    handle.Set("endUtterance", Napi::Function::New(env, [inbox](const Napi::CallbackInfo& call) {
                 inbox->end_utterance();
                 return call.Env().Undefined();
               }));
    handle.Set("finish", Napi::Function::New(env, [inbox](const Napi::CallbackInfo& call) {
                 inbox->finish();
                 return call.Env().Undefined();
               }));
    return handle;
  });
}

Napi::Value ModelWrap::DetectLanguage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Engine> engine = this->engine();
    auto audio = std::make_shared<std::vector<float>>(copy_audio(info[0]));
    return start_background_job(env, env.Undefined(), Value(), [engine, audio](JobContext& job) {
      auto detection = std::make_shared<DetectedLanguage>(
          engine->detect_language(audio->data(), audio->size(), [&job] { return job.cancelled(); }));
      return ValueMaker([detection](Napi::Env e) -> Napi::Value { return language_detection_to_js(e, *detection); });
    });
  });
}

Napi::Value ModelWrap::Free(const Napi::CallbackInfo& info) {
  engine_.reset();
  token_bytes_.reset();
  return info.Env().Undefined();
}

}  // namespace verbatim::addon
