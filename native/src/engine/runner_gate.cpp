#include "runner_gate.h"

namespace verbatim {

void RunnerGate::acquire(Priority priority, std::unique_lock<std::mutex>& lock) {
  if (priority == Priority::interactive) {
    ++interactive_waiting_;
    changed_.wait(lock, [this] { return !busy_; });
    --interactive_waiting_;
  } else {
    changed_.wait(lock, [this] { return !busy_ && interactive_waiting_ == 0; });
  }
  busy_ = true;
}

RunnerGate::Hold::Hold(RunnerGate& gate, Priority priority) : gate_(gate) {
  std::unique_lock<std::mutex> lock(gate_.mutex_);
  gate_.acquire(priority, lock);
}

RunnerGate::Hold::~Hold() {
  {
    std::lock_guard<std::mutex> lock(gate_.mutex_);
    gate_.busy_ = false;
  }
  gate_.changed_.notify_all();
}

bool RunnerGate::Hold::yield_to_interactive() {
  std::unique_lock<std::mutex> lock(gate_.mutex_);
  if (gate_.interactive_waiting_ == 0) return false;
  gate_.busy_ = false;
  gate_.changed_.notify_all();
  gate_.acquire(Priority::batch, lock);
  return true;
}

}  // namespace verbatim
