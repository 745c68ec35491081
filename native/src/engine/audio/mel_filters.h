// Mel filterbanks as librosa.filters.mel builds them (Slaney mel scale, Slaney area normalisation, 0 .. 8000 Hz),
// which Whisper's log-mel spectrogram and NeMo's features both use.
#pragma once

#include <vector>

namespace verbatim {

// For an n_fft-point FFT of 16 kHz audio, as librosa.filters.mel(sr=16000, n_fft, n_mels): n_mels rows of
// n_fft / 2 + 1 weights, row-major. Throws std::invalid_argument when n_mels is not positive or n_fft is below 2.
std::vector<float> mel_filters(int n_mels, int n_fft);

}  // namespace verbatim
