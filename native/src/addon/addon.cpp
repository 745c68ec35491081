#include <napi.h>

#include "blas.h"
#include "model_wrap.h"

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("blas", verbatim::blas_name());
  Napi::Array backends = Napi::Array::New(env, 1);
  backends.Set(0u, "cpu");
  result.Set("backends", backends);
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  verbatim::addon::ModelWrap::Register(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(verbatim, Init)
