// Silero VAD (snakers4/silero-vad v6.2, MIT licence): how likely each 32 ms frame of 16 kHz audio is speech, from a
// small network (an STFT as a convolution, four convolutions, an LSTM cell). The weights are the official release's
// 16 kHz network (native/assets/vad/README.md); the probabilities match ONNX Runtime running that release frame by
// frame (native/tests/silero_vad_test.cpp). It runs on the CPU on every machine, in kernels of its own: a frame is
// 0.7 M multiply-adds over 1.2 MB of weights, less work than one GPU dispatch costs.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace verbatim {

// The network's weights, each matrix stored input-major (transposed) so that a product adds whole rows of it.
struct SileroVadWeights {
  static constexpr int kBins = 129;      // the STFT's frequency bins (256-sample window)
  static constexpr int kHidden = 128;    // the LSTM's width
  struct Conv {
    int in = 0, out = 0, stride = 1;
    std::vector<float> weight;  // (3 * in, out): row kk * in + c holds W[:, c, kk]
    std::vector<float> bias;    // out
  };
  std::vector<float> stft;      // (256, 2 * kBins): the real then imaginary basis
  std::array<Conv, 4> encoder;
  std::vector<float> lstm;      // (2 * kHidden, 4 * kHidden): W_ih then W_hh, transposed; gates i, f, g, o
  std::vector<float> lstm_bias; // b_ih + b_hh
  std::vector<float> output;    // kHidden
  float output_bias = 0;

  // Reads the safetensors file written by native/scripts/convert_silero_vad.py. Throws FormatError naming the file
  // and the tensor when one is missing or has another type or shape.
  static std::shared_ptr<const SileroVadWeights> load(const std::string& path);
};

// One stream's detector: its recurrent state and the last samples it heard. Frames must come in order; nothing is
// allocated per frame. Not for two threads at once; streams share the weights.
class SileroVad {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kFrameSamples = 512;

  explicit SileroVad(std::shared_ptr<const SileroVadWeights> weights);

  // The probability, 0 to 1, that `frame` (kFrameSamples samples, -1 to 1) is speech, given the frames before it.
  float probability(const float* frame);
  // Forgets the stream: the next frame is heard as the first.
  void reset();

 private:
  static constexpr int kContext = 64;                       // samples of the previous frame each frame sees
  static constexpr int kInput = kContext + kFrameSamples;   // 576
  static constexpr int kPadded = kInput + 64;               // reflected at the end: 640
  static constexpr int kSteps = 4;                          // STFT columns: (640 - 256) / 128 + 1

  std::shared_ptr<const SileroVadWeights> weights_;
  std::array<float, kPadded> input_{};
  std::array<float, kSteps * 2 * SileroVadWeights::kBins> spectrum_{};
  // Each convolution's input, time-major with a zero step before and after (its padding).
  std::array<float, (kSteps + 2) * SileroVadWeights::kBins> magnitude_{};
  std::array<float, (kSteps + 2) * 128> encoded0_{};
  std::array<float, (kSteps / 2 + 2) * 64> encoded1_{};
  std::array<float, (kSteps / 4 + 2) * 64> encoded2_{};
  std::array<float, 2 * SileroVadWeights::kHidden> lstm_input_{};  // the encoder's output, then h
  std::array<float, 4 * SileroVadWeights::kHidden> gates_{};
  std::array<float, SileroVadWeights::kHidden> cell_{};
};

}  // namespace verbatim
