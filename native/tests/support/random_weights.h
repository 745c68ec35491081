// Whisper weights built in memory for tests: random values stored as fp32, fp16, bf16 or MLX affine-quantized
// (quantized exactly as MLX's affine quantize does), plus an independent float64 decoder of any stored matrix.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "formats/half.h"
#include "whisper/weights.h"

namespace verbatim::testing {

class Rng {
 public:
  explicit Rng(uint32_t seed) : engine_(seed) {}
  float normal(float stddev) { return std::normal_distribution<float>(0.0f, stddev)(engine_); }
  float uniform(float low, float high) { return std::uniform_real_distribution<float>(low, high)(engine_); }
  std::vector<float> normals(std::size_t n, float stddev) {
    std::vector<float> out(n);
    for (float& v : out) v = normal(stddev);
    return out;
  }

 private:
  std::mt19937 engine_;
};

// How a matrix is stored: dense F32/F16/BF16, or quantized with scales and biases in `scale_dtype`.
struct StorageFormat {
  WeightMatrix::Format format = WeightMatrix::Format::F32;
  int bits = 0;
  int group_size = 0;
  DType scale_dtype = DType::F16;

  static StorageFormat dense(WeightMatrix::Format f) { return {f, 0, 0, DType::F32}; }
  static StorageFormat quantized(int bits, int group_size, DType scale_dtype = DType::F16) {
    return {WeightMatrix::Format::Quantized, bits, group_size, scale_dtype};
  }
};

inline void store_scalar(DType dtype, float value, std::vector<uint8_t>& out) {
  uint8_t bytes[4];
  std::size_t size = 4;
  if (dtype == DType::F32) {
    std::memcpy(bytes, &value, 4);
  } else {
    const uint16_t h = dtype == DType::F16 ? float_to_half_portable(value) : float_to_bf16(value);
    std::memcpy(bytes, &h, 2);
    size = 2;
  }
  out.insert(out.end(), bytes, bytes + size);
}

inline std::vector<uint8_t> store_floats(DType dtype, const std::vector<float>& values) {
  std::vector<uint8_t> out;
  for (float v : values) store_scalar(dtype, v, out);
  return out;
}

// A matrix in a stored format that owns its bytes; view() points into them (valid while this lives unmoved).
struct StoredMatrix {
  StorageFormat storage;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> data, scales, biases;

  WeightMatrix view() const {
    WeightMatrix w;
    w.format = storage.format;
    w.rows = rows;
    w.cols = cols;
    w.data = data.data();
    if (storage.format == WeightMatrix::Format::Quantized) {
      w.bits = storage.bits;
      w.group_size = storage.group_size;
      w.scale_dtype = storage.scale_dtype;
      w.scales = scales.data();
      w.biases = biases.data();
    }
    return w;
  }
};

// MLX's affine quantization of one group (mlx/ops.cpp, affine_quantize), in fp32.
inline void quantize_group(const float* w, int size, int bits, float& scale, float& bias, std::vector<uint32_t>& q) {
  const float lo = *std::min_element(w, w + size);
  const float hi = *std::max_element(w, w + size);
  const float n_bins = static_cast<float>((1 << bits) - 1);
  scale = std::max((hi - lo) / n_bins, 1e-7f);
  const bool min_is_edge = std::fabs(lo) > std::fabs(hi);
  scale = min_is_edge ? scale : -scale;
  const float edge = min_is_edge ? lo : hi;
  const float q0 = std::nearbyint(edge / scale);
  if (q0 != 0.0f) scale = edge / q0;
  bias = q0 == 0.0f ? 0.0f : edge;
  q.resize(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) {
    q[static_cast<std::size_t>(i)] =
        static_cast<uint32_t>(std::clamp(std::nearbyint((w[i] - bias) / scale), 0.0f, n_bins));
  }
}

inline StoredMatrix store_matrix(const std::vector<float>& values, int64_t rows, int64_t cols, StorageFormat storage) {
  StoredMatrix m;
  m.storage = storage;
  m.rows = rows;
  m.cols = cols;
  if (storage.format != WeightMatrix::Format::Quantized) {
    m.data = store_floats(dense_dtype(storage.format), values);
    return m;
  }
  const int64_t row_bytes = cols * storage.bits / 8;
  m.data.assign(static_cast<std::size_t>(rows * row_bytes), 0);
  std::vector<uint32_t> q;
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = m.data.data() + r * row_bytes;
    for (int64_t g = 0; g < cols / storage.group_size; ++g) {
      float scale = 0, bias = 0;
      quantize_group(values.data() + r * cols + g * storage.group_size, storage.group_size, storage.bits, scale, bias,
                     q);
      store_scalar(storage.scale_dtype, scale, m.scales);
      store_scalar(storage.scale_dtype, bias, m.biases);
      for (int i = 0; i < storage.group_size; ++i) {  // one little-endian bit stream per row
        const int64_t first_bit = (g * storage.group_size + i) * storage.bits;
        for (int b = 0; b < storage.bits; ++b) {
          const int64_t bit = first_bit + b;
          row[bit / 8] = static_cast<uint8_t>(row[bit / 8] | (((q[static_cast<std::size_t>(i)] >> b) & 1u) << (bit % 8)));
        }
      }
    }
  }
  return m;
}

inline double reference_scalar(DType dtype, const void* base, int64_t index) {
  const auto* bytes = static_cast<const uint8_t*>(base);
  if (dtype == DType::F32) {
    float f;
    std::memcpy(&f, bytes + 4 * index, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, bytes + 2 * index, 2);
  return dtype == DType::F16 ? half_to_float_portable(h) : bf16_to_float(h);
}

// Every element of a stored matrix as float64, decoded bit by bit (independent of the kernels under test).
inline std::vector<double> reference_decode(const WeightMatrix& w) {
  std::vector<double> out(static_cast<std::size_t>(w.rows * w.cols));
  const auto* bytes = static_cast<const uint8_t*>(w.data);
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t c = 0; c < w.cols; ++c) {
      double value;
      if (w.format == WeightMatrix::Format::Quantized) {
        const int64_t first_bit = (r * w.cols + c) * w.bits;
        uint32_t q = 0;
        for (int b = 0; b < w.bits; ++b) q |= ((bytes[(first_bit + b) / 8] >> ((first_bit + b) % 8)) & 1u) << b;
        const int64_t g = r * (w.cols / w.group_size) + c / w.group_size;
        const float scale = static_cast<float>(reference_scalar(w.scale_dtype, w.scales, g));
        const float bias = static_cast<float>(reference_scalar(w.scale_dtype, w.biases, g));
        value = static_cast<double>(scale) * q + bias;
      } else {
        value = reference_scalar(dense_dtype(w.format), w.data, r * w.cols + c);
      }
      out[static_cast<std::size_t>(r * w.cols + c)] = value;
    }
  }
  return out;
}

inline std::vector<double> reference_decode(const Vector& v) {
  std::vector<double> out(static_cast<std::size_t>(v.size));
  for (int64_t i = 0; i < v.size; ++i) out[static_cast<std::size_t>(i)] = reference_scalar(v.dtype, v.data, i);
  return out;
}

// A random Whisper model whose tensors live in this object. Linear layers (and the token embedding) use
// `linears`; everything else (convolutions, norms, biases, positional embedding) uses `others`.
class RandomWhisper {
 public:
  RandomWhisper(const WhisperDims& dims, StorageFormat linears, DType others, uint32_t seed)
      : linears_(linears), others_(others), rng_(seed) {
    WhisperWeights& w = weights_;
    w.config.dims = dims;
    if (linears.format == WeightMatrix::Format::Quantized) w.config.quantization = Quantization{linears.bits, linears.group_size};
    w.config.model_type = "whisper";
    w.conv1 = conv(dims.n_audio_state, dims.n_mels);
    w.conv2 = conv(dims.n_audio_state, dims.n_audio_state);
    for (int i = 0; i < dims.n_audio_layer; ++i) w.encoder_blocks.push_back(block(dims.n_audio_state, false));
    w.ln_post = norm(dims.n_audio_state);
    w.token_embedding = matrix(dims.n_vocab, dims.n_text_state, 1.0f);
    w.positional_embedding_dtype = others;
    w.positional_embedding = vector_bytes(rng_.normals(static_cast<std::size_t>(dims.n_text_ctx) * dims.n_text_state, 0.5f));
    for (int i = 0; i < dims.n_text_layer; ++i) w.decoder_blocks.push_back(block(dims.n_text_state, true));
    w.decoder_ln = norm(dims.n_text_state);
  }
  RandomWhisper(const RandomWhisper&) = delete;
  RandomWhisper& operator=(const RandomWhisper&) = delete;

  const WhisperWeights& weights() const { return weights_; }
  WhisperWeights& mutable_weights() { return weights_; }  // to break a model on purpose

  // Shares ownership of `model` through a pointer to its weights (what runners take).
  static std::shared_ptr<const WhisperWeights> share(std::shared_ptr<RandomWhisper> model) {
    const WhisperWeights* weights = &model->weights_;
    return std::shared_ptr<const WhisperWeights>(std::move(model), weights);
  }

 private:
  WeightMatrix matrix(int64_t rows, int64_t cols, float gain) {
    const float stddev = gain / std::sqrt(static_cast<float>(cols));
    matrices_.push_back(store_matrix(rng_.normals(static_cast<std::size_t>(rows * cols), stddev), rows, cols, linears_));
    return matrices_.back().view();
  }

  const void* vector_bytes(const std::vector<float>& values) {
    bytes_.push_back(store_floats(others_, values));
    return bytes_.back().data();
  }

  Vector vector(int64_t size, float mean, float stddev) {
    std::vector<float> values = rng_.normals(static_cast<std::size_t>(size), stddev);
    for (float& v : values) v += mean;
    return Vector{others_, size, vector_bytes(values)};
  }

  Linear linear(int64_t out, int64_t in, bool with_bias) {
    Linear l;
    l.weight = matrix(out, in, 1.0f);
    if (with_bias) l.bias = vector(out, 0.0f, 0.1f);
    return l;
  }

  LayerNormWeights norm(int64_t n) { return {vector(n, 1.0f, 0.1f), vector(n, 0.0f, 0.1f)}; }

  AttentionWeights attention(int64_t n) {
    return {linear(n, n, true), linear(n, n, false), linear(n, n, true), linear(n, n, true)};
  }

  ResidualBlockWeights block(int64_t n, bool cross) {
    ResidualBlockWeights b;
    b.attn = attention(n);
    b.attn_ln = norm(n);
    if (cross) {
      b.cross_attn = attention(n);
      b.cross_attn_ln = norm(n);
    }
    b.mlp1 = linear(4 * n, n, true);
    b.mlp2 = linear(n, 4 * n, true);
    b.mlp_ln = norm(n);
    return b;
  }

  Conv1dWeights conv(int out, int in) {
    Conv1dWeights c;
    c.dtype = others_;
    c.out_channels = out;
    c.kernel = 3;
    c.in_channels = in;
    c.weight = vector_bytes(rng_.normals(static_cast<std::size_t>(out) * 3 * in, 1.0f / std::sqrt(3.0f * in)));
    c.bias = vector(out, 0.0f, 0.1f);
    return c;
  }

  StorageFormat linears_;
  DType others_;
  Rng rng_;
  std::deque<StoredMatrix> matrices_;  // deques: growing never moves what views point at
  std::deque<std::vector<uint8_t>> bytes_;
  WhisperWeights weights_;
};

}  // namespace verbatim::testing
