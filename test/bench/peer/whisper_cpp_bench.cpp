// Times whisper.cpp the way engine_bench times our engine: load, one 30 s encoder pass (median after a warm-up),
// the decoder prompt, then greedy single-token decoder steps; prints one JSON line (see bench_common.h).
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include "bench_common.h"
#include "whisper.h"

namespace {

void discard_log(ggml_log_level, const char*, void*) {}

// sot, language, task and no-timestamps: the prompt of a transcription without timestamps.
std::vector<whisper_token> transcription_prompt(whisper_context* ctx) {
  std::vector<whisper_token> prompt{whisper_token_sot(ctx)};
  if (whisper_is_multilingual(ctx)) {
    prompt.push_back(whisper_token_lang(ctx, whisper_lang_id("en")));
    prompt.push_back(whisper_token_transcribe(ctx));
  }
  prompt.push_back(whisper_token_not(ctx));
  return prompt;
}

void check(int status, const char* step) {
  if (status != 0) throw std::runtime_error(std::string("whisper.cpp: ") + step + " failed");
}

bench::Report run(const bench::Options& options) {
  const std::vector<float> audio = bench::read_wav_padded_to_window(options.audio);
  bench::Report report;
  report.engine = "whisper.cpp";

  double start = bench::now_ms();
  const std::unique_ptr<whisper_context, decltype(&whisper_free)> context(
      whisper_init_from_file_with_params(options.model.c_str(), whisper_context_default_params()), &whisper_free);
  if (!context) throw std::runtime_error(options.model + ": whisper.cpp could not load this model");
  whisper_context* ctx = context.get();
  report.load_ms = bench::now_ms() - start;

  check(whisper_pcm_to_mel(ctx, audio.data(), static_cast<int>(audio.size()), options.threads), "pcm_to_mel");
  start = bench::now_ms();
  check(whisper_encode(ctx, 0, options.threads), "encode");  // warm-up
  report.first_encode_ms = bench::now_ms() - start;
  for (int run = 0; run < options.encode_runs; ++run) {
    start = bench::now_ms();
    check(whisper_encode(ctx, 0, options.threads), "encode");
    report.encode_ms.push_back(bench::now_ms() - start);
  }

  const std::vector<whisper_token> prompt = transcription_prompt(ctx);
  const int n_vocab = whisper_n_vocab(ctx);
  start = bench::now_ms();
  check(whisper_decode(ctx, prompt.data(), static_cast<int>(prompt.size()), 0, options.threads), "decode");
  report.prompt_ms = bench::now_ms() - start;
  report.prompt_tokens = static_cast<int>(prompt.size());

  int n_past = report.prompt_tokens;
  whisper_token token = bench::argmax(whisper_get_logits(ctx) + static_cast<size_t>(n_vocab) * (prompt.size() - 1), n_vocab);
  for (int step = 0; step < options.decode_tokens; ++step, ++n_past) {
    start = bench::now_ms();
    check(whisper_decode(ctx, &token, 1, n_past, options.threads), "decode");
    report.token_ms.push_back(bench::now_ms() - start);
    token = bench::argmax(whisper_get_logits(ctx), n_vocab);
  }

  report.peak_rss_mib = bench::peak_rss_mib();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bench::Options options = bench::parse_options(argc, argv);
    whisper_log_set(discard_log, nullptr);
    bench::print_report(run(options), options);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "whisper_cpp_bench: %s\n", error.what());
    return 1;
  }
}
