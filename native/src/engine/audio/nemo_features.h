// NeMo's log-mel features for Parakeet (AudioToMelSpectrogramPreprocessor at inference, as transformers'
// ParakeetFeatureExtractor computes them; native/PARAKEET.md "Features").
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "audio/mel_filters.h"

namespace verbatim {

struct NemoFeatureConfig {
  int n_mels = 128;
  int n_fft = 512;       // a power of two
  int win_length = 400;  // samples; at most n_fft
  int hop_length = 160;  // samples
  double preemphasis = 0.97;
  bool normalize = true;  // per-feature normalisation (Parakeet); Nemotron's streaming models have none
};

struct NemoFeatures {
  int n_frames = 0;  // the valid frames: samples / hop_length
  int n_mels = 0;
  std::vector<float> data;  // n_frames rows of n_mels values (time-major)
};

// Pre-emphasis, a centred STFT (n_fft / 2 zeros each side) with a symmetric Hann window of win_length centred in
// n_fft, power spectrum, Slaney mel filters, log(mel + 2^-24), then per-feature normalisation over the valid
// frames (mean, unbiased std + 1e-5) unless config.normalize is false. Computed in double, returned as float. Fewer than two valid frames give
// zeros (the unbiased variance needs two). Samples must be finite (NaN gives meaningless values, never undefined
// behaviour). Throws std::invalid_argument for an impossible config or a signal whose frames overflow an int.
// One frame at a time: frame t reads pre-emphasised samples [t * hop - n_fft / 2, t * hop + n_fft / 2) through
// `emphasised` (0 outside the signal) and writes n_mels values of log(mel + 2^-24), unnormalised. A stream computes
// its frames as their samples arrive with it. Throws std::invalid_argument for an impossible config.
class LogMelFrames {
 public:
  explicit LogMelFrames(const NemoFeatureConfig& config);
  void frame(const std::function<double(int64_t)>& emphasised, int64_t t, double* out);

 private:
  NemoFeatureConfig config_;
  SparseMelFilters filters_;
  std::vector<double> window_;
  std::vector<std::complex<double>> roots_, frame_;
  std::vector<double> power_;
};

NemoFeatures nemo_log_mel(const float* samples, std::size_t n, const NemoFeatureConfig& config);

}  // namespace verbatim
