#include "background_job.h"

#include <optional>
#include <thread>
#include <utility>

#include "errors.h"

namespace verbatim::addon {
namespace {

class Job : public JobContext {
 public:
  Job(Napi::Env env, JobWork work) : deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {}

  void start(Napi::Env env, Napi::Value on_event, Napi::Object keep_alive) {
    keep_alive_ = Napi::Persistent(keep_alive);
    Napi::Function callback = on_event.IsFunction() ? on_event.As<Napi::Function>() : Napi::Function();
    events_ = Napi::ThreadSafeFunction::New(env, callback, "verbatim-engine-job", 0, 1, this, &Job::finish,
                                            static_cast<void*>(nullptr));
    thread_ = std::thread([this] { run(); });
  }

  Napi::Promise promise() const { return deferred_.Promise(); }
  // Shared with the JS cancel function, which may outlive the job.
  std::shared_ptr<std::atomic<bool>> cancel_flag_handle() const { return cancel_; }

  void emit(ValueMaker event) override {
    auto* boxed = new ValueMaker(std::move(event));
    napi_status status = events_.BlockingCall(boxed, [](Napi::Env env, Napi::Function callback, ValueMaker* make) {
      std::unique_ptr<ValueMaker> owned(make);
      if (env != nullptr && !callback.IsEmpty()) callback.Call({(*owned)(env)});
    });
    if (status != napi_ok) delete boxed;  // the environment is shutting down; nobody is listening
  }
  bool cancelled() const override { return cancel_->load(); }
  const std::atomic<bool>& cancel_flag() const override { return *cancel_; }

 private:
  void run() {
    try {
      result_ = work_(*this);
    } catch (...) {
      error_ = describe_current_exception();
    }
    events_.Release();  // finish() runs on the JS thread once queued events are delivered
  }

  // Runs on the JS thread after the last event. Settles the promise and frees the job.
  static void finish(Napi::Env env, void*, Job* job) {
    job->thread_.join();
    if (env != nullptr) {
      Napi::HandleScope scope(env);
      if (job->error_) {
        job->deferred_.Reject(make_error(env, *job->error_).Value());
      } else {
        try {
          job->deferred_.Resolve((*job->result_)(env));
        } catch (const Napi::Error& error) {
          job->deferred_.Reject(error.Value());
        }
      }
    }
    delete job;
  }

  Napi::Promise::Deferred deferred_;
  JobWork work_;
  Napi::ObjectReference keep_alive_;
  Napi::ThreadSafeFunction events_;
  std::thread thread_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::optional<ValueMaker> result_;
  std::optional<ErrorInfo> error_;
};

}  // namespace

Napi::Object start_background_job(Napi::Env env, Napi::Value on_event, Napi::Object keep_alive, JobWork work) {
  auto* job = new Job(env, std::move(work));
  Napi::Promise promise = job->promise();
  std::shared_ptr<std::atomic<bool>> cancel = job->cancel_flag_handle();
  job->start(env, on_event, keep_alive);

  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }));
  return handle;
}

}  // namespace verbatim::addon
