// The engine's entry point: a loaded model of any family (model/model_family.h), behind one interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "whisper/language.h"
#include "whisper/special_tokens.h"
#include "backends/mlx/mlx_backend.h"
#include "model_families.h"
#include "whisper/whisper_runner.h"
#include "runner_gate.h"
#include "streaming/streaming.h"
#include "whisper/transcribe.h"
#include "whisper/weights.h"

namespace verbatim {

// Auto: MLX on the GPU when MLX is built and has one, else the portable CPU backend (MLX's own CPU backend is
// tens of times slower than ours: test/bench/README.md). Mlx: MLX on its GPU when it has one, else on its CPU.
// Cpu: the portable CPU backend.
enum class BackendChoice { Auto, Cpu, Mlx };

// "auto", "cpu" or "mlx"; throws std::invalid_argument for anything else.
BackendChoice parse_backend_choice(const std::string& name);

struct EngineOptions {
  BackendChoice backend = BackendChoice::Auto;
  int threads = 0;  // the portable CPU backend's workers; 0: one per hardware thread (Apple silicon: performance core)
  // MLX's allocator limits (see mlx_backend.h), set when the MLX backend is chosen; they apply to the whole
  // process. The portable CPU backend has no such limits and does not use these.
  std::optional<std::size_t> mlx_cache_limit_bytes;
  std::optional<std::size_t> mlx_wired_limit_bytes;
  // Parakeet only: float weight matrices packed at load to MLX's affine 8 or 4 bits, as config.json's "quantize"
  // asks (parakeet_weights.h). Whisper refuses it: its MLX repositories come packed.
  std::optional<Quantization> quantize;
};

struct BuiltBackends {
  bool mlx = false;             // the MLX backend is compiled in
  bool mlx_gpu = false;         // ... and MLX has a GPU on this machine
  std::string mlx_gpu_problem;  // ... or why it has none (mlx_gpu_problem()); empty otherwise
};
BuiltBackends built_backends();

// What the addon shows of a loaded model.
struct ModelDescription {
  ModelFamily family = ModelFamily::Whisper;
  std::optional<WhisperDims> whisper_dims;  // Whisper's dimensions; absent for other families
  std::vector<std::pair<std::string, int>> sizes;  // the family's own named sizes (Parakeet: "dModel", ...)
  std::string weights_path;
  std::optional<Quantization> quantization;
  std::vector<std::pair<int, int>> stored_alignment_heads;
  // The vocabulary's pieces when the model carries them (a NeMo config's joint.vocabulary); empty otherwise
  // (Whisper's tokenizer is a separate file).
  std::vector<std::string> vocabulary;
};

// A loaded model of some family ready to transcribe: its weights, the backend's runner, and the lock that lets one
// job at a time use the runner's caches. This is what the Node addon (and the CLI, through it) drives; every family
// implements it once, and shared code asks capabilities() what the model can do.
class Engine {
 public:
  // Loads a model folder, choosing the family from its config.json (see model_family.h), and prepares the chosen
  // backend. Throws FormatError for a bad model folder, std::invalid_argument when the chosen backend is not built
  // or cannot run the family, or `quantize` does not apply to the folder.
  static std::unique_ptr<Engine> load(const std::string& folder, const EngineOptions& options);

  virtual ~Engine() = default;

  virtual ModelFamily family() const = 0;
  virtual const FamilyCapabilities& capabilities() const = 0;
  virtual ModelDescription description() const = 0;
  // Token ids [0, vocabulary_size()) are the model's text tokens and special tokens alike.
  virtual int vocabulary_size() const = 0;
  // The ids with special meaning (Whisper's table; a family without them has none below vocabulary_size()).
  virtual SpecialTokens special_tokens() const = 0;

  virtual std::string backend_name() const = 0;  // "cpu" or "mlx"
  const std::string& device_name() const { return device_; }  // "cpu" or "gpu"
  double load_seconds() const { return load_seconds_; }
  // MLX's memory figures when this engine runs on MLX (process-wide: every MLX model shares them).
  std::optional<MlxMemory> memory() const;

  // Both take the engine's lock for the whole job: jobs on one model run one after another. Options the family
  // cannot honour (capabilities()) throw std::invalid_argument naming them.
  virtual Transcript transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                                const TranscribeEvents& events) = 0;
  // The same over `n` samples read through `read` a window at a time.
  virtual Transcript transcribe(const SampleReader& read, std::size_t n, const TranscribeOptions& options,
                                const TranscribeEvents& events) = 0;
  // A live session's recognizer for this model, with the family's own policy; std::invalid_argument for options
  // the family cannot honour. It borrows this engine's runner per update, ahead of file jobs, which give it up
  // between their windows (RunnerGate): the engine must outlive it.
  virtual std::shared_ptr<StreamingRecognizer> make_recognizer(StreamingOptions options) = 0;
  // Runs a live session until `inbox` is finished (see run_streaming_session).
  StreamingTranscript stream(AudioInbox& inbox, StreamingRecognizer& recognizer, const StreamingEvents& events) {
    return run_streaming_session(inbox, recognizer, events);
  }
  // The language of the first 30 s. Throws std::invalid_argument for models that cannot detect languages.
  virtual LanguageDetection detect_language(const float* samples, std::size_t n,
                                            const std::function<bool()>& cancelled) = 0;

 protected:
  Engine(std::string device, double load_seconds) : device_(std::move(device)), load_seconds_(load_seconds) {}
  RunnerGate gate_;

 private:
  std::string device_;
  double load_seconds_;
};

// The families' loaders (Engine::load picks one by the config's family).
std::unique_ptr<Engine> load_whisper_engine(const std::string& folder, const EngineOptions& options);
std::unique_ptr<Engine> load_parakeet_engine(const std::string& folder, const EngineOptions& options);

}  // namespace verbatim
