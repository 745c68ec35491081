#include "audio/nemo_features.h"

#include <climits>
#include <cmath>
#include <complex>
#include <functional>
#include <stdexcept>
#include <string>

#include "audio/mel_filters.h"

namespace verbatim {
namespace {

constexpr double kPi = 3.14159265358979323846;

// In-place iterative radix-2 FFT of a power-of-two length.
void fft(std::vector<std::complex<double>>& a, const std::vector<std::complex<double>>& roots) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const std::size_t step = n / len;
    for (std::size_t i = 0; i < n; i += len) {
      for (std::size_t k = 0; k < len / 2; ++k) {
        const std::complex<double> u = a[i + k];
        const std::complex<double> v = a[i + k + len / 2] * roots[k * step];
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

// The config, once it is one features can be computed for.
const NemoFeatureConfig& checked(const NemoFeatureConfig& config) {
  const int n_fft = config.n_fft;
  if (n_fft < 2 || n_fft > (1 << 16) || (n_fft & (n_fft - 1)) != 0) {
    throw std::invalid_argument("n_fft " + std::to_string(n_fft) + " is not a power of two up to 65536");
  }
  if (config.win_length < 2 || config.win_length > n_fft) {
    throw std::invalid_argument("window of " + std::to_string(config.win_length) + " samples does not fit n_fft " +
                                std::to_string(n_fft));
  }
  if (config.hop_length < 1 || config.n_mels < 1) throw std::invalid_argument("hop and mel bins must be positive");
  return config;
}

}  // namespace

LogMelFrames::LogMelFrames(const NemoFeatureConfig& config)
    : config_(checked(config)), filters_(config.n_mels, config.n_fft) {
  const int n_fft = config.n_fft;
  // Symmetric Hann window of win_length, centred in n_fft (torch.stft pads a shorter window on both sides).
  window_.assign(static_cast<std::size_t>(n_fft), 0.0);
  const int offset = (n_fft - config.win_length) / 2;
  for (int i = 0; i < config.win_length; ++i) {
    window_[static_cast<std::size_t>(offset + i)] = 0.5 - 0.5 * std::cos(2.0 * kPi * i / (config.win_length - 1));
  }
  roots_.resize(static_cast<std::size_t>(n_fft / 2));
  for (int k = 0; k < n_fft / 2; ++k) roots_[static_cast<std::size_t>(k)] = std::polar(1.0, -2.0 * kPi * k / n_fft);
  frame_.resize(static_cast<std::size_t>(n_fft));
  power_.resize(static_cast<std::size_t>(n_fft / 2 + 1));
}

void LogMelFrames::frame(const std::function<double(int64_t)>& emphasised, int64_t t, double* out) {
  const int n_fft = config_.n_fft, bins = n_fft / 2 + 1;
  const int64_t start = t * config_.hop_length - n_fft / 2;
  for (int i = 0; i < n_fft; ++i) {
    frame_[static_cast<std::size_t>(i)] = {emphasised(start + i) * window_[static_cast<std::size_t>(i)], 0.0};
  }
  fft(frame_, roots_);
  for (int k = 0; k < bins; ++k) power_[static_cast<std::size_t>(k)] = std::norm(frame_[static_cast<std::size_t>(k)]);
  for (int m = 0; m < config_.n_mels; ++m) {
    const float* row = filters_.weights.data() + static_cast<std::size_t>(m) * bins;
    double sum = 0;
    for (int k = filters_.first[m]; k < filters_.last[m]; ++k) {
      sum += static_cast<double>(row[k]) * power_[static_cast<std::size_t>(k)];
    }
    out[m] = std::log(sum + std::ldexp(1.0, -24));
  }
}

NemoFeatures nemo_log_mel(const float* samples, std::size_t n, const NemoFeatureConfig& config) {
  LogMelFrames frames(config);
  if (n / static_cast<std::size_t>(config.hop_length) >= static_cast<std::size_t>(INT_MAX / config.n_mels)) {
    throw std::invalid_argument("the signal is too long for one feature matrix");
  }
  const int valid = static_cast<int>(n / static_cast<std::size_t>(config.hop_length));

  // Pre-emphasised sample i (0 outside the signal).
  const auto emphasised = [&](int64_t i) -> double {
    if (i < 0 || i >= static_cast<int64_t>(n)) return 0.0;
    const double x = samples[i];
    return i == 0 ? x : x - config.preemphasis * static_cast<double>(samples[i - 1]);
  };

  NemoFeatures out;
  out.n_frames = valid;
  out.n_mels = config.n_mels;
  out.data.assign(static_cast<std::size_t>(valid) * config.n_mels, 0.0f);
  std::vector<double> logmel(static_cast<std::size_t>(valid) * config.n_mels);
  for (int t = 0; t < valid; ++t) frames.frame(emphasised, t, logmel.data() + static_cast<std::size_t>(t) * config.n_mels);
  if (!config.normalize) {
    for (std::size_t i = 0; i < logmel.size(); ++i) out.data[i] = static_cast<float>(logmel[i]);
    return out;
  }
  if (valid < 2) return out;
  for (int m = 0; m < config.n_mels; ++m) {
    double mean = 0;
    for (int t = 0; t < valid; ++t) mean += logmel[static_cast<std::size_t>(t) * config.n_mels + m];
    mean /= valid;
    double var = 0;
    for (int t = 0; t < valid; ++t) {
      const double d = logmel[static_cast<std::size_t>(t) * config.n_mels + m] - mean;
      var += d * d;
    }
    const double scale = 1.0 / (std::sqrt(var / (valid - 1)) + 1e-5);
    for (int t = 0; t < valid; ++t) {
      const std::size_t i = static_cast<std::size_t>(t) * config.n_mels + m;
      out.data[i] = static_cast<float>((logmel[i] - mean) * scale);
    }
  }
  return out;
}

}  // namespace verbatim
