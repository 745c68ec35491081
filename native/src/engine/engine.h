// The engine's entry point: a loaded model of any family (model_families.h), behind one interface that names none.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audio/samples.h"
#include "backends/mlx/mlx_backend.h"
#include "options/option_values.h"
#include "runner_gate.h"
#include "streaming/streaming.h"
#include "tensors/quantization.h"
#include "transcript/detected_language.h"
#include "transcript/token_bytes.h"
#include "transcript/transcribe_events.h"
#include "transcript/transcript.h"

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
  // Float weight matrices packed at load to MLX's affine 8 or 4 bits (packing_named), for families whose files come
  // in float; a family whose files come packed refuses it, saying which to load instead.
  std::optional<Quantization> quantize;
};

struct BuiltBackends {
  bool mlx = false;             // the MLX backend is compiled in
  bool mlx_gpu = false;         // ... and MLX has a GPU on this machine
  std::string mlx_gpu_problem;  // ... or why it has none (mlx_gpu_problem()); empty otherwise
};
BuiltBackends built_backends();

// What a loaded model can do beyond transcribing 16 kHz audio into timed tokens. Shared code (the addon, the daemon)
// asks these, never the family.
struct FamilyCapabilities {
  bool language_detection = false;  // detect_language(), and "auto" languages
  bool choose_language = false;     // an explicit language for decoding
  bool translate = false;           // the translate task
  bool prompt = false;              // a decoder prompt (previous text, the user's vocabulary terms)
  bool boosting = false;            // the user's vocabulary terms boosted while decoding (transducer/phrase_boost.h)
  bool decoding_options = false;    // Whisper's beam size, temperatures, fallback and logit filters
  bool word_timestamps = false;     // timed tokens (Whisper: on request, from cross-attention)
  bool streaming = false;           // live sessions (Engine::stream)
  // Language codes the model knows; empty for English-only Whisper vocabularies and families that do not say.
  std::vector<std::string> languages;
};

// What the addon shows of a loaded model (native/lib/types.ts ModelInfo).
struct ModelDescription {
  using Sizes = std::vector<std::pair<std::string, int>>;
  std::optional<Sizes> dims;  // info().dims (Whisper's dimensions); absent: null
  Sizes sizes;                // info().sizes: the family's own named sizes (Parakeet: "dModel", ...)
  std::string weights_path;
  std::optional<Quantization> quantization;
  std::vector<std::pair<int, int>> stored_alignment_heads;
  // The vocabulary's pieces when the model carries them (a NeMo config's joint.vocabulary); empty otherwise
  // (Whisper's tokenizer is a separate file).
  std::vector<std::string> vocabulary;
};

// One file job on a model, its options read as its family's. run() takes the model's lock for the whole job (jobs on
// one model run one after another, a live session's updates going first between windows), on any thread. Throws
// Cancelled, and std::invalid_argument for another family's options that would change what it gives.
class Transcription {
 public:
  virtual ~Transcription() = default;
  virtual Transcript run(const float* samples, std::size_t n, const TranscribeEvents& events) = 0;
  // The same over `n` samples read through `read` a window at a time.
  virtual Transcript run(const SampleReader& read, std::size_t n, const TranscribeEvents& events) = 0;
};

// A loaded model of some family ready to transcribe: its weights, the backend's runner, and the lock that lets one
// job at a time use the runner's caches. This is what the Node addon (and the CLI, through it) drives; every family
// implements it once, reads its own options (options/option_values.h) and says what it can do in capabilities().
class Engine {
 public:
  // Loads a model folder, choosing the family from its config.json (model_families.h), and prepares the chosen
  // backend. Throws FormatError for a bad model folder, std::invalid_argument when the chosen backend is not built
  // or cannot run the family, or `quantize` does not apply to the folder.
  static std::unique_ptr<Engine> load(const std::string& folder, const EngineOptions& options);

  virtual ~Engine() = default;

  virtual std::string family() const = 0;  // its name in model_families(): "whisper", "parakeet"
  virtual const FamilyCapabilities& capabilities() const = 0;
  virtual ModelDescription description() const = 0;
  // Token ids [0, vocabulary_size()) are the model's text tokens and special tokens alike.
  virtual int vocabulary_size() const = 0;

  virtual std::string backend_name() const = 0;  // "cpu" or "mlx"
  const std::string& device_name() const { return device_; }  // "cpu" or "gpu"
  double load_seconds() const { return load_seconds_; }
  // MLX's memory figures when this engine runs on MLX (process-wide: every MLX model shares them).
  std::optional<MlxMemory> memory() const;

  // A file job with `options` read as this family's (native/lib/types.ts): a wrong one throws std::invalid_argument
  // naming it, here. `token_bytes`: the vocabulary's text (setVocabulary), for families whose decoding reads it.
  virtual std::unique_ptr<Transcription> transcription(const OptionValues& options,
                                                       std::shared_ptr<const TokenBytes> token_bytes) = 0;
  // A live session's recognizer for this model, with the family's own policy and options (std::invalid_argument for
  // a wrong one, or another family's). It borrows this engine's runner per update, ahead of file jobs, which give
  // it up between their windows (RunnerGate): the engine must outlive it.
  virtual std::shared_ptr<StreamingRecognizer> make_recognizer(const OptionValues& options,
                                                               std::shared_ptr<const TokenBytes> token_bytes) = 0;
  // Runs a live session until `inbox` is finished (see run_streaming_session).
  StreamingTranscript stream(AudioInbox& inbox, StreamingRecognizer& recognizer, const StreamingEvents& events) {
    return run_streaming_session(inbox, recognizer, events);
  }
  // The language of the first 30 s. Throws std::invalid_argument for models that cannot detect languages.
  virtual DetectedLanguage detect_language(const float* samples, std::size_t n,
                                           const std::function<bool()>& cancelled) = 0;

 protected:
  Engine(std::string device, double load_seconds) : device_(std::move(device)), load_seconds_(load_seconds) {}
  RunnerGate gate_;

 private:
  std::string device_;
  double load_seconds_;
};

}  // namespace verbatim
