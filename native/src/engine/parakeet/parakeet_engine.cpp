// The Parakeet TDT family: NeMo features, the FastConformer encoder and greedy TDT decoding over a
// TransducerRunner, on either backend (backend_choice.h: the same rule as Whisper's).
#include "parakeet/parakeet_engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "backend_choice.h"
#include "parakeet/parakeet_options.h"
#include "parakeet/parakeet_runners.h"
#include "parakeet/parakeet_streaming.h"
#include "parakeet/parakeet_weights.h"
#include "parakeet/tdt_transcribe.h"
#include "transducer/phrase_boost_options.h"
#include "transducer/token_mask.h"

namespace verbatim {
namespace {

SampleReader reader_of(const float* samples) {
  return [samples](std::size_t first, std::size_t count, float* out) {
    std::copy(samples + first, samples + first + count, out);
  };
}

class ParakeetEngine final : public Engine {
 public:
  ParakeetEngine(std::shared_ptr<const ParakeetWeights> weights, std::unique_ptr<TransducerRunner> runner,
                 std::string device, double load_seconds)
      : Engine(std::move(device), load_seconds), weights_(std::move(weights)), runner_(std::move(runner)) {
    capabilities_.word_timestamps = true;  // every token's frame and duration
    capabilities_.streaming = true;
    capabilities_.boosting = true;  // boostPhrases, from the vocabulary's terms
  }

  std::string family() const override { return "parakeet"; }
  const FamilyCapabilities& capabilities() const override { return capabilities_; }
  int vocabulary_size() const override { return weights_->config.vocab_size; }
  std::string backend_name() const override { return runner_->backend_name(); }

  ModelDescription description() const override {
    const ParakeetConfig& c = weights_->config;
    ModelDescription d;
    d.sizes = {{"nMels", c.features.n_mels}, {"dModel", c.d_model},        {"layers", c.n_layers},
               {"heads", c.n_heads},         {"predHidden", c.pred_hidden}, {"jointHidden", c.joint_hidden},
               {"durations", static_cast<int>(c.durations.size())}};
    d.weights_path = weights_->weights_path;
    d.quantization = c.quantize ? c.quantize : c.stored_quantization;
    d.vocabulary = c.vocabulary;
    return d;
  }

  std::unique_ptr<Transcription> transcription(const OptionValues& values,
                                               std::shared_ptr<const TokenBytes> /*token_bytes*/) override;

  // Live text from the transducer's own frames (parakeet_streaming.h); each utterance's final pass is a file job's
  // transcription of its audio, ahead of file jobs.
  std::shared_ptr<StreamingRecognizer> make_recognizer(const OptionValues& values,
                                                       std::shared_ptr<const TokenBytes> /*token_bytes*/) override {
    const ParakeetStreamingOptions options = read_parakeet_streaming_options(values, weights_->config.vocabulary);
    TransducerStreamingRecognizer::Decode decode = [this, boost = options.boost, mask = options.mask](
                                                       const float* samples, std::size_t n,
                                                       const std::function<bool()>& cancelled) {
      RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
      return decode_transducer(*runner_, weights_->config, samples, n, boost, mask, cancelled);
    };
    TransducerStreamingRecognizer::Transcribe final_pass =
        [this, chunking = options.chunking, boost = options.boost, mask = options.mask](
            const float* samples, std::size_t n, const std::function<bool()>& cancelled) {
          TranscribeEvents events;
          events.cancelled = cancelled;
          return transcribe_at(RunnerGate::Priority::interactive, reader_of(samples), n, chunking, boost, mask,
                               events);
        };
    return std::make_shared<TransducerStreamingRecognizer>(options, WordStarts(weights_->config.vocabulary),
                                                           std::move(decode), std::move(final_pass));
  }

  DetectedLanguage detect_language(const float*, std::size_t, const std::function<bool()>&) override {
    throw std::invalid_argument("Parakeet models do not detect languages");
  }

  // A transcription at a priority: a file job (batch) gives the runner up to live work between its chunks; a live
  // utterance's final pass (interactive) goes ahead of file jobs, as Whisper's does.
  Transcript transcribe_at(RunnerGate::Priority priority, const SampleReader& read, std::size_t n,
                           const ChunkingOptions& chunking, const PhraseBoost& boost, const TokenMask& mask,
                           const TranscribeEvents& events) {
    RunnerGate::Hold hold(gate_, priority);
    TranscribeEvents yielding = events;
    if (priority == RunnerGate::Priority::batch) {
      yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
    }
    return transcribe_tdt(*runner_, weights_->config, read, n, chunking, boost, mask, yielding);
  }

 private:
  std::shared_ptr<const ParakeetWeights> weights_;
  std::unique_ptr<TransducerRunner> runner_;
  FamilyCapabilities capabilities_;
};

// A file job with Parakeet's options; `refusal` (Whisper's options that would change the result) fails it when it
// runs.
class ParakeetTranscription final : public Transcription {
 public:
  ParakeetTranscription(ParakeetEngine& engine, ChunkingOptions chunking, PhraseBoost boost, TokenMask mask,
                        std::string refusal)
      : engine_(engine),
        chunking_(chunking),
        boost_(std::move(boost)),
        mask_(std::move(mask)),
        refusal_(std::move(refusal)) {}

  Transcript run(const float* samples, std::size_t n, const TranscribeEvents& events) override {
    return run(reader_of(samples), n, events);
  }

  Transcript run(const SampleReader& read, std::size_t n, const TranscribeEvents& events) override {
    if (!refusal_.empty()) throw std::invalid_argument(refusal_);
    return engine_.transcribe_at(RunnerGate::Priority::batch, read, n, chunking_, boost_, mask_, events);
  }

 private:
  ParakeetEngine& engine_;
  ChunkingOptions chunking_;
  PhraseBoost boost_;
  TokenMask mask_;
  std::string refusal_;
};

std::unique_ptr<Transcription> ParakeetEngine::transcription(const OptionValues& values,
                                                             std::shared_ptr<const TokenBytes>) {
  return std::make_unique<ParakeetTranscription>(*this, read_chunking_options(values),
                                                 read_phrase_boost(values, weights_->config.vocabulary),
                                                 read_token_mask(values, weights_->config.vocab_size),
                                                 parakeet_refusal(values));
}

}  // namespace

std::unique_ptr<Engine> load_parakeet_engine(const std::string& folder, const EngineOptions& options) {
  const ChosenBackend chosen = choose_backend(options);
  const auto started = std::chrono::steady_clock::now();
  auto weights = std::make_shared<const ParakeetWeights>(load_parakeet_weights(folder, options.quantize));
  std::unique_ptr<TransducerRunner> runner;
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) runner = make_parakeet_mlx_runner(weights, chosen.device);
#endif
  if (!runner) runner = make_parakeet_cpu_runner(weights, options.threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_unique<ParakeetEngine>(std::move(weights), std::move(runner), chosen.device_name, seconds);
}

}  // namespace verbatim
