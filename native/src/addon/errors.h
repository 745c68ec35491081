// Engine failures as typed JS errors: every error carries a stable `code` the TypeScript wrapper maps to a class.
#pragma once

#include <napi.h>

#include <exception>
#include <string>

namespace verbatim::addon {

struct ErrorInfo {
  std::string code;  // "ERR_MODEL_FORMAT", "ERR_CANCELLED", "ERR_INVALID_ARGUMENT", "ERR_ENGINE"
  std::string message;
};

// Classifies the exception currently being handled (call inside a catch block).
ErrorInfo describe_current_exception();

Napi::Error make_error(Napi::Env env, const ErrorInfo& info);

// Runs `body` on the JS thread, turning the C++ exceptions it throws (reading arguments, starting a job) into typed
// JS errors; a JS error passes through as it is.
template <class Body>
Napi::Value guarded(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw make_error(env, describe_current_exception());
  }
}

}  // namespace verbatim::addon
