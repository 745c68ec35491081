// What the two benchmark drivers (engine_bench for our engine, whisper_cpp_bench for whisper.cpp) share, so that
// both read the same options and audio, time the same steps and report in the same format.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

constexpr int kSampleRate = 16000;
constexpr std::size_t kWindowSamples = 30 * kSampleRate;

struct Options {
  std::string model;         // our model folder, or whisper.cpp's ggml file
  std::string audio;         // 16 kHz mono 16-bit PCM WAV, at most 30 s
  int threads = 2;
  int encode_runs = 3;       // timed encoder passes after one warm-up pass
  int decode_tokens = 64;    // timed greedy decoder steps after the prompt
};

inline int parse_positive(const std::string& flag, const char* value) {
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || parsed < 1 || parsed > 100000) {
    throw std::invalid_argument(flag + " takes a positive whole number, not '" + value + "'");
  }
  return static_cast<int>(parsed);
}

inline Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--model") options.model = value;
    else if (flag == "--audio") options.audio = value;
    else if (flag == "--threads") options.threads = parse_positive(flag, value);
    else if (flag == "--encode-runs") options.encode_runs = parse_positive(flag, value);
    else if (flag == "--decode-tokens") options.decode_tokens = parse_positive(flag, value);
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (options.model.empty() || options.audio.empty()) {
    throw std::invalid_argument(
        "usage: --model PATH --audio FILE.wav [--threads N] [--encode-runs N] [--decode-tokens N]");
  }
  return options;
}

inline uint32_t read_le(const std::vector<uint8_t>& bytes, std::size_t at, int size) {
  uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = (value << 8) | bytes[at + i];
  return value;
}

// Reads a 16 kHz mono 16-bit PCM WAV file as samples in [-1, 1], zero-padded to one 30 s window.
inline std::vector<float> read_wav_padded_to_window(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(path + ": cannot open the audio file");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto fail = [&](const std::string& what) {
    return std::runtime_error(path + ": " + what + " (the benchmark takes 16 kHz mono 16-bit PCM WAV)");
  };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    throw fail("not a RIFF/WAVE file");
  }
  bool format_ok = false;
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    const uint32_t chunk_size = read_le(bytes, at + 4, 4);
    const std::size_t body = at + 8;
    if (chunk_size > bytes.size() - body) throw fail("chunk runs past the end of the file");
    if (std::memcmp(bytes.data() + at, "fmt ", 4) == 0) {
      if (chunk_size < 16) throw fail("fmt chunk too short");
      format_ok = read_le(bytes, body, 2) == 1 && read_le(bytes, body + 2, 2) == 1 &&
                  read_le(bytes, body + 4, 4) == kSampleRate && read_le(bytes, body + 14, 2) == 16;
      if (!format_ok) throw fail("unsupported sample format");
    } else if (std::memcmp(bytes.data() + at, "data", 4) == 0) {
      if (!format_ok) throw fail("data chunk before the fmt chunk");
      const std::size_t n = chunk_size / 2;
      if (n > kWindowSamples) throw fail("longer than 30 s");
      std::vector<float> samples(kWindowSamples, 0.0f);
      for (std::size_t i = 0; i < n; ++i) {
        samples[i] = static_cast<int16_t>(read_le(bytes, body + 2 * i, 2)) / 32768.0f;
      }
      return samples;
    }
    at = body + chunk_size + (chunk_size & 1);
  }
  throw fail("no data chunk");
}

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// The process's peak resident memory so far, in MiB.
inline double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // kB
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
#ifdef __APPLE__
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);  // bytes
#else
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB
#endif
}

// Greedy choice, so that both drivers feed tokens the way a transcription does.
inline int32_t argmax(const float* logits, int n) {
  return static_cast<int32_t>(std::max_element(logits, logits + n) - logits);
}

struct Report {
  std::string engine;
  double load_ms = 0;
  double first_encode_ms = 0;     // the warm-up pass: includes first touches of lazily mapped weights
  std::vector<double> encode_ms;  // one entry per timed pass
  int prompt_tokens = 0;
  double prompt_ms = 0;
  std::vector<double> token_ms;   // one entry per timed single-token step
  double peak_rss_mib = 0;
  double mlx_peak_mib = -1;       // MLX's allocator peak, for our MLX backend only
  double prefix_ms = -1;          // ours only: the first decoded tokens again after the prompt, in one pass
  int prefix_tokens = 0;
  std::vector<double> beam_step_ms;  // ours only: one entry per timed step of kBenchBeams beams decoded together
};

constexpr int kBenchBeams = 5;

// One JSON object on one line of stdout; run.mjs reads it.
inline void print_report(const Report& report, const Options& options) {
  double token_total = 0;
  for (double ms : report.token_ms) token_total += ms;
  const double per_token = report.token_ms.empty() ? 0 : token_total / report.token_ms.size();
  double beam_total = 0;
  for (double ms : report.beam_step_ms) beam_total += ms;
  const std::string beam_step =
      report.beam_step_ms.empty()
          ? ""
          : ",\"beam_ms_per_step\":" + std::to_string(beam_total / report.beam_step_ms.size()) +
                ",\"beams\":" + std::to_string(kBenchBeams);
  std::printf(
      "{\"engine\":\"%s\",\"threads\":%d,\"load_ms\":%.1f,\"first_encode_ms\":%.1f,\"encode_ms\":%.1f,"
      "\"encode_runs\":%zu,"
      "\"prompt_tokens\":%d,\"prompt_ms\":%.2f,\"decode_ms_per_token\":%.3f,\"decode_tokens\":%zu,"
      "\"peak_rss_mib\":%.1f%s%s%s}\n",
      report.engine.c_str(), options.threads, report.load_ms, report.first_encode_ms, median(report.encode_ms),
      report.encode_ms.size(), report.prompt_tokens, report.prompt_ms, per_token, report.token_ms.size(), report.peak_rss_mib,
      report.mlx_peak_mib < 0 ? "" : (",\"mlx_peak_mib\":" + std::to_string(report.mlx_peak_mib)).c_str(),
      report.prefix_ms < 0 ? ""
                           : (",\"prefix_ms\":" + std::to_string(report.prefix_ms) +
                              ",\"prefix_tokens\":" + std::to_string(report.prefix_tokens))
                                 .c_str(),
      beam_step.c_str());
  std::fflush(stdout);
}

}  // namespace bench
