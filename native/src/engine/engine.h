// A loaded model ready to transcribe: weights, the backend runner, and the lock that lets one job at a time
// use the runner's caches. This is what the Node addon (and the CLI, through it) drives.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "language.h"
#include "model_runner.h"
#include "transcribe.h"
#include "weights.h"

namespace verbatim {

enum class BackendChoice { Auto, Cpu };

// "auto" or "cpu"; throws std::invalid_argument for anything else.
BackendChoice parse_backend_choice(const std::string& name);

struct EngineOptions {
  BackendChoice backend = BackendChoice::Auto;
  int threads = 0;  // 0: one per hardware thread
};

class Engine {
 public:
  // Loads a model folder (see load_whisper_weights) and prepares the chosen backend. Throws FormatError for a
  // bad model folder.
  static std::unique_ptr<Engine> load(const std::string& folder, const EngineOptions& options);

  const WhisperWeights& weights() const { return *weights_; }
  std::string backend_name() const { return runner_->backend_name(); }
  double load_seconds() const { return load_seconds_; }

  // Both take the engine's lock for the whole job: jobs on one model run one after another.
  Transcript transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events);
  // The language of the first 30 s. Throws std::invalid_argument for English-only models.
  LanguageDetection detect_language(const float* samples, std::size_t n, const std::function<bool()>& cancelled);

 private:
  Engine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<ModelRunner> runner, double load_seconds);

  std::shared_ptr<const WhisperWeights> weights_;
  std::unique_ptr<ModelRunner> runner_;
  double load_seconds_;
  std::mutex busy_;
};

}  // namespace verbatim
