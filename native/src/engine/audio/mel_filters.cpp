#include "audio/mel_filters.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "audio/samples.h"

namespace verbatim {
namespace {

// ---- Slaney's mel scale (librosa, htk=False): linear below 1 kHz, logarithmic above ----

constexpr double kHzPerLinearMel = 200.0 / 3.0;
constexpr double kLogRegionHz = 1000.0;
constexpr double kLogRegionMel = kLogRegionHz / kHzPerLinearMel;  // 15

double log_region_step() { return std::log(6.4) / 27.0; }

double hz_to_mel(double hz) {
  if (hz >= kLogRegionHz) return kLogRegionMel + std::log(hz / kLogRegionHz) / log_region_step();
  return hz / kHzPerLinearMel;
}

double mel_to_hz(double mel) {
  if (mel >= kLogRegionMel) return kLogRegionHz * std::exp(log_region_step() * (mel - kLogRegionMel));
  return kHzPerLinearMel * mel;
}

}  // namespace

std::vector<float> mel_filters(int n_mels, int n_fft) {
  if (n_mels <= 0) throw std::invalid_argument("mel_filters: n_mels must be positive, got " + std::to_string(n_mels));
  if (n_fft < 2) throw std::invalid_argument("mel_filters: n_fft must be at least 2, got " + std::to_string(n_fft));
  const int fft_bins = n_fft / 2 + 1;
  // Band edges: n_mels + 2 points evenly spaced in mel from 0 Hz to the Nyquist frequency (as np.linspace).
  const double max_mel = hz_to_mel(kSampleRate / 2.0);
  const double mel_step = max_mel / (n_mels + 1);
  std::vector<double> edge_hz(n_mels + 2);
  for (int i = 0; i < n_mels + 2; ++i) edge_hz[i] = mel_to_hz(i == n_mels + 1 ? max_mel : i * mel_step);

  const double hz_per_bin = 1.0 / (n_fft * (1.0 / kSampleRate));  // as np.fft.rfftfreq
  std::vector<float> filters(static_cast<std::size_t>(n_mels) * fft_bins);
  for (int m = 0; m < n_mels; ++m) {
    const double rise = edge_hz[m + 1] - edge_hz[m];
    const double fall = edge_hz[m + 2] - edge_hz[m + 1];
    const double area_norm = 2.0 / (edge_hz[m + 2] - edge_hz[m]);
    for (int k = 0; k < fft_bins; ++k) {
      const double hz = k * hz_per_bin;
      const double lower = (hz - edge_hz[m]) / rise;
      const double upper = (edge_hz[m + 2] - hz) / fall;
      // librosa stores the triangle as float32 before normalising; rounding the same way reproduces its bits.
      const float triangle = static_cast<float>(std::max(0.0, std::min(lower, upper)));
      filters[static_cast<std::size_t>(m) * fft_bins + k] = static_cast<float>(triangle * area_norm);
    }
  }
  return filters;
}

SparseMelFilters::SparseMelFilters(int n_mels, int n_fft)
    : weights(mel_filters(n_mels, n_fft)), first(n_mels), last(n_mels) {
  const int bins = n_fft / 2 + 1;
  for (int m = 0; m < n_mels; ++m) {
    const float* row = &weights[static_cast<std::size_t>(m) * bins];
    int begin = 0;
    while (begin < bins && row[begin] == 0.0f) ++begin;
    int end = bins;
    while (end > begin && row[end - 1] == 0.0f) --end;
    first[m] = begin;
    last[m] = end;
  }
}

}  // namespace verbatim
