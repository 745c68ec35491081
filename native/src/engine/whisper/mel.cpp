#include "whisper/mel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace verbatim {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The butterfly loops read one buffer and write several disjoint runs of another; without this promise the
// compilers give up vectorising them (too many run-time alias checks).
#if defined(__clang__)
#define VERBATIM_NO_LOOP_ALIASING _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define VERBATIM_NO_LOOP_ALIASING _Pragma("GCC ivdep")
#else
#define VERBATIM_NO_LOOP_ALIASING
#endif

// ---- FFT ----

// Complex FFT of size 400 = 4·4·5·5 (Stockham autosort, decimation in frequency) applied to kBatch signals at
// once. Sample t of signal b lives at [t * kBatch + b] of split real/imaginary arrays, so each butterfly is a
// loop over contiguous memory that the compiler vectorises. Double precision: float32 transforms (as torch.stft
// uses) are off by up to ~2e-5 in the normalised log-mel of quiet bins.
class BatchedFft400 {
 public:
  static constexpr int kSize = kFftSize;
  static constexpr int kBatch = 8;

  BatchedFft400() {
    int length = kSize;
    int stride = 1;
    for (int radix : {4, 4, 5, 5}) {
      Stage stage{radix, length, stride, {}, {}};
      const int m = length / radix;
      for (int p = 0; p < m; ++p) {
        for (int j = 1; j < radix; ++j) {
          const double angle = -2.0 * kPi * p * j / length;
          stage.twiddle_re.push_back(std::cos(angle));
          stage.twiddle_im.push_back(std::sin(angle));
        }
      }
      stages_.push_back(std::move(stage));
      length = m;
      stride *= radix;
    }
  }

  // Transforms re/im (kSize * kBatch values each) in place.
  void forward(double* re, double* im) {
    double* x_re = re;
    double* x_im = im;
    double* y_re = scratch_re_.data();
    double* y_im = scratch_im_.data();
    for (const Stage& stage : stages_) {
      if (stage.radix == 4) {
        radix4(stage, x_re, x_im, y_re, y_im);
      } else {
        radix5(stage, x_re, x_im, y_re, y_im);
      }
      std::swap(x_re, y_re);
      std::swap(x_im, y_im);
    }
    if (x_re != re) {
      std::copy(x_re, x_re + kSize * kBatch, re);
      std::copy(x_im, x_im + kSize * kBatch, im);
    }
  }

 private:
  struct Stage {
    int radix;
    int length;  // of each sub-transform at this stage
    int stride;  // number of interleaved sub-transforms
    std::vector<double> twiddle_re, twiddle_im;  // exp(-2πi p j / length) at [p * (radix - 1) + j - 1]
  };

  // y[j + radix p] = w^(p j) Σ_k x[p + k m] e^(-2πi j k / radix), with m = length / radix, for every interleaved
  // sub-transform and batch element (the contiguous run of stride * kBatch values).
  static void radix4(const Stage& stage, const double* __restrict x_re, const double* __restrict x_im,
                     double* __restrict y_re, double* __restrict y_im) {
    const int m = stage.length / 4;
    const std::size_t run = static_cast<std::size_t>(stage.stride) * kBatch;
    for (int p = 0; p < m; ++p) {
      const double* tw_re = &stage.twiddle_re[p * 3];
      const double* tw_im = &stage.twiddle_im[p * 3];
      const std::size_t in0 = run * p, in1 = run * (p + m), in2 = run * (p + 2 * m), in3 = run * (p + 3 * m);
      const std::size_t out0 = run * 4 * p, out1 = out0 + run, out2 = out1 + run, out3 = out2 + run;
      VERBATIM_NO_LOOP_ALIASING
      for (std::size_t i = 0; i < run; ++i) {
        const double t0_re = x_re[in0 + i] + x_re[in2 + i], t0_im = x_im[in0 + i] + x_im[in2 + i];
        const double t1_re = x_re[in0 + i] - x_re[in2 + i], t1_im = x_im[in0 + i] - x_im[in2 + i];
        const double t2_re = x_re[in1 + i] + x_re[in3 + i], t2_im = x_im[in1 + i] + x_im[in3 + i];
        const double t3_re = x_re[in1 + i] - x_re[in3 + i], t3_im = x_im[in1 + i] - x_im[in3 + i];
        y_re[out0 + i] = t0_re + t2_re;
        y_im[out0 + i] = t0_im + t2_im;
        rotate(t1_re + t3_im, t1_im - t3_re, tw_re[0], tw_im[0], &y_re[out1 + i], &y_im[out1 + i]);
        rotate(t0_re - t2_re, t0_im - t2_im, tw_re[1], tw_im[1], &y_re[out2 + i], &y_im[out2 + i]);
        rotate(t1_re - t3_im, t1_im + t3_re, tw_re[2], tw_im[2], &y_re[out3 + i], &y_im[out3 + i]);
      }
    }
  }

  static void radix5(const Stage& stage, const double* __restrict x_re, const double* __restrict x_im,
                     double* __restrict y_re, double* __restrict y_im) {
    const double c1 = std::cos(2.0 * kPi / 5.0), s1 = std::sin(2.0 * kPi / 5.0);
    const double c2 = std::cos(4.0 * kPi / 5.0), s2 = std::sin(4.0 * kPi / 5.0);
    const int m = stage.length / 5;
    const std::size_t run = static_cast<std::size_t>(stage.stride) * kBatch;
    for (int p = 0; p < m; ++p) {
      const double* tw_re = &stage.twiddle_re[p * 4];
      const double* tw_im = &stage.twiddle_im[p * 4];
      const std::size_t in0 = run * p, in1 = run * (p + m), in2 = run * (p + 2 * m), in3 = run * (p + 3 * m),
                        in4 = run * (p + 4 * m);
      const std::size_t out0 = run * 5 * p, out1 = out0 + run, out2 = out1 + run, out3 = out2 + run,
                        out4 = out3 + run;
      VERBATIM_NO_LOOP_ALIASING
      for (std::size_t i = 0; i < run; ++i) {
        const double sum1_re = x_re[in1 + i] + x_re[in4 + i], sum1_im = x_im[in1 + i] + x_im[in4 + i];
        const double sum2_re = x_re[in2 + i] + x_re[in3 + i], sum2_im = x_im[in2 + i] + x_im[in3 + i];
        const double dif1_re = x_re[in1 + i] - x_re[in4 + i], dif1_im = x_im[in1 + i] - x_im[in4 + i];
        const double dif2_re = x_re[in2 + i] - x_re[in3 + i], dif2_im = x_im[in2 + i] - x_im[in3 + i];
        // Outputs 1 and 4 are u1 -/+ i·v1, outputs 2 and 3 are u2 -/+ i·v2.
        const double u1_re = x_re[in0 + i] + c1 * sum1_re + c2 * sum2_re;
        const double u1_im = x_im[in0 + i] + c1 * sum1_im + c2 * sum2_im;
        const double v1_re = s1 * dif1_re + s2 * dif2_re, v1_im = s1 * dif1_im + s2 * dif2_im;
        const double u2_re = x_re[in0 + i] + c2 * sum1_re + c1 * sum2_re;
        const double u2_im = x_im[in0 + i] + c2 * sum1_im + c1 * sum2_im;
        const double v2_re = s2 * dif1_re - s1 * dif2_re, v2_im = s2 * dif1_im - s1 * dif2_im;
        y_re[out0 + i] = x_re[in0 + i] + sum1_re + sum2_re;
        y_im[out0 + i] = x_im[in0 + i] + sum1_im + sum2_im;
        rotate(u1_re + v1_im, u1_im - v1_re, tw_re[0], tw_im[0], &y_re[out1 + i], &y_im[out1 + i]);
        rotate(u2_re + v2_im, u2_im - v2_re, tw_re[1], tw_im[1], &y_re[out2 + i], &y_im[out2 + i]);
        rotate(u2_re - v2_im, u2_im + v2_re, tw_re[2], tw_im[2], &y_re[out3 + i], &y_im[out3 + i]);
        rotate(u1_re - v1_im, u1_im + v1_re, tw_re[3], tw_im[3], &y_re[out4 + i], &y_im[out4 + i]);
      }
    }
  }

  // *out = (re + i·im) · (w_re + i·w_im)
  static void rotate(double re, double im, double w_re, double w_im, double* out_re, double* out_im) {
    *out_re = re * w_re - im * w_im;
    *out_im = re * w_im + im * w_re;
  }

  std::vector<Stage> stages_;
  std::vector<double> scratch_re_ = std::vector<double>(kSize * kBatch);
  std::vector<double> scratch_im_ = std::vector<double>(kSize * kBatch);
};

// ---- framing ----

// The signal as torch.stft(center=True, pad_mode="reflect") sees it: the samples, then zeros up to `length`,
// reflected (without repeating the edge sample) beyond both ends. `samples` holds the samples from `offset` on, as
// far as the frames read need (all of them, or those of a range of frames).
class ReflectedSignal {
 public:
  ReflectedSignal(const float* samples, int64_t offset, int64_t n, int64_t length)
      : samples_(samples), offset_(offset), n_(n), length_(length) {}

  // Writes `count` frames, the first starting at `start` (which may be negative) and each kHopLength after the
  // previous, times `window`: sample i of frame f goes to out[i * step + f]. Frames count .. step-1 are zeroed.
  void read_windowed_frames(int64_t start, int count, const double* window, double* out, int step) const {
    if (count == step && start >= 0 && start + static_cast<int64_t>(count - 1) * kHopLength + kFftSize <= n_) {
      for (int i = 0; i < kFftSize; ++i) {  // inside the samples: write each output row contiguously
        for (int f = 0; f < count; ++f) {
          out[i * step + f] = samples_[start - offset_ + f * kHopLength + i] * window[i];
        }
      }
      return;
    }
    for (int f = 0; f < step; ++f) {
      const int64_t frame_start = start + static_cast<int64_t>(f) * kHopLength;
      for (int i = 0; i < kFftSize; ++i) out[i * step + f] = f < count ? at(frame_start + i) * window[i] : 0.0;
    }
  }

  // True when the frame at `start` lies entirely in the zero padding, so its spectrum is exactly zero.
  bool frame_is_silent(int64_t start) const { return start >= n_ && start + kFftSize <= length_; }

  // The samples frames at [first_start, last_start] read: [first, end) of the real samples (empty when none).
  std::pair<int64_t, int64_t> samples_read(int64_t first_start, int64_t last_start) const {
    int64_t first = n_, end = 0;
    for (int64_t position = first_start; position < last_start + kFftSize; ++position) {
      const int64_t index = reflect(position);
      if (index < n_) {
        first = std::min(first, index);
        end = std::max(end, index + 1);
      }
    }
    return {first, std::max(first, end)};
  }

 private:
  float at(int64_t position) const {
    const int64_t index = reflect(position);
    return index < n_ ? samples_[index - offset_] : 0.0f;
  }

  // numpy.pad(mode="reflect") indexing: reflection continues back and forth when the pad exceeds the signal.
  // Only called when there is a frame, so length_ >= kHopLength and the period is positive.
  int64_t reflect(int64_t position) const {
    const int64_t period = 2 * (length_ - 1);
    int64_t index = (position < 0 ? -position : position) % period;
    if (index >= length_) index = period - index;
    return index;
  }

  const float* samples_;
  int64_t offset_;  // the real sample samples_[0] is
  int64_t n_;       // real samples
  int64_t length_;  // real samples plus zero padding
};

std::vector<double> periodic_hann_window() {
  std::vector<double> window(kFftSize);
  for (int i = 0; i < kFftSize; ++i) window[i] = 0.5 - 0.5 * std::cos(2.0 * kPi * i / kFftSize);
  return window;
}

// log10(x) for x >= 0, within ~1e-15 relative for normal x and below -300 for zero and subnormals: the series
// fdlibm uses (x = 2^e·m with m in [√½, √2), ln m = 2 atanh((m - 1) / (m + 1))) in branch-free arithmetic, so
// that loops of it vectorise where calls to std::log10 do not (they took a third of the spectrogram's time).
inline double log10_of_non_negative(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  double exponent = static_cast<double>(static_cast<int64_t>(bits >> 52) - 1023);
  bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;  // the mantissa as a double in [1, 2)
  double mantissa;
  std::memcpy(&mantissa, &bits, sizeof mantissa);
  const double above_sqrt2 = mantissa > 1.4142135623730951 ? 1.0 : 0.0;
  mantissa *= 1.0 - 0.5 * above_sqrt2;
  exponent += above_sqrt2;
  const double s = (mantissa - 1.0) / (mantissa + 1.0);
  const double s2 = s * s;
  const double series =
      1.0 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13))))));
  constexpr double kLn2 = 0.69314718055994530942, kLog10e = 0.43429448190325182765;
  return (exponent * kLn2 + 2.0 * s * series) * kLog10e;
}

// Mel energies of a block of up to 2 * kBatch consecutive frames: frame b of the block was transformed as the
// real part of signal b, frame kBatch + b as its imaginary part. For real frames a and c transformed together as
// z = a + i·c, A[k] = (Z[k] + conj Z[-k]) / 2 and C[k] = (Z[k] - conj Z[-k]) / 2i.
// Writes log10(max(energy, 1e-10)) to log_mel[m * row_stride + f] for the block's frames f < count.
class MelBlock {
 public:
  static constexpr int kBatch = BatchedFft400::kBatch;
  static constexpr int kFrames = 2 * kBatch;

  void compute(const double* z_re, const double* z_im, const SparseMelFilters& filters, int count, float* log_mel,
               std::size_t row_stride) {
    for (int k = 0; k < kFftBins; ++k) {
      const double* re = &z_re[k * kBatch];
      const double* im = &z_im[k * kBatch];
      const double* re_mirror = &z_re[(kFftSize - k) % kFftSize * kBatch];
      const double* im_mirror = &z_im[(kFftSize - k) % kFftSize * kBatch];
      double* power = &power_[k * kFrames];
      for (int b = 0; b < kBatch; ++b) {
        const double a_re = re[b] + re_mirror[b], a_im = im[b] - im_mirror[b];
        const double c_re = im[b] + im_mirror[b], c_im = re[b] - re_mirror[b];
        power[b] = 0.25 * (a_re * a_re + a_im * a_im);
        power[kBatch + b] = 0.25 * (c_re * c_re + c_im * c_im);
      }
    }
    const int n_mels = static_cast<int>(filters.first.size());
    for (int m = 0; m < n_mels; ++m) {
      const float* row = &filters.weights[static_cast<std::size_t>(m) * kFftBins];
      double sum[kFrames] = {};
      for (int k = filters.first[m]; k < filters.last[m]; ++k) {
        const double* power = &power_[k * kFrames];
        for (int f = 0; f < kFrames; ++f) sum[f] += row[k] * power[f];
      }
      double log_sum[kFrames];
      // log10(max(x, 1e-10)) as max(log10(x), -10): clamping first makes the compiler split the loop unvectorised.
      for (int f = 0; f < kFrames; ++f) log_sum[f] = std::max(log10_of_non_negative(sum[f]), -10.0);
      for (int f = 0; f < count; ++f) log_mel[m * row_stride + f] = static_cast<float>(log_sum[f]);
    }
  }

 private:
  std::vector<double> power_ = std::vector<double>(kFftBins * kFrames);  // [bin][frame]
};

float max_of(const std::vector<float>& values) {
  float max_value = -std::numeric_limits<float>::infinity();
  for (float v : values) max_value = std::max(max_value, v);
  return max_value;
}

// Clamps log10 mel energies to 8 below `max_value`, then maps x to (x + 4) / 4, in place.
void normalise_log_mel(std::vector<float>& values, float max_value) {
  const float floor_value = max_value - 8.0f;
  for (float& v : values) v = (std::max(v, floor_value) + 4.0f) / 4.0f;
}

void check_signal(std::size_t n, int n_mels, std::size_t zero_padding_samples) {
  if (n_mels <= 0) {
    throw std::invalid_argument("log_mel_spectrogram: n_mels must be positive, got " + std::to_string(n_mels));
  }
  constexpr std::size_t kMaxLength = static_cast<std::size_t>(std::numeric_limits<int>::max()) * kHopLength;
  if (n > kMaxLength || zero_padding_samples > kMaxLength - n) {
    throw std::invalid_argument("log_mel_spectrogram: the signal is too long (more than " +
                                std::to_string(std::numeric_limits<int>::max()) + " frames)");
  }
}

}  // namespace

// log10 mel energies (before the clamp) of any run of frames. Frames are transformed in blocks of
// MelBlock::kFrames counted from frame 0, two frames per complex transform, so a frame's value depends on its
// block partner: runs start and end at a block boundary (or the last frame) for the values to match the whole
// spectrogram's bit for bit.
struct LogMelFrames::Computer {
  // From `samples` in memory when given, else through `read`.
  Computer(const float* samples_in_memory, SampleReader read_samples, std::size_t n, int n_mels,
           std::size_t zero_padding_samples)
      : samples(samples_in_memory),
        read(std::move(read_samples)),
        n_samples(static_cast<int64_t>(n)),
        length(static_cast<int64_t>(n + zero_padding_samples)),
        window(periodic_hann_window()),
        filters(n_mels, kFftSize),
        z_re(kFftSize * BatchedFft400::kBatch),
        z_im(kFftSize * BatchedFft400::kBatch) {}

  // Frames [first, end) into out[m * row_stride + f - first]; `first` is a multiple of MelBlock::kFrames. Frames
  // wholly in the zero padding are left as they are (the caller fills -10, exactly torch's value for them).
  void compute(int first, int end, float* out, std::size_t row_stride) {
    constexpr int kBatch = BatchedFft400::kBatch;
    auto frame_start = [](int frame) { return static_cast<int64_t>(frame) * kHopLength - kFftSize / 2; };
    if (end <= first) return;
    const ReflectedSignal signal = samples ? ReflectedSignal(samples, 0, n_samples, length)
                                           : loaded(frame_start(first), frame_start(end - 1));
    for (int block = first; block < end; block += MelBlock::kFrames) {
      const int count = std::min(MelBlock::kFrames, end - block);
      bool silent = true;
      for (int f = 0; f < count; ++f) silent = silent && signal.frame_is_silent(frame_start(block + f));
      if (silent) continue;

      // Frames block .. block + kBatch - 1 go to the real parts, the next kBatch to the imaginary parts.
      signal.read_windowed_frames(frame_start(block), std::min(count, kBatch), window.data(), z_re.data(), kBatch);
      signal.read_windowed_frames(frame_start(block + kBatch), std::max(count - kBatch, 0), window.data(),
                                  z_im.data(), kBatch);
      fft.forward(z_re.data(), z_im.data());
      mel.compute(z_re.data(), z_im.data(), filters, count, out + (block - first), row_stride);
    }
  }

  // The signal over `buffer`, holding the samples that frames starting at [first_start, last_start] read.
  ReflectedSignal loaded(int64_t first_start, int64_t last_start) {
    const auto [first, end] = ReflectedSignal(nullptr, 0, n_samples, length).samples_read(first_start, last_start);
    buffer.resize(static_cast<std::size_t>(end - first));
    if (end > first) read(static_cast<std::size_t>(first), buffer.size(), buffer.data());
    return ReflectedSignal(buffer.data(), first, n_samples, length);
  }

  const float* samples;
  const SampleReader read;
  const int64_t n_samples, length;
  std::vector<float> buffer;
  const std::vector<double> window;
  const SparseMelFilters filters;
  BatchedFft400 fft;
  MelBlock mel;
  std::vector<double> z_re, z_im;
};

std::vector<float> mel_filters(int n_mels) { return mel_filters(n_mels, kFftSize); }

Spectrogram log_mel_spectrogram(const float* samples, std::size_t n, int n_mels, std::size_t zero_padding_samples) {
  check_signal(n, n_mels, zero_padding_samples);
  const int64_t length = static_cast<int64_t>(n + zero_padding_samples);

  Spectrogram spectrogram;
  spectrogram.n_mels = n_mels;
  spectrogram.n_frames = static_cast<int>(length / kHopLength);  // 1 + length / hop frames, the last dropped
  const int n_frames = spectrogram.n_frames;
  // Frames of padding have no energy; torch's log10(clamp(0, 1e-10)) is exactly -10 in float32.
  spectrogram.data.assign(static_cast<std::size_t>(n_mels) * n_frames, -10.0f);
  if (n_frames == 0) return spectrogram;

  LogMelFrames::Computer computer(samples, nullptr, n, n_mels, zero_padding_samples);
  computer.compute(0, n_frames, spectrogram.data.data(), static_cast<std::size_t>(n_frames));
  normalise_log_mel(spectrogram.data, max_of(spectrogram.data));
  return spectrogram;
}

// Runs of this many frames at a time for the maximum: a multiple of the block, about 30 s.
constexpr int kMaxPassFrames = 188 * MelBlock::kFrames;

LogMelFrames::LogMelFrames(const float* samples, std::size_t n, int n_mels, std::size_t zero_padding_samples)
    : LogMelFrames(samples, nullptr, n, n_mels, zero_padding_samples) {}

LogMelFrames::LogMelFrames(SampleReader read, std::size_t n, int n_mels, std::size_t zero_padding_samples)
    : LogMelFrames(nullptr, std::move(read), n, n_mels, zero_padding_samples) {}

LogMelFrames::LogMelFrames(const float* samples, SampleReader read, std::size_t n, int n_mels,
                           std::size_t zero_padding_samples)
    : n_mels_(n_mels) {
  check_signal(n, n_mels, zero_padding_samples);
  n_frames_ = static_cast<int>((n + zero_padding_samples) / kHopLength);
  computer_ = std::make_unique<Computer>(samples, std::move(read), n, n_mels, zero_padding_samples);
  max_value_ = -std::numeric_limits<float>::infinity();
  std::vector<float> run;
  for (int first = 0; first < n_frames_; first += kMaxPassFrames) {
    const int count = std::min(kMaxPassFrames, n_frames_ - first);
    run.assign(static_cast<std::size_t>(n_mels) * count, -10.0f);
    computer_->compute(first, first + count, run.data(), static_cast<std::size_t>(count));
    max_value_ = std::max(max_value_, max_of(run));
  }
}

LogMelFrames::~LogMelFrames() = default;

std::vector<float> LogMelFrames::frames(int first, int count) {
  if (first < 0 || count < 0 || count > n_frames_ - first) {
    throw std::invalid_argument("LogMelFrames::frames: frames " + std::to_string(first) + " + " +
                                std::to_string(count) + " are outside the " + std::to_string(n_frames_) + " frames");
  }
  const int start = first - first % MelBlock::kFrames;
  const int stop = std::min(n_frames_, (first + count + MelBlock::kFrames - 1) / MelBlock::kFrames * MelBlock::kFrames);
  const int width = stop - start;
  std::vector<float> run(static_cast<std::size_t>(n_mels_) * width, -10.0f);
  computer_->compute(start, stop, run.data(), static_cast<std::size_t>(width));
  normalise_log_mel(run, max_value_);
  std::vector<float> out(static_cast<std::size_t>(n_mels_) * count);
  for (int m = 0; m < n_mels_; ++m) {
    const float* row = run.data() + static_cast<std::size_t>(m) * width + (first - start);
    std::copy(row, row + count, out.begin() + static_cast<std::ptrdiff_t>(m) * count);
  }
  return out;
}


}  // namespace verbatim

#undef VERBATIM_NO_LOOP_ALIASING
