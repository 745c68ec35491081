#include "engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "backend_choice.h"
#include "backends/cpu/cpu_backend.h"
#include "whisper/decoding.h"
#include "whisper/mel.h"
#include "whisper/whisper_streaming.h"

namespace verbatim {

namespace {

struct Backend {
  std::unique_ptr<WhisperRunner> runner;
  std::string device;
};

Backend chosen_backend(std::shared_ptr<const WhisperWeights> weights, const EngineOptions& options) {
  [[maybe_unused]] const ChosenBackend chosen = choose_backend(options);  // throws for "mlx" without MLX
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) return {make_mlx_runner(std::move(weights), chosen.device), chosen.device_name};
#endif
  return {make_cpu_runner(std::move(weights), options.threads), "cpu"};
}

}  // namespace

BackendChoice parse_backend_choice(const std::string& name) {
  if (name == "auto") return BackendChoice::Auto;
  if (name == "cpu") return BackendChoice::Cpu;
  if (name == "mlx") return BackendChoice::Mlx;
  throw std::invalid_argument("unknown backend \"" + name + "\": use \"auto\", \"cpu\" or \"mlx\"");
}

BuiltBackends built_backends() {
#if defined(VERBATIM_HAS_MLX)
  return {true, mlx_gpu_available(), mlx_gpu_problem()};
#else
  return {};
#endif
}

std::optional<MlxMemory> Engine::memory() const {
#if defined(VERBATIM_HAS_MLX)
  if (backend_name() == "mlx") return mlx_memory();
#endif
  return std::nullopt;
}

std::unique_ptr<Engine> Engine::load(const std::string& folder, const EngineOptions& options) {
  switch (read_model_family(folder)) {
    case ModelFamily::Whisper: return load_whisper_engine(folder, options);
    case ModelFamily::Parakeet: return load_parakeet_engine(folder, options);
  }
  throw std::logic_error("unknown model family");
}

namespace {

// The Whisper family: the decoding rules of decoding/ and the streaming policies of streaming/ over a WhisperRunner.
class WhisperEngine final : public Engine {
 public:
  WhisperEngine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<WhisperRunner> runner, std::string device,
                double load_seconds)
      : Engine(std::move(device), load_seconds), weights_(std::move(weights)), runner_(std::move(runner)) {
    // A vocabulary that is none of Whisper's (the tests' tiny synthetic models) has no languages; transcribing
    // with it fails later, as before, where its special tokens are asked for.
    SpecialTokens special;
    try {
      special = SpecialTokens::for_vocabulary(weights_->config.dims.n_vocab);
    } catch (const std::invalid_argument&) {
      special = SpecialTokens::without_specials(weights_->config.dims.n_vocab);
    }
    capabilities_.language_detection = special.multilingual();
    capabilities_.choose_language = special.multilingual();
    capabilities_.translate = special.multilingual();
    capabilities_.prompt = true;
    capabilities_.decoding_options = true;
    capabilities_.word_timestamps = true;
    capabilities_.streaming = true;
    if (special.multilingual()) {
      const std::vector<std::string>& codes = whisper_language_codes();
      capabilities_.languages.assign(codes.begin(), codes.begin() + special.n_languages);
    }
  }

  ModelFamily family() const override { return ModelFamily::Whisper; }
  const FamilyCapabilities& capabilities() const override { return capabilities_; }
  int vocabulary_size() const override { return weights_->config.dims.n_vocab; }
  SpecialTokens special_tokens() const override { return SpecialTokens::for_vocabulary(vocabulary_size()); }
  std::string backend_name() const override { return runner_->backend_name(); }

  ModelDescription description() const override {
    ModelDescription d;
    d.family = ModelFamily::Whisper;
    d.whisper_dims = weights_->config.dims;
    d.weights_path = weights_->weights_path;
    d.quantization = weights_->config.quantization;
    d.stored_alignment_heads = weights_->stored_alignment_heads;
    return d;
  }

  Transcript transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events) override {
    refuse_chunking(options);
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
    TranscribeEvents yielding = events;
    yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
    return transcribe_audio(*runner_, samples, n, options, yielding);
  }

  Transcript transcribe(const SampleReader& read, std::size_t n, const TranscribeOptions& options,
                        const TranscribeEvents& events) override {
    refuse_chunking(options);
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
    TranscribeEvents yielding = events;
    yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
    return transcribe_audio(*runner_, read, n, options, yielding);
  }

  std::shared_ptr<StreamingRecognizer> make_recognizer(StreamingOptions options) override {
    RunnerAccess with_runner = [this](const std::function<void(WhisperRunner&)>& work) {
      RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
      work(*runner_);
    };
    return std::make_shared<WhisperStreamingRecognizer>(weights_->config.dims, std::move(options),
                                                        std::move(with_runner));
  }

  LanguageDetection detect_language(const float* samples, std::size_t n,
                                    const std::function<bool()>& cancelled) override {
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
    // As transcribe does: the spectrogram of all the audio plus 30 s of silence, then its first window.
    const Spectrogram mel = log_mel_spectrogram(samples, n, weights_->config.dims.n_mels, kWindowSamples);
    std::vector<float> window(static_cast<std::size_t>(mel.n_mels) * kWindowFrames);
    for (int bin = 0; bin < mel.n_mels; ++bin) {
      const float* row = mel.data.data() + static_cast<std::size_t>(bin) * mel.n_frames;
      std::copy(row, row + kWindowFrames, window.begin() + static_cast<std::ptrdiff_t>(bin) * kWindowFrames);
    }
    if (cancelled && cancelled()) throw Cancelled();
    return verbatim::detect_language(*runner_, window.data());
  }

 private:
  static void refuse_chunking(const TranscribeOptions& options) {
    if (options.chunking) {
      throw std::invalid_argument("chunkSeconds and chunkOverlapSeconds are for Parakeet models: Whisper reads long "
                                  "files in its 30 s windows");
    }
  }

  std::shared_ptr<const WhisperWeights> weights_;
  std::unique_ptr<WhisperRunner> runner_;
  FamilyCapabilities capabilities_;
};

}  // namespace

std::unique_ptr<Engine> load_whisper_engine(const std::string& folder, const EngineOptions& options) {
  if (options.quantize) {
    throw std::invalid_argument("option quantize is for Parakeet models, and " + folder +
                                " holds a Whisper model: Whisper's MLX repositories come packed already (the "
                                "catalog's -8bit and -4bit names, such as small-8bit; large-v3-turbo is 4-bit), so "
                                "load one of those instead");
  }
  const auto started = std::chrono::steady_clock::now();
  auto weights = std::make_shared<const WhisperWeights>(load_whisper_weights(folder));
  Backend backend = chosen_backend(weights, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_unique<WhisperEngine>(std::move(weights), std::move(backend.runner), std::move(backend.device),
                                         seconds);
}

}  // namespace verbatim
