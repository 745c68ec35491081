// Times our engine's CPU backend the way whisper_cpp_bench times whisper.cpp: load, one 30 s encoder pass (median
// after a warm-up), the decoder prompt, then greedy single-token decoder steps; prints one JSON line
// (see bench_common.h).
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include "bench_common.h"
#include "cpu_backend.h"
#include "mel.h"
#include "special_tokens.h"
#include "weights.h"

namespace {

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

bench::Report run(const bench::Options& options) {
  const std::vector<float> audio = bench::read_wav_padded_to_window(options.audio);
  bench::Report report;
  report.engine = "verbatim-cpu";

  double start = bench::now_ms();
  auto weights = std::make_shared<const verbatim::WhisperWeights>(verbatim::load_whisper_weights(options.model));
  std::unique_ptr<verbatim::ModelRunner> runner = verbatim::make_cpu_runner(weights, options.threads);
  report.load_ms = bench::now_ms() - start;

  const verbatim::ModelDims& dims = runner->dims();
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
  for (int step = 0; step < options.decode_tokens; ++step) {
    start = bench::now_ms();
    runner->decode(&token, 1, logits.data(), {}, nullptr);
    report.token_ms.push_back(bench::now_ms() - start);
    token = bench::argmax(logits.data(), dims.n_vocab);
  }

  report.peak_rss_mib = bench::peak_rss_mib();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bench::Options options = bench::parse_options(argc, argv);
    bench::print_report(run(options), options);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "engine_bench: %s\n", error.what());
    return 1;
  }
}
