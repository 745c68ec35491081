#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runner_gate.h"

using verbatim::RunnerGate;
using namespace std::chrono_literals;

namespace {

struct Journal {
  std::mutex mutex;
  std::vector<std::string> entries;
  void add(const std::string& entry) {
    std::lock_guard<std::mutex> lock(mutex);
    entries.push_back(entry);
  }
};

}  // namespace

TEST_CASE("a batch holder keeps the runner when nobody waits, and hands it to waiting interactive work") {
  RunnerGate gate;
  Journal journal;
  std::atomic<bool> interactive_started{false};
  std::thread interactive;
  {
    RunnerGate::Hold batch(gate, RunnerGate::Priority::batch);
    CHECK_FALSE(batch.yield_to_interactive());  // nobody waiting: keeps it
    journal.add("batch window 1");
    interactive = std::thread([&] {
      interactive_started = true;
      RunnerGate::Hold hold(gate, RunnerGate::Priority::interactive);
      journal.add("interactive update");
    });
    while (!interactive_started) std::this_thread::yield();
    std::this_thread::sleep_for(50ms);  // the update is now waiting for the runner
    CHECK(batch.yield_to_interactive());
    journal.add("batch window 2");
  }
  interactive.join();
  CHECK(journal.entries == std::vector<std::string>{"batch window 1", "interactive update", "batch window 2"});
}

TEST_CASE("waiting batch work lets interactive work that arrives later go first") {
  RunnerGate gate;
  Journal journal;
  std::thread batch;
  std::thread interactive;
  {
    RunnerGate::Hold first(gate, RunnerGate::Priority::interactive);
    batch = std::thread([&] {
      RunnerGate::Hold hold(gate, RunnerGate::Priority::batch);
      journal.add("batch");
    });
    std::this_thread::sleep_for(30ms);
    interactive = std::thread([&] {
      RunnerGate::Hold hold(gate, RunnerGate::Priority::interactive);
      journal.add("interactive");
    });
    std::this_thread::sleep_for(30ms);
  }
  batch.join();
  interactive.join();
  CHECK(journal.entries == std::vector<std::string>{"interactive", "batch"});
}
