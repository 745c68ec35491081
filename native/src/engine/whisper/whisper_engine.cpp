// The Whisper family: the decoding rules, long-form transcription and live policies of this folder over a
// WhisperRunner, on either backend (backend_choice.h).
#include "whisper/whisper_engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "backend_choice.h"
#include "whisper/decoding.h"
#include "whisper/language.h"
#include "whisper/mel.h"
#include "whisper/special_tokens.h"
#include "whisper/whisper_options.h"
#include "whisper/whisper_runners.h"
#include "whisper/whisper_streaming.h"

namespace verbatim {
namespace {

// A file job with Whisper's options; `refusal` (another family's options) fails it when it runs.
class WhisperTranscription final : public Transcription {
 public:
  WhisperTranscription(WhisperRunner& runner, RunnerGate& gate, WhisperTranscribeOptions options, std::string refusal)
      : runner_(runner), gate_(gate), options_(std::move(options)), refusal_(std::move(refusal)) {}

  Transcript run(const float* samples, std::size_t n, const TranscribeEvents& events) override {
    refuse();
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
    return transcribe_audio(runner_, samples, n, options_, yielding(hold, events));
  }

  Transcript run(const SampleReader& read, std::size_t n, const TranscribeEvents& events) override {
    refuse();
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::batch);
    return transcribe_audio(runner_, read, n, options_, yielding(hold, events));
  }

 private:
  void refuse() const {
    if (!refusal_.empty()) throw std::invalid_argument(refusal_);
  }

  // Between windows, a live session's update that is waiting goes first.
  static TranscribeEvents yielding(RunnerGate::Hold& hold, const TranscribeEvents& events) {
    TranscribeEvents yielding = events;
    yielding.between_windows = [&hold] { return hold.yield_to_interactive(); };
    return yielding;
  }

  WhisperRunner& runner_;
  RunnerGate& gate_;
  WhisperTranscribeOptions options_;
  std::string refusal_;
};

class WhisperEngine final : public Engine {
 public:
  WhisperEngine(std::shared_ptr<const WhisperWeights> weights, std::unique_ptr<WhisperRunner> runner,
                std::string device, double load_seconds)
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

  std::string family() const override { return "whisper"; }
  const FamilyCapabilities& capabilities() const override { return capabilities_; }
  int vocabulary_size() const override { return weights_->config.dims.n_vocab; }
  std::string backend_name() const override { return runner_->backend_name(); }

  ModelDescription description() const override {
    const WhisperDims& d = weights_->config.dims;
    ModelDescription description;
    description.dims = ModelDescription::Sizes{
        {"nMels", d.n_mels},           {"nAudioCtx", d.n_audio_ctx},   {"nAudioState", d.n_audio_state},
        {"nAudioHead", d.n_audio_head}, {"nAudioLayer", d.n_audio_layer}, {"nVocab", d.n_vocab},
        {"nTextCtx", d.n_text_ctx},    {"nTextState", d.n_text_state}, {"nTextHead", d.n_text_head},
        {"nTextLayer", d.n_text_layer}};
    description.weights_path = weights_->weights_path;
    description.quantization = weights_->config.quantization;
    description.stored_alignment_heads = weights_->stored_alignment_heads;
    return description;
  }

  std::unique_ptr<Transcription> transcription(const OptionValues& values,
                                               std::shared_ptr<const TokenBytes> token_bytes) override {
    WhisperTranscribeOptions options = read_whisper_transcribe_options(values, special_tokens());
    options.token_bytes = std::move(token_bytes);
    return std::make_unique<WhisperTranscription>(*runner_, gate_, std::move(options), whisper_refusal(values));
  }

  std::shared_ptr<StreamingRecognizer> make_recognizer(const OptionValues& values,
                                                       std::shared_ptr<const TokenBytes> token_bytes) override {
    WhisperStreamingOptions options = read_whisper_streaming_options(values, special_tokens());
    options.transcribe.token_bytes = std::move(token_bytes);
    RunnerAccess with_runner = [this](const std::function<void(WhisperRunner&)>& work) {
      RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
      work(*runner_);
    };
    return std::make_shared<WhisperStreamingRecognizer>(weights_->config.dims, std::move(options),
                                                        std::move(with_runner));
  }

  DetectedLanguage detect_language(const float* samples, std::size_t n,
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
    const LanguageDetection detection = verbatim::detect_language(*runner_, window.data());
    return {language_code(special_tokens(), detection.token), language_probabilities(detection)};
  }

 private:
  // The vocabulary's special tokens; std::invalid_argument for a vocabulary that is none of Whisper's.
  SpecialTokens special_tokens() const { return SpecialTokens::for_vocabulary(vocabulary_size()); }

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
  const ChosenBackend chosen = choose_backend(options);  // throws for "mlx" without MLX
  std::unique_ptr<WhisperRunner> runner;
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) runner = make_whisper_mlx_runner(weights, chosen.device);
#endif
  if (!runner) runner = make_whisper_cpu_runner(weights, options.threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_unique<WhisperEngine>(std::move(weights), std::move(runner), chosen.device_name, seconds);
}

}  // namespace verbatim
