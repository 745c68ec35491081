// Whisper's log-mel spectrogram (openai/whisper audio.log_mel_spectrogram), computed natively.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "audio/mel_filters.h"
#include "audio/samples.h"

namespace verbatim {

constexpr int kFftSize = 400;                  // 25 ms analysis window
constexpr int kHopLength = 160;                // 10 ms between frames
constexpr int kFftBins = kFftSize / 2 + 1;     // 201 frequency bins, 0 .. 8000 Hz
constexpr int kWindowFrames = 3000;            // frames in one 30 s encoder window
constexpr std::size_t kWindowSamples = 480000;  // samples in one 30 s encoder window

// Whisper's mel filterbank, librosa.filters.mel(sr=16000, n_fft=400, n_mels) (audio/mel_filters.h): n_mels rows of
// kFftBins weights, row-major. n_mels must be positive.
std::vector<float> mel_filters(int n_mels);

struct Spectrogram {
  int n_mels = 0;
  int n_frames = 0;
  std::vector<float> data;  // n_mels rows of n_frames values, row-major (Whisper's (n_mels, frames) tensor)

  float at(int mel, int frame) const { return data[static_cast<std::size_t>(mel) * n_frames + frame]; }
};

// Whisper's log_mel_spectrogram(audio, n_mels, padding): the samples (16 kHz mono, [-1, 1]) followed by
// `zero_padding_samples` zeros, framed with a periodic Hann window of 400 after reflect-padding 200 samples at each
// end (torch.stft center=True), N / 160 frames for N samples in all, power spectrum, mel filterbank,
// log10(max(mel, 1e-10)), clamped to 8 below the spectrogram's maximum, then (x + 4) / 4.
//
// torch.stft refuses signals of 200 samples or fewer (the reflection would run past the other end). Here the
// reflection continues back and forth as numpy.pad(mode="reflect") does. A signal shorter than one hop gives an
// empty spectrogram (n_frames == 0).
// Samples must be finite: with a NaN or an infinity among them the values are meaningless (never undefined).
// Throws std::invalid_argument when n_mels is not positive or the signal has more frames than an int holds.
Spectrogram log_mel_spectrogram(const float* samples, std::size_t n, int n_mels, std::size_t zero_padding_samples);

// The same spectrogram as log_mel_spectrogram, bit for bit, a range of frames at a time, so that a long signal's
// spectrogram is never held whole (two hours: 230 MB at 80 mels). The constructor makes one pass over the signal
// for the maximum the values are clamped against. The samples are in memory (`samples` must outlive the object)
// or read through `read`, about 30 s at a time, so that they need not be in memory at all. Same errors as
// log_mel_spectrogram.
class LogMelFrames {
 public:
  LogMelFrames(const float* samples, std::size_t n, int n_mels, std::size_t zero_padding_samples);
  LogMelFrames(SampleReader read, std::size_t n, int n_mels, std::size_t zero_padding_samples);
  ~LogMelFrames();
  LogMelFrames(const LogMelFrames&) = delete;
  LogMelFrames& operator=(const LogMelFrames&) = delete;

  int n_mels() const { return n_mels_; }
  int n_frames() const { return n_frames_; }
  // Frames [first, first + count) as n_mels rows of `count` values, row-major; 0 <= first, first + count <= n_frames.
  std::vector<float> frames(int first, int count);

  struct Computer;  // the transforms, shared with log_mel_spectrogram (mel.cpp)

 private:
  LogMelFrames(const float* samples, SampleReader read, std::size_t n, int n_mels, std::size_t zero_padding_samples);

  std::unique_ptr<Computer> computer_;
  int n_mels_ = 0;
  int n_frames_ = 0;
  float max_value_ = 0;
};

}  // namespace verbatim
