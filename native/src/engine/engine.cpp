#include "engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "backends/cpu/cpu_backend.h"
#include "decoding/decoding.h"
#include "audio/mel.h"

namespace verbatim {

namespace {

struct Backend {
  std::unique_ptr<ModelRunner> runner;
  std::string device;
};

#if defined(VERBATIM_HAS_MLX)
Backend mlx_backend(std::shared_ptr<const WhisperWeights> weights, const EngineOptions& options) {
  if (options.mlx_cache_limit_bytes) set_mlx_cache_limit(*options.mlx_cache_limit_bytes);
  if (options.mlx_wired_limit_bytes) set_mlx_wired_limit(*options.mlx_wired_limit_bytes);
  const MlxDevice device = mlx_gpu_available() ? MlxDevice::Gpu : MlxDevice::Cpu;
  return {make_mlx_runner(std::move(weights), device), mlx_device_name(device)};
}
#endif

Backend chosen_backend(std::shared_ptr<const WhisperWeights> weights, const EngineOptions& options) {
#if defined(VERBATIM_HAS_MLX)
  if (options.backend == BackendChoice::Mlx || (options.backend == BackendChoice::Auto && mlx_gpu_available())) {
    return mlx_backend(std::move(weights), options);
  }
#else
  if (options.backend == BackendChoice::Mlx) {
    throw std::invalid_argument(
        "this build of the engine has no MLX backend: install MLX (on a Mac: brew install mlx), then run `npm "
        "install` again");
  }
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
  return {true, mlx_gpu_available()};
#else
  return {};
#endif
}

std::unique_ptr<Engine> Engine::load(const std::string& folder, const EngineOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto weights = std::make_shared<const WhisperWeights>(load_whisper_weights(folder));
  Backend backend = chosen_backend(weights, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::unique_ptr<Engine>(
      new Engine(std::move(weights), std::move(backend.runner), std::move(backend.device), seconds));
}

Engine::Engine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<ModelRunner> runner, std::string device,
               double load_seconds)
    : weights_(std::move(weights)), runner_(std::move(runner)), device_(std::move(device)), load_seconds_(load_seconds) {}

std::optional<MlxMemory> Engine::memory() const {
#if defined(VERBATIM_HAS_MLX)
  if (runner_->backend_name() == "mlx") return mlx_memory();
#endif
  return std::nullopt;
}

Transcript Engine::transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                              const TranscribeEvents& events) {
  RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
  TranscribeEvents yielding = events;
  yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
  return transcribe_audio(*runner_, samples, n, options, yielding);
}

Transcript Engine::transcribe(const SampleReader& read, std::size_t n, const TranscribeOptions& options,
                              const TranscribeEvents& events) {
  RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
  TranscribeEvents yielding = events;
  yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
  return transcribe_audio(*runner_, read, n, options, yielding);
}

StreamingTranscript Engine::stream(AudioInbox& inbox, StreamingRecognizer& recognizer,
                                   const StreamingEvents& events) {
  const RunnerAccess with_runner = [this](const std::function<void(ModelRunner&)>& work) {
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
    work(*runner_);
  };
  return run_streaming_session(inbox, recognizer, with_runner, events);
}

LanguageDetection Engine::detect_language(const float* samples, std::size_t n,
                                          const std::function<bool()>& cancelled) {
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

}  // namespace verbatim
