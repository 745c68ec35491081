// The Nemotron Speech Streaming family: features, the cache-aware encoder and greedy RNN-T a chunk at a time
// (nemotron_stream.h). A file job is the stream run to the end of the file with transformers' offline ending, so
// it costs the same per second however long the file, and equals transformers' offline generate() (native/NEMOTRON.md);
// a live session shows each chunk's tokens as it is decoded, and its final text is the stream's own.
#include "nemotron/nemotron_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "backend_choice.h"
#include "backends/cpu/cpu_backend.h"
#include "nemotron/nemotron_options.h"
#include "nemotron/nemotron_runners.h"
#include "nemotron/nemotron_stream.h"
#include "transcript/cancelled.h"

namespace verbatim {
namespace {

// A file job reads its audio a window at a time.
constexpr std::size_t kReadSamples = 30 * kSampleRate;

double frame_seconds(const NemotronConfig& c) { return 8.0 * c.features.hop_length / kSampleRate; }

// Tokens timed from `offset` seconds: a token starts at its frame and lasts one frame (RNN-T has no durations),
// cut at `length`.
std::vector<TokenTiming> timed(const std::vector<DecodedToken>& tokens, const NemotronConfig& c, double offset,
                               double length) {
  std::vector<TokenTiming> out;
  for (const DecodedToken& t : tokens) {
    const double start = std::min(static_cast<double>(t.frame) * frame_seconds(c), length);
    const double end = std::min(static_cast<double>(t.frame + 1) * frame_seconds(c), length);
    out.push_back({t.id, offset + start, offset + end, t.probability});
  }
  return out;
}

// The boosted terms the stream wrote as their parts, written as the terms (transducer/term_joining.h): a file's
// tokens and an utterance's final text (live text commits the parts as they come).
void join_boosted_terms(const PhraseBoost& boost, std::vector<DecodedToken>& tokens) {
  if (boost.joiner && boost.strength > 0) join_terms(*boost.joiner, tokens, &DecodedToken::id);
}

Segment segment_of(std::vector<TokenTiming> tokens, double start, double end) {
  Segment segment;
  segment.start = start;
  segment.end = end;
  double logprob = 0;
  for (const TokenTiming& t : tokens) {
    segment.tokens.push_back(t.token);
    logprob += std::log(std::max(t.probability, 1e-30f));
  }
  if (!tokens.empty()) segment.avg_logprob = logprob / static_cast<double>(tokens.size());
  segment.token_timings = std::move(tokens);
  return segment;
}

class NemotronEngine;

// A live session: each update pushes the audio received since into the utterance's stream and shows the tokens of
// every chunk it completed, committed at once (they are the stream's settled tokens, never taken back: a boosted term
// still open is held back by the stream until it is whole or taken back); the utterance's end
// flushes its last chunk (padded, as transformers' streaming generate() takes it) and its final text is every token
// the stream gave.
class NemotronRecognizer final : public StreamingRecognizer {
 public:
  NemotronRecognizer(NemotronEngine& engine, NemotronOptions options);

  std::size_t min_update_samples() const override { return stream_->chunk_samples(); }
  void add_audio(const float* samples, std::size_t n) override {
    waiting_.insert(waiting_.end(), samples, samples + n);
    utterance_samples_ += n;
    session_samples_ += n;
  }
  std::size_t utterance_samples() const override { return utterance_samples_; }
  StreamingUpdate update(bool is_last, const std::function<bool()>& cancelled) override;
  Utterance end_utterance(const std::function<bool()>& cancelled) override;

 private:
  NemotronEngine& engine_;
  NemotronOptions options_;
  std::unique_ptr<NemotronStream> stream_;
  std::vector<float> waiting_;
  std::vector<DecodedToken> tokens_;
  std::size_t utterance_samples_ = 0, session_samples_ = 0;
  int utterance_index_ = 0;
  double utterance_start_ = 0;
};

class NemotronEngine final : public Engine {
 public:
  NemotronEngine(std::shared_ptr<const NemotronWeights> weights, std::unique_ptr<NemotronRunner> runner,
                 std::string device, double load_seconds)
      : Engine(std::move(device), load_seconds), weights_(std::move(weights)), runner_(std::move(runner)) {
    capabilities_.word_timestamps = true;  // every token's frame
    capabilities_.streaming = true;
    capabilities_.boosting = true;  // boostPhrases, from the vocabulary's terms
    const NemotronConfig& c = weights_->config;
    if (c.num_prompts == 0) {
      capabilities_.languages = {"en"};
    } else {
      capabilities_.choose_language = true;  // its prompt
      for (const auto& [language, slot] : c.prompts) {
        if (language != "auto") capabilities_.languages.push_back(language);
      }
    }
  }

  std::string family() const override { return "nemotron"; }
  const FamilyCapabilities& capabilities() const override { return capabilities_; }
  int vocabulary_size() const override { return weights_->config.vocab_size; }
  std::string backend_name() const override { return runner_->backend_name(); }
  const NemotronConfig& config() const { return weights_->config; }

  ModelDescription description() const override {
    const NemotronConfig& c = weights_->config;
    ModelDescription d;
    d.sizes = {{"nMels", c.features.n_mels},     {"dModel", c.d_model},          {"layers", c.n_layers},
               {"heads", c.n_heads},             {"predHidden", c.pred_hidden},  {"leftContext", c.left_context},
               {"rightContext", c.default_lookahead}, {"prompts", c.num_prompts}};
    d.weights_path = weights_->weights_path;
    d.quantization = c.quantize;
    d.vocabulary = c.vocabulary;
    return d;
  }

  std::unique_ptr<Transcription> transcription(const OptionValues& values,
                                               std::shared_ptr<const TokenBytes> /*token_bytes*/) override;

  std::shared_ptr<StreamingRecognizer> make_recognizer(const OptionValues& values,
                                                       std::shared_ptr<const TokenBytes> /*token_bytes*/) override {
    return std::make_shared<NemotronRecognizer>(*this, read_nemotron_options(values, config()));
  }

  DetectedLanguage detect_language(const float*, std::size_t, const std::function<bool()>&) override {
    throw std::invalid_argument("Nemotron streaming models do not detect languages");
  }

  // A new stream on this model's runner.
  std::unique_ptr<NemotronStream> stream(const NemotronOptions& options) {
    RunnerGate::Hold hold(gate_, RunnerGate::Priority::interactive);
    return std::make_unique<NemotronStream>(*runner_, config(), options.right_context, options.prompt, options.boost,
                                            options.mask);
  }

  // Runs `work` on the runner at `priority` (each stream's state is its own: jobs and live sessions take turns a
  // push at a time).
  template <class Work>
  auto with_runner(RunnerGate::Priority priority, Work work) {
    RunnerGate::Hold hold(gate_, priority);
    return work();
  }

 private:
  std::shared_ptr<const NemotronWeights> weights_;
  std::unique_ptr<NemotronRunner> runner_;
  FamilyCapabilities capabilities_;
};

NemotronRecognizer::NemotronRecognizer(NemotronEngine& engine, NemotronOptions options)
    : engine_(engine), options_(options), stream_(engine.stream(options)) {}

StreamingUpdate NemotronRecognizer::update(bool /*is_last*/, const std::function<bool()>& cancelled) {
  StreamingUpdate update;
  update.utterance = utterance_index_;
  update.audio_seconds = static_cast<double>(session_samples_) / kSampleRate;
  const std::vector<DecodedToken> decoded = engine_.with_runner(RunnerGate::Priority::interactive, [&] {
    return stream_->push(waiting_.data(), waiting_.size(), cancelled);
  });
  waiting_.clear();
  for (const DecodedToken& t : decoded) update.committed.push_back(t.id);
  tokens_.insert(tokens_.end(), decoded.begin(), decoded.end());
  return update;
}

Utterance NemotronRecognizer::end_utterance(const std::function<bool()>& cancelled) {
  const std::vector<DecodedToken> rest = engine_.with_runner(RunnerGate::Priority::interactive, [&] {
    std::vector<DecodedToken> tokens = stream_->push(waiting_.data(), waiting_.size(), cancelled);
    const std::vector<DecodedToken> last = stream_->finish(StreamEnd::PaddedChunk, cancelled);
    tokens.insert(tokens.end(), last.begin(), last.end());
    return tokens;
  });
  waiting_.clear();
  Utterance utterance;
  utterance.index = utterance_index_;
  utterance.start = utterance_start_;
  const double length = static_cast<double>(utterance_samples_) / kSampleRate;
  utterance.end = utterance_start_ + length;
  for (const DecodedToken& t : tokens_) utterance.live_tokens.push_back(t.id);
  tokens_.insert(tokens_.end(), rest.begin(), rest.end());
  join_boosted_terms(options_.boost, tokens_);
  utterance.transcript.segments.push_back(
      segment_of(timed(tokens_, engine_.config(), utterance.start, length), utterance.start, utterance.end));
  ++utterance_index_;
  utterance_start_ = utterance.end;
  utterance_samples_ = 0;
  tokens_.clear();
  stream_ = engine_.stream(options_);
  return utterance;
}

// A file job: the stream over the file, read a window at a time, ended as transformers' offline pass ends.
class NemotronTranscription final : public Transcription {
 public:
  NemotronTranscription(NemotronEngine& engine, NemotronOptions options) : engine_(engine), options_(options) {}

  Transcript run(const float* samples, std::size_t n, const TranscribeEvents& events) override {
    return run([samples](std::size_t first, std::size_t count,
                         float* out) { std::copy(samples + first, samples + first + count, out); },
               n, events);
  }

  Transcript run(const SampleReader& read, std::size_t n, const TranscribeEvents& events) override {
    const NemotronConfig& c = engine_.config();
    std::unique_ptr<NemotronStream> stream = engine_.stream(options_);
    std::vector<DecodedToken> tokens;
    std::vector<float> window;
    const double length = static_cast<double>(n) / kSampleRate;
    const auto report = [&](const std::vector<DecodedToken>& decoded) {
      tokens.insert(tokens.end(), decoded.begin(), decoded.end());
      if (!events.on_token) return;
      for (const DecodedToken& t : decoded) {
        TokenEvent e;
        e.token = t.id;
        e.probability = t.probability;
        events.on_token(e, 0.0);
      }
    };
    for (std::size_t first = 0; first < n; first += kReadSamples) {
      if (events.cancelled && events.cancelled()) throw Cancelled();
      const std::size_t count = std::min(kReadSamples, n - first);
      window.resize(count);
      read(first, count, window.data());
      report(engine_.with_runner(RunnerGate::Priority::batch,
                                 [&] { return stream->push(window.data(), count, events.cancelled); }));
      if (events.on_progress) {
        events.on_progress(static_cast<int>((first + count) / c.features.hop_length),
                           static_cast<int>(n / c.features.hop_length));
      }
    }
    report(engine_.with_runner(RunnerGate::Priority::batch,
                               [&] { return stream->finish(StreamEnd::Offline, events.cancelled); }));
    join_boosted_terms(options_.boost, tokens);
    Segment segment = segment_of(timed(tokens, c, 0.0, length), 0.0, length);
    if (events.on_segment) events.on_segment(segment);
    Transcript transcript;
    transcript.segments.push_back(std::move(segment));
    return transcript;
  }

 private:
  NemotronEngine& engine_;
  NemotronOptions options_;
};

std::unique_ptr<Transcription> NemotronEngine::transcription(const OptionValues& values,
                                                             std::shared_ptr<const TokenBytes>) {
  return std::make_unique<NemotronTranscription>(*this, read_nemotron_options(values, config()));
}

}  // namespace

std::unique_ptr<Engine> load_nemotron_engine(const std::string& folder, const EngineOptions& options) {
  const ChosenBackend chosen = choose_backend(options);
  const auto started = std::chrono::steady_clock::now();
  // On the CPU backend 4-bit matrices are laid out at load for its integer kernels, which a 160 ms chunk's two rows
  // of x take at three times the speed of MLX's rows: one copy, in that layout.
  auto weights = std::make_shared<const NemotronWeights>(load_nemotron_weights(
      folder, options.quantize, chosen.mlx ? nullptr : cpu_kernel_layout(options.threads)));
  std::unique_ptr<NemotronRunner> runner;
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) runner = make_nemotron_mlx_runner(weights, chosen.device);
#endif
  if (!runner) runner = make_nemotron_cpu_runner(weights, options.threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_unique<NemotronEngine>(std::move(weights), std::move(runner), chosen.device_name, seconds);
}

}  // namespace verbatim
