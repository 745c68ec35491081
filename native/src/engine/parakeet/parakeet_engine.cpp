// The Parakeet TDT family: NeMo features, the FastConformer encoder and greedy TDT decoding over a
// TransducerRunner, on either backend (backend_choice.h: the same rule as Whisper's).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "whisper/mel.h"
#include "audio/nemo_features.h"
#include "backend_choice.h"
#include "backends/cpu/cpu_backend.h"
#include "parakeet/tdt_transcribe.h"
#include "engine.h"
#include "parakeet/parakeet_weights.h"
#include "parakeet/parakeet_streaming.h"

namespace verbatim {
namespace {

class ParakeetEngine final : public Engine {
 public:
  ParakeetEngine(std::shared_ptr<const ParakeetWeights> weights, std::unique_ptr<TransducerRunner> runner,
                 std::string device, double load_seconds)
      : Engine(std::move(device), load_seconds), weights_(std::move(weights)), runner_(std::move(runner)) {
    capabilities_.word_timestamps = true;  // every token's frame and duration
    capabilities_.streaming = true;
  }

  ModelFamily family() const override { return ModelFamily::Parakeet; }
  const FamilyCapabilities& capabilities() const override { return capabilities_; }
  int vocabulary_size() const override { return weights_->config.vocab_size; }
  SpecialTokens special_tokens() const override { return SpecialTokens::without_specials(vocabulary_size()); }
  std::string backend_name() const override { return runner_->backend_name(); }

  ModelDescription description() const override {
    const ParakeetConfig& c = weights_->config;
    ModelDescription d;
    d.family = ModelFamily::Parakeet;
    d.sizes = {{"nMels", c.features.n_mels}, {"dModel", c.d_model},        {"layers", c.n_layers},
               {"heads", c.n_heads},         {"predHidden", c.pred_hidden}, {"jointHidden", c.joint_hidden},
               {"durations", static_cast<int>(c.durations.size())}};
    d.weights_path = weights_->weights_path;
    d.quantization = c.quantize ? c.quantize : c.stored_quantization;
    d.vocabulary = c.vocabulary;
    return d;
  }

  Transcript transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events) override {
    const SampleReader read = [samples](std::size_t first, std::size_t count, float* out) {
      std::copy(samples + first, samples + first + count, out);
    };
    return transcribe(read, n, options, events);
  }

  Transcript transcribe(const SampleReader& read, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events) override {
    return transcribe_at(RunnerGate::Priority::batch, read, n, options, events);
  }

  // Live text from the transducer's own frames (streaming/transducer_streaming.h); each utterance's final pass is
  // transcribe() on its audio, ahead of file jobs.
  std::shared_ptr<StreamingRecognizer> make_recognizer(StreamingOptions options) override {
    check_options(options.transcribe);
    TransducerStreamingRecognizer::Decode decode = [this](const float* samples, std::size_t n,
                                                          const std::function<bool()>& cancelled) {
      RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
      return decode_transducer(*runner_, weights_->config, samples, n, cancelled);
    };
    TransducerStreamingRecognizer::Transcribe final_pass =
        [this, transcribe_options = options.transcribe](const float* samples, std::size_t n,
                                                        const std::function<bool()>& cancelled) {
          TranscribeEvents events;
          events.cancelled = cancelled;
          const SampleReader read = [samples](std::size_t first, std::size_t count, float* out) {
            std::copy(samples + first, samples + first + count, out);
          };
          return transcribe_at(RunnerGate::Priority::interactive, read, n, transcribe_options, events);
        };
    return std::make_shared<TransducerStreamingRecognizer>(options, WordStarts(weights_->config.vocabulary),
                                                           std::move(decode), std::move(final_pass));
  }
  LanguageDetection detect_language(const float*, std::size_t, const std::function<bool()>&) override {
    throw std::invalid_argument("Parakeet models do not detect languages");
  }

 private:
  // transcribe() at a priority: a file job (batch) gives the runner up to live work between its chunks; a live
  // utterance's final pass (interactive) goes ahead of file jobs, as Whisper's does.
  Transcript transcribe_at(RunnerGate::Priority priority, const SampleReader& read, std::size_t n,
                           const TranscribeOptions& options, const TranscribeEvents& events) {
    check_options(options);
    const ChunkingOptions chunking = options.chunking.value_or(ChunkingOptions{});
    check_chunking(chunking);
    RunnerGate::Hold hold(gate_, priority);
    TranscribeEvents yielding = events;
    if (priority == RunnerGate::Priority::batch) {
      yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
    }
    return transcribe_tdt(*runner_, weights_->config, read, n, chunking, yielding);
  }

  // Whisper's decoding options that would change the result are refused, not ignored.
  static void check_options(const TranscribeOptions& options) {
    if (options.decoding.task == Task::Translate) throw std::invalid_argument("Parakeet models cannot translate");
    if (options.decoding.language_token != -1) {
      throw std::invalid_argument("Parakeet models take no language: they recognise their languages themselves");
    }
    if (!options.initial_prompt.empty()) throw std::invalid_argument("Parakeet models take no prompt");
    if (!options.clip_timestamps.empty()) throw std::invalid_argument("clip timestamps are not supported on Parakeet");
  }

  std::shared_ptr<const ParakeetWeights> weights_;
  std::unique_ptr<TransducerRunner> runner_;
  FamilyCapabilities capabilities_;
};

}  // namespace

std::unique_ptr<Engine> load_parakeet_engine(const std::string& folder, const EngineOptions& options) {
  const ChosenBackend chosen = choose_backend(options);
  const auto started = std::chrono::steady_clock::now();
  auto weights = std::make_shared<const ParakeetWeights>(load_parakeet_weights(folder, options.quantize));
  std::unique_ptr<TransducerRunner> runner;
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) runner = make_mlx_transducer_runner(weights, chosen.device);
#endif
  if (!runner) runner = make_cpu_transducer_runner(weights, options.threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_unique<ParakeetEngine>(std::move(weights), std::move(runner), chosen.device_name, seconds);
}

}  // namespace verbatim
