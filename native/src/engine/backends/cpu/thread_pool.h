// A small fixed pool of worker threads for data-parallel loops; the calling thread works too.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace verbatim {

class ThreadPool {
 public:
  // `threads` counts the caller: 1 runs everything on the calling thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(i, thread) for every i in [0, count), spread over the threads; `thread` is in [0, threads())
  // and no two concurrent calls share one, so it can index per-thread scratch. Returns when all are done;
  // rethrows the first exception a task threw. Not reentrant: a task must not call parallel_for.
  void parallel_for(int64_t count, const std::function<void(int64_t index, int thread)>& task);

 private:
  void worker_loop(int thread);
  void run_tasks(int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};  // workers inside run_tasks for the current call
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace verbatim
