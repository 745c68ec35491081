#pragma once
// Who runs the model next. A model has one runner (its encoder output and KV cache are state), so work on it takes
// turns. Live dictation updates go first: a file job holds the runner for one 30 s window at a time and, between
// windows, hands it to an update that is waiting, so a dictation started during a long file stays live.
#include <condition_variable>
#include <mutex>

namespace verbatim {

class RunnerGate {
 public:
  enum class Priority { interactive, batch };

  // Holds the runner for its lifetime.
  class Hold {
   public:
    Hold(RunnerGate& gate, Priority priority);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    // For batch work between windows: lets interactive work that is waiting run first. True if any did (the
    // runner's state is then no longer this holder's).
    bool yield_to_interactive();

   private:
    RunnerGate& gate_;
  };

 private:
  void acquire(Priority priority, std::unique_lock<std::mutex>& lock);

  std::mutex mutex_;
  std::condition_variable changed_;
  bool busy_ = false;
  int interactive_waiting_ = 0;
};

}  // namespace verbatim
