// Times nemotron-asr.cpp's cache-aware streaming the way test/bench/nemotron.mjs times ours: the model loaded on
// ggml's CPU backend with --threads threads, then the audio pushed one chunk (8 (R + 1) hops of 160 samples) at a
// time to nemo_stream_process_incremental, each push timed; the rest after the last whole chunk is pushed and
// flushed (nemo_stream_finalize) untimed. Prints one JSON line: load_ms, chunk_ms, tokens (the ids emitted),
// audio_seconds.
//
// usage: nemotron_asr_cpp_bench MODEL.gguf AUDIO.wav --right-context R [--threads N]
// AUDIO.wav: 16 kHz mono 16-bit PCM (the bench writes it).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "ggml-cpu.h"
#include "nemo-ggml.h"
#include "nemo-stream.h"

namespace {

constexpr int kRate = 16000;
constexpr int kHop = 160;

struct Options {
  std::string model;
  std::string audio;
  int right_context = -1;
  int threads = 2;
};

Options parse_options(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--right-context" || arg == "--threads") && i + 1 < argc) {
      (arg == "--threads" ? options.threads : options.right_context) = std::stoi(argv[++i]);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2 || options.right_context < 0 || options.threads < 1) {
    throw std::runtime_error("usage: nemotron_asr_cpp_bench MODEL.gguf AUDIO.wav --right-context R [--threads N]");
  }
  options.model = positional[0];
  options.audio = positional[1];
  return options;
}

uint32_t read_le(const std::vector<char>& bytes, std::size_t at, int size) {
  uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

// The samples of a canonical 16 kHz mono 16-bit WAV (RIFF, WAVE, fmt, data), refused otherwise.
std::vector<int16_t> read_wav(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < 44 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0 ||
      std::memcmp(bytes.data() + 36, "data", 4) != 0 || read_le(bytes, 20, 2) != 1 || read_le(bytes, 22, 2) != 1 ||
      read_le(bytes, 24, 4) != kRate || read_le(bytes, 34, 2) != 16) {
    throw std::runtime_error(path + ": not a canonical 16 kHz mono 16-bit PCM WAV");
  }
  const std::size_t size = std::min<std::size_t>(read_le(bytes, 40, 4), bytes.size() - 44);
  std::vector<int16_t> samples(size / 2);
  std::memcpy(samples.data(), bytes.data() + 44, samples.size() * 2);
  return samples;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void run(const Options& options) {
  const std::vector<int16_t> audio = read_wav(options.audio);

  double start = now_ms();
  nemo_context* ctx = nemo_init_with_backend(options.model.c_str(), NEMO_BACKEND_CPU);
  if (ctx == nullptr) throw std::runtime_error(options.model + ": nemotron-asr.cpp could not load this model");
  // nemotron-asr.cpp never sets the CPU backend's threads (ggml's default is 4): set them as ours are.
  ggml_backend_cpu_set_n_threads(ctx->model.backend, options.threads);
  nemo_cache_config config = nemo_cache_config::default_config();
  config.att_right_context = options.right_context;
  nemo_stream_context* stream = nemo_stream_init(ctx, &config);
  if (stream == nullptr) throw std::runtime_error("nemotron-asr.cpp could not start a stream");
  const double load_ms = now_ms() - start;

  const std::size_t chunk = static_cast<std::size_t>(8 * (options.right_context + 1) * kHop);
  const std::size_t whole = audio.size() - audio.size() % chunk;
  std::vector<double> chunk_ms;
  for (std::size_t at = 0; at < whole; at += chunk) {
    start = now_ms();
    nemo_stream_process_incremental(stream, audio.data() + at, static_cast<int>(chunk));
    chunk_ms.push_back(now_ms() - start);
  }
  if (whole < audio.size()) {
    nemo_stream_process_incremental(stream, audio.data() + whole, static_cast<int>(audio.size() - whole));
  }
  nemo_stream_finalize(stream);

  std::string json = "{\"load_ms\":" + std::to_string(load_ms) + ",\"chunk_ms\":[";
  for (std::size_t i = 0; i < chunk_ms.size(); ++i) json += (i ? "," : "") + std::to_string(chunk_ms[i]);
  json += "],\"tokens\":[";
  const std::vector<int>& tokens = nemo_stream_get_tokens(stream);
  for (std::size_t i = 0; i < tokens.size(); ++i) json += (i ? "," : "") + std::to_string(tokens[i]);
  json += "],\"audio_seconds\":" + std::to_string(static_cast<double>(audio.size()) / kRate) + "}";
  std::printf("%s\n", json.c_str());

  nemo_stream_free(stream);
  nemo_free(ctx);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse_options(argc, argv));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nemotron_asr_cpp_bench: %s\n", error.what());
    return 1;
  }
}
