// Runs one piece of engine work on its own thread (never on Node's event loop or libuv's pool), streams
// events to a JS callback in order, and settles a promise when the work ends. The work sees a cancel flag.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

namespace verbatim::addon {

// Builds a JS value; runs on the JS thread.
using ValueMaker = std::function<Napi::Value(Napi::Env)>;

class JobContext {
 public:
  virtual ~JobContext() = default;
  // Queues an event for the JS callback (blocks only if the JS thread is far behind).
  virtual void emit(ValueMaker event) = 0;
  virtual bool cancelled() const = 0;
  virtual const std::atomic<bool>& cancel_flag() const = 0;
};

// The work returns how to build the promise's value; an exception rejects the promise (see errors.h).
using JobWork = std::function<ValueMaker(JobContext&)>;

// Starts `work` and returns { promise, cancel() }. `on_event` may be undefined. `keep_alive` is held until the
// job ends (the JS object whose native state the work uses).
Napi::Object start_background_job(Napi::Env env, Napi::Value on_event, Napi::Object keep_alive, JobWork work);

}  // namespace verbatim::addon
