#include "vad/silero_vad.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "formats/tensor_file.h"
#include "formats/tensor_formats.h"

namespace verbatim {
namespace {

// The tensor's values as stored (row-major), checked to be float32 of `shape`.
std::vector<float> read_tensor(const TensorFile& file, const std::string& name, const std::vector<int64_t>& shape) {
  const TensorView* view = file.find(name);
  if (view == nullptr) throw FormatError(file.path() + ": no tensor " + name + " (is this Silero VAD v6?)");
  if (view->dtype != DType::F32 || view->shape != shape) {
    throw FormatError(file.path() + ": " + name + " is " + dtype_name(view->dtype) + " " +
                      format_shape(view->shape) + ", not F32 " + format_shape(shape));
  }
  std::vector<float> values(static_cast<std::size_t>(view->elements()));
  std::memcpy(values.data(), view->data, view->nbytes);  // the mapping's bytes may be unaligned
  return values;
}

// (rows, cols) row-major to (cols, rows).
std::vector<float> transposed(const std::vector<float>& m, std::size_t rows, std::size_t cols) {
  std::vector<float> t(m.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) t[c * rows + r] = m[r * cols + c];
  return t;
}

SileroVadWeights::Conv read_conv(const TensorFile& file, int layer, int in, int out, int stride) {
  const std::string prefix = "encoder." + std::to_string(layer) + ".reparam_conv.";
  const std::vector<float> w = read_tensor(file, prefix + "weight", {out, in, 3});
  SileroVadWeights::Conv conv{in, out, stride, std::vector<float>(w.size()), read_tensor(file, prefix + "bias", {out})};
  const auto n_in = static_cast<std::size_t>(in), n_out = static_cast<std::size_t>(out);
  for (std::size_t o = 0; o < n_out; ++o)
    for (std::size_t c = 0; c < n_in; ++c)
      for (std::size_t k = 0; k < 3; ++k) conv.weight[(k * n_in + c) * n_out + o] = w[(o * n_in + c) * 3 + k];
  return conv;
}

// y[t][o] += sum over i of x[t * x_stride + i] * w[i][o], for `steps` steps t; w is (inputs, outputs) row-major.
// The inner loop runs along a row of w, which the compiler vectorises without reordering any sum.
void multiply_add(const float* __restrict w, int inputs, int outputs, const float* __restrict x, int x_stride,
                  int steps, float* __restrict y) {
  for (int i = 0; i < inputs; ++i) {
    const float* row = w + static_cast<std::size_t>(i) * outputs;
    for (int t = 0; t < steps; ++t) {
      const float xi = x[t * x_stride + i];
      float* yt = y + t * outputs;
      for (int o = 0; o < outputs; ++o) yt[o] += xi * row[o];
    }
  }
}

// A kernel-3 convolution with a zero step of padding at each end, then ReLU: `x` holds (steps + 2) steps of
// conv.in values (the padding included), `y` receives its output steps from its second step on (its first and
// last stay zero: the next layer's padding).
void conv_relu(const SileroVadWeights::Conv& conv, const float* x, int steps, float* y) {
  const int out_steps = (steps - 1) / conv.stride + 1;
  float* first = y + conv.out;
  for (int t = 0; t < out_steps; ++t) std::copy(conv.bias.begin(), conv.bias.end(), first + t * conv.out);
  multiply_add(conv.weight.data(), 3 * conv.in, conv.out, x, conv.stride * conv.in, out_steps, first);
  for (int i = 0; i < out_steps * conv.out; ++i) first[i] = std::max(first[i], 0.0f);
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

std::shared_ptr<const SileroVadWeights> SileroVadWeights::load(const std::string& path) {
  const std::unique_ptr<TensorFile> file = TensorFile::open(path);
  auto weights = std::make_shared<SileroVadWeights>();
  weights->stft = transposed(read_tensor(*file, "stft.forward_basis_buffer", {2 * kBins, 1, 256}), 2 * kBins, 256);
  weights->encoder = {read_conv(*file, 0, kBins, 128, 1), read_conv(*file, 1, 128, 64, 2),
                      read_conv(*file, 2, 64, 64, 2), read_conv(*file, 3, 64, kHidden, 1)};
  const std::vector<float> w_ih = read_tensor(*file, "decoder.rnn.weight_ih", {4 * kHidden, kHidden});
  const std::vector<float> w_hh = read_tensor(*file, "decoder.rnn.weight_hh", {4 * kHidden, kHidden});
  std::vector<float> both(w_ih);
  both.insert(both.end(), w_hh.begin(), w_hh.end());  // (8 * kHidden, kHidden): W_ih's rows, then W_hh's
  // Transposed as one (2 * kHidden, 4 * kHidden) matrix: row j < kHidden is input j's column of W_ih, the rest h's.
  weights->lstm.resize(both.size());
  for (int g = 0; g < 4 * kHidden; ++g)
    for (int j = 0; j < kHidden; ++j) {
      weights->lstm[static_cast<std::size_t>(j) * 4 * kHidden + g] = w_ih[static_cast<std::size_t>(g) * kHidden + j];
      weights->lstm[static_cast<std::size_t>(kHidden + j) * 4 * kHidden + g] =
          w_hh[static_cast<std::size_t>(g) * kHidden + j];
    }
  weights->lstm_bias = read_tensor(*file, "decoder.rnn.bias_ih", {4 * kHidden});
  const std::vector<float> b_hh = read_tensor(*file, "decoder.rnn.bias_hh", {4 * kHidden});
  for (int g = 0; g < 4 * kHidden; ++g) weights->lstm_bias[g] += b_hh[g];
  weights->output = read_tensor(*file, "decoder.decoder.2.weight", {1, kHidden, 1});
  weights->output_bias = read_tensor(*file, "decoder.decoder.2.bias", {1})[0];
  return weights;
}

SileroVad::SileroVad(std::shared_ptr<const SileroVadWeights> weights) : weights_(std::move(weights)) {}

void SileroVad::reset() {
  input_.fill(0.0f);
  lstm_input_.fill(0.0f);
  cell_.fill(0.0f);
}

float SileroVad::probability(const float* frame) {
  constexpr int kBins = SileroVadWeights::kBins;
  constexpr int kHidden = SileroVadWeights::kHidden;
  const SileroVadWeights& w = *weights_;
  // The last kContext samples of the previous frame, this frame, then its end reflected (Silero's padding).
  std::copy(input_.begin() + kFrameSamples, input_.begin() + kInput, input_.begin());
  std::copy(frame, frame + kFrameSamples, input_.begin() + kContext);
  for (int i = 0; i < kPadded - kInput; ++i) input_[kInput + i] = input_[kInput - 2 - i];

  // The STFT's magnitudes: 256-sample windows every 128 samples, through the stored basis.
  spectrum_.fill(0.0f);
  multiply_add(w.stft.data(), 256, 2 * kBins, input_.data(), 128, kSteps, spectrum_.data());
  for (int t = 0; t < kSteps; ++t) {
    const float* column = spectrum_.data() + t * 2 * kBins;
    float* out = magnitude_.data() + (t + 1) * kBins;
    for (int b = 0; b < kBins; ++b) out[b] = std::sqrt(column[b] * column[b] + column[kBins + b] * column[kBins + b]);
  }

  conv_relu(w.encoder[0], magnitude_.data(), kSteps, encoded0_.data());
  conv_relu(w.encoder[1], encoded0_.data(), kSteps, encoded1_.data());
  conv_relu(w.encoder[2], encoded1_.data(), kSteps / 2, encoded2_.data());
  // The last layer's one step goes straight into the LSTM's input, beside h.
  std::array<float, 3 * kHidden> last{};
  conv_relu(w.encoder[3], encoded2_.data(), 1, last.data());
  std::copy(last.begin() + kHidden, last.begin() + 2 * kHidden, lstm_input_.begin());

  std::copy(w.lstm_bias.begin(), w.lstm_bias.end(), gates_.begin());
  multiply_add(w.lstm.data(), 2 * kHidden, 4 * kHidden, lstm_input_.data(), 0, 1, gates_.data());
  float* h = lstm_input_.data() + kHidden;
  float logit = w.output_bias;
  for (int j = 0; j < kHidden; ++j) {
    const float input_gate = sigmoid(gates_[j]);
    const float forget_gate = sigmoid(gates_[kHidden + j]);
    const float candidate = std::tanh(gates_[2 * kHidden + j]);
    const float output_gate = sigmoid(gates_[3 * kHidden + j]);
    cell_[j] = forget_gate * cell_[j] + input_gate * candidate;
    h[j] = output_gate * std::tanh(cell_[j]);
    logit += w.output[j] * std::max(h[j], 0.0f);
  }
  return sigmoid(logit);
}

}  // namespace verbatim
