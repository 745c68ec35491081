#include "errors.h"

#include <new>
#include <stdexcept>

#include "streaming/audio_inbox.h"
#include "formats/tensor_file.h"
#include "transcript/cancelled.h"

namespace verbatim::addon {

ErrorInfo describe_current_exception() {
  try {
    throw;
  } catch (const Cancelled& error) {
    return {"ERR_CANCELLED", error.what()};
  } catch (const FormatError& error) {
    return {"ERR_MODEL_FORMAT", error.what()};
  } catch (const StreamClosed& error) {
    return {"ERR_STREAM_CLOSED", error.what()};
  } catch (const std::invalid_argument& error) {
    return {"ERR_INVALID_ARGUMENT", error.what()};
  } catch (const std::bad_alloc&) {
    return {"ERR_OUT_OF_MEMORY", "the engine ran out of memory: close other apps or choose a smaller model"};
  } catch (const std::exception& error) {
    return {"ERR_ENGINE", error.what()};
  } catch (...) {
    return {"ERR_ENGINE", "the engine failed with an unknown error"};
  }
}

Napi::Error make_error(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("code", Napi::String::New(env, info.code));
  return error;
}

}  // namespace verbatim::addon
