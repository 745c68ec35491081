#include <napi.h>

#include "backends/cpu/blas.h"
#include "engine.h"
#include "model_wrap.h"
#include "engine_memory.h"
#include "speaker_model_wrap.h"
#include "voice_detector_wrap.h"

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("blas", verbatim::blas_name());
  const verbatim::BuiltBackends built = verbatim::built_backends();
  Napi::Array backends = Napi::Array::New(env);
  backends.Set(0u, "cpu");
  if (built.mlx) backends.Set(1u, "mlx");
  result.Set("backends", backends);
  result.Set("mlxGpu", built.mlx_gpu);
  result.Set("mlxGpuProblem",
             built.mlx_gpu_problem.empty() ? env.Null() : Napi::String::New(env, built.mlx_gpu_problem));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  verbatim::addon::ModelWrap::Register(env, exports);
  verbatim::addon::VoiceDetectorWrap::Register(env, exports);
  verbatim::addon::SpeakerModelWrap::Register(env, exports);
  verbatim::addon::register_engine_memory(exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(verbatim, Init)
