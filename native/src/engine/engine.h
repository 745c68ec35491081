// A loaded model ready to transcribe: weights, the backend runner, and the lock that lets one job at a time
// use the runner's caches. This is what the Node addon (and the CLI, through it) drives.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "decoding/language.h"
#include "backends/mlx/mlx_backend.h"
#include "model/model_runner.h"
#include "runner_gate.h"
#include "streaming/streaming.h"
#include "decoding/transcribe.h"
#include "formats/weights.h"

namespace verbatim {

// Auto: MLX on the GPU when MLX is built and has one, else the portable CPU backend (MLX's own CPU backend is
// tens of times slower than ours: test/bench/README.md). Mlx: MLX on its GPU when it has one, else on its CPU.
// Cpu: the portable CPU backend.
enum class BackendChoice { Auto, Cpu, Mlx };

// "auto", "cpu" or "mlx"; throws std::invalid_argument for anything else.
BackendChoice parse_backend_choice(const std::string& name);

struct EngineOptions {
  BackendChoice backend = BackendChoice::Auto;
  int threads = 0;  // the portable CPU backend's workers; 0: one per hardware thread
  // MLX's allocator limits (see mlx_backend.h), set when the MLX backend is chosen; they apply to the whole
  // process. The portable CPU backend has no such limits and does not use these.
  std::optional<std::size_t> mlx_cache_limit_bytes;
  std::optional<std::size_t> mlx_wired_limit_bytes;
};

struct BuiltBackends {
  bool mlx = false;      // the MLX backend is compiled in
  bool mlx_gpu = false;  // ... and MLX has a GPU on this machine
};
BuiltBackends built_backends();

class Engine {
 public:
  // Loads a model folder (see load_whisper_weights) and prepares the chosen backend. Throws FormatError for a
  // bad model folder, std::invalid_argument when the chosen backend is not built.
  static std::unique_ptr<Engine> load(const std::string& folder, const EngineOptions& options);

  const WhisperWeights& weights() const { return *weights_; }
  std::string backend_name() const { return runner_->backend_name(); }  // "cpu" or "mlx"
  const std::string& device_name() const { return device_; }             // "cpu" or "gpu"
  double load_seconds() const { return load_seconds_; }
  // MLX's memory figures when this engine runs on MLX (process-wide: every MLX model shares them).
  std::optional<MlxMemory> memory() const;

  // Both take the engine's lock for the whole job: jobs on one model run one after another.
  Transcript transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events);
  // The same over `n` samples read through `read` a window at a time.
  Transcript transcribe(const SampleReader& read, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events);
  // Runs a live session until `inbox` is finished (see run_streaming_session). The runner is taken per update,
  // ahead of file jobs, which give it up between their windows (RunnerGate).
  StreamingTranscript stream(AudioInbox& inbox, StreamingRecognizer& recognizer, const StreamingEvents& events);
  // The language of the first 30 s. Throws std::invalid_argument for English-only models.
  LanguageDetection detect_language(const float* samples, std::size_t n, const std::function<bool()>& cancelled);

 private:
  Engine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<ModelRunner> runner, std::string device,
         double load_seconds);

  std::shared_ptr<const WhisperWeights> weights_;
  std::unique_ptr<ModelRunner> runner_;
  std::string device_;
  double load_seconds_;
  RunnerGate gate_;
};

}  // namespace verbatim
