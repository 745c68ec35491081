// Mel filterbanks as librosa.filters.mel builds them (Slaney mel scale, Slaney area normalisation, 0 .. 8000 Hz),
// which Whisper's log-mel spectrogram and NeMo's features both use.
#pragma once

#include <vector>

namespace verbatim {

// For an n_fft-point FFT of 16 kHz audio, as librosa.filters.mel(sr=16000, n_fft, n_mels): n_mels rows of
// n_fft / 2 + 1 weights, row-major. Throws std::invalid_argument when n_mels is not positive or n_fft is below 2.
std::vector<float> mel_filters(int n_mels, int n_fft);

// That filterbank with each row's non-zero span [first, last): the filters are triangles a few bins wide, so a mel
// energy summed over its span alone is the same number in a fraction of the work.
struct SparseMelFilters {
  SparseMelFilters(int n_mels, int n_fft);

  std::vector<float> weights;  // n_mels x (n_fft / 2 + 1)
  std::vector<int> first, last;
};

}  // namespace verbatim
