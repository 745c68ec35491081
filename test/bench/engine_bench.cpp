// Times one of our engine's backends the way whisper_cpp_bench times whisper.cpp: load, one 30 s encoder pass
// (median after a warm-up), the decoder prompt, then greedy single-token decoder steps, and as many steps of five
// beams decoded together (beam search); prints one JSON line (see bench_common.h).
//
// usage: engine_bench [--backend cpu|mlx] <the options of bench_common.h>    engine_bench --list-backends
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "engine.h"
#include "whisper/mel.h"
#include "whisper/special_tokens.h"
#include "whisper/weights.h"
#include "whisper/whisper_runners.h"

namespace {

constexpr std::size_t kForcedPrefixTokens = 50;

// sot, language, task and no-timestamps: the prompt of a transcription without timestamps.
std::vector<int32_t> transcription_prompt(int n_vocab) {
  const verbatim::SpecialTokens special = verbatim::SpecialTokens::for_vocabulary(n_vocab);
  std::vector<int32_t> prompt{special.sot};
  if (special.multilingual()) {
    prompt.push_back(verbatim::language_token_for_code(special, "en"));
    prompt.push_back(special.transcribe);
  }
  prompt.push_back(special.notimestamps);
  return prompt;
}

// The portable CPU backend, or MLX on its GPU when it has one, else on its CPU (as the engine's "mlx" choice).
struct BenchBackend {
  std::string name;  // "cpu", "mlx-gpu" or "mlx-cpu"
  std::unique_ptr<verbatim::WhisperRunner> (*make)(std::shared_ptr<const verbatim::WhisperWeights>, int threads);
};

#if defined(VERBATIM_HAS_MLX)
verbatim::MlxDevice mlx_device() {
  return verbatim::mlx_gpu_available() ? verbatim::MlxDevice::Gpu : verbatim::MlxDevice::Cpu;
}

std::unique_ptr<verbatim::WhisperRunner> make_mlx(std::shared_ptr<const verbatim::WhisperWeights> weights, int) {
  return verbatim::make_whisper_mlx_runner(std::move(weights), mlx_device());
}
#endif

BenchBackend backend_named(const std::string& name) {
  if (name == "cpu") return {"cpu", verbatim::make_whisper_cpu_runner};
#if defined(VERBATIM_HAS_MLX)
  if (name == "mlx") return {std::string("mlx-") + verbatim::mlx_device_name(mlx_device()), make_mlx};
#endif
  throw std::invalid_argument("--backend " + name + ": this build has " +
                              (verbatim::built_backends().mlx ? "cpu and mlx" : "only cpu (MLX was not found)"));
}

bench::Report run(const BenchBackend& backend, const bench::Options& options) {
  const std::vector<float> audio = bench::read_wav_padded_to_window(options.audio);
  bench::Report report;
  report.engine = "verbatim-" + backend.name;

  double start = bench::now_ms();
  auto weights = std::make_shared<const verbatim::WhisperWeights>(verbatim::load_whisper_weights(options.model));
  std::unique_ptr<verbatim::WhisperRunner> runner = backend.make(weights, options.threads);
  report.load_ms = bench::now_ms() - start;

  const verbatim::WhisperDims& dims = runner->dims();
  const verbatim::Spectrogram mel = verbatim::log_mel_spectrogram(audio.data(), audio.size(), dims.n_mels, 0);
  if (mel.n_frames != 2 * dims.n_audio_ctx) throw std::runtime_error("the mel window is not 30 s long");
  start = bench::now_ms();
  runner->encode(mel.data.data());  // warm-up
  report.first_encode_ms = bench::now_ms() - start;
  for (int run = 0; run < options.encode_runs; ++run) {
    start = bench::now_ms();
    runner->encode(mel.data.data());
    report.encode_ms.push_back(bench::now_ms() - start);
  }

  const std::vector<int32_t> prompt = transcription_prompt(dims.n_vocab);
  std::vector<float> logits(static_cast<std::size_t>(dims.n_vocab));
  start = bench::now_ms();
  runner->decode(prompt.data(), static_cast<int>(prompt.size()), logits.data(), {}, nullptr);
  report.prompt_ms = bench::now_ms() - start;
  report.prompt_tokens = static_cast<int>(prompt.size());

  int32_t token = bench::argmax(logits.data(), dims.n_vocab);
  std::vector<int32_t> decoded;
  for (int step = 0; step < options.decode_tokens; ++step) {
    decoded.push_back(token);
    start = bench::now_ms();
    runner->decode(&token, 1, logits.data(), {}, nullptr);
    report.token_ms.push_back(bench::now_ms() - start);
    token = bench::argmax(logits.data(), dims.n_vocab);
  }

  // Live dictation forces the text committed so far after the prompt on every update: the same tokens again, in
  // one pass (against one step each, decode_ms_per_token).
  decoded.resize(std::min<std::size_t>(decoded.size(), kForcedPrefixTokens));
  runner->truncate_cache(static_cast<int>(prompt.size()));
  start = bench::now_ms();
  runner->decode(decoded.data(), static_cast<int>(decoded.size()), logits.data(), {}, nullptr);
  report.prefix_ms = bench::now_ms() - start;
  report.prefix_tokens = static_cast<int>(decoded.size());

  // Beam search: the same number of steps from the prompt with kBenchBeams beams decoded as one batch, each step
  // choosing every beam's best token and forking two beams (beams 0 and 1 taken twice, as beam search's ranking
  // does when two beams each have two good continuations), so their cache copies are timed too.
  runner->truncate_cache(static_cast<int>(prompt.size()));
  runner->select_beams(std::vector<int>(bench::kBenchBeams, 0));
  const std::vector<int> forked = {0, 0, 1, 1, 2};
  std::vector<float> beam_logits(static_cast<std::size_t>(bench::kBenchBeams) * dims.n_vocab);
  std::vector<int32_t> beam_tokens(bench::kBenchBeams, decoded.front());
  for (int step = 0; step < options.decode_tokens; ++step) {
    start = bench::now_ms();
    if (step > 0) runner->select_beams(forked);
    runner->decode_beams(beam_tokens.data(), beam_logits.data());
    report.beam_step_ms.push_back(bench::now_ms() - start);
    for (int b = 0; b < bench::kBenchBeams; ++b) {
      beam_tokens[b] = bench::argmax(beam_logits.data() + static_cast<std::size_t>(b) * dims.n_vocab, dims.n_vocab);
    }
  }

  report.peak_rss_mib = bench::peak_rss_mib();
#if defined(VERBATIM_HAS_MLX)
  // On a Mac, MLX's GPU buffers are not all in the resident set: its allocator's own peak says what it held.
  if (backend.name != "cpu") report.mlx_peak_mib = static_cast<double>(verbatim::mlx_memory().peak_bytes) / (1 << 20);
#endif
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::strcmp(argv[1], "--list-backends") == 0) {
      std::printf(verbatim::built_backends().mlx ? "cpu mlx\n" : "cpu\n");
      return 0;
    }
    std::string backend = "cpu";
    if (argc >= 3 && std::strcmp(argv[1], "--backend") == 0) {
      backend = argv[2];
      argc -= 2;
      argv += 2;  // parse_options skips argv[0], here the backend's name
    }
    const bench::Options options = bench::parse_options(argc, argv);
    bench::print_report(run(backend_named(backend), options), options);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "engine_bench: %s\n", error.what());
    return 1;
  }
}
