#include "engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "cpu_backend.h"
#include "decoding.h"
#include "mel.h"

namespace verbatim {

BackendChoice parse_backend_choice(const std::string& name) {
  if (name == "auto") return BackendChoice::Auto;
  if (name == "cpu") return BackendChoice::Cpu;
  throw std::invalid_argument("unknown backend \"" + name + "\": use \"auto\" or \"cpu\"");
}

std::unique_ptr<Engine> Engine::load(const std::string& folder, const EngineOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto weights = std::make_shared<const WhisperWeights>(load_whisper_weights(folder));
  std::unique_ptr<ModelRunner> runner = make_cpu_runner(weights, options.threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::unique_ptr<Engine>(new Engine(std::move(weights), std::move(runner), seconds));
}

Engine::Engine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<ModelRunner> runner,
               double load_seconds)
    : weights_(std::move(weights)), runner_(std::move(runner)), load_seconds_(load_seconds) {}

Transcript Engine::transcribe(const float* samples, std::size_t n, const TranscribeOptions& options,
                              const TranscribeEvents& events) {
  std::lock_guard<std::mutex> lock(busy_);
  return transcribe_audio(*runner_, samples, n, options, events);
}

LanguageDetection Engine::detect_language(const float* samples, std::size_t n,
                                          const std::function<bool()>& cancelled) {
  std::lock_guard<std::mutex> lock(busy_);
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
