// Test helpers that build model files in memory, byte by byte: safetensors, .npy/.npz (optionally zip64),
// config.json, and complete random-weight tiny Whisper model folders in MLX layout (dense F32/F16 or MLX affine
// quantized), the C++ counterpart of the project's Python generator. Header-only; for tests, not the product.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "formats/tensor_file.h"
#include "whisper/weights.h"

namespace verbatim {
namespace test {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------- numbers

// IEEE 754 binary16, round to nearest even (as numpy's and MLX's float16 casts).
inline uint16_t float_to_half(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t exponent = (bits >> 23) & 0xFFu;
  uint32_t mantissa = bits & 0x7FFFFFu;
  if (exponent == 0xFF) return static_cast<uint16_t>(sign | 0x7C00u | (mantissa ? 0x200u : 0u));
  const int half_exponent = static_cast<int>(exponent) - 127 + 15;
  if (half_exponent >= 31) return static_cast<uint16_t>(sign | 0x7C00u);
  if (half_exponent <= 0) {  // subnormal or zero
    if (half_exponent < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    const int shift = 14 - half_exponent;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(half_exponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: correct
  return static_cast<uint16_t>(sign | half);
}

inline float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  const uint32_t mantissa = half & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: value = mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    std::memcpy(&bits, &magnitude, 4);
    bits |= sign;
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

// Deterministic on every platform (std:: distributions are not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float low, float high) {
    return low + (high - low) * static_cast<float>(next() >> 40) / static_cast<float>(1ull << 24);
  }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------- tensors

struct TestTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  Bytes bytes;
};

template <typename T>
Bytes bytes_of(const std::vector<T>& values) {
  Bytes bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// The value a float becomes when stored as `dtype` (F32 or F16).
inline float stored_value(DType dtype, float value) {
  if (dtype == DType::F32) return value;
  if (dtype == DType::F16) return half_to_float(float_to_half(value));
  throw std::invalid_argument("test model floats must be F32 or F16");
}

// Floats stored as F32 or F16 (rounded); `values` is replaced by what the file holds.
inline TestTensor float_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                               std::vector<float>* values) {
  TestTensor tensor{name, dtype, std::move(shape), {}};
  for (float& value : *values) value = stored_value(dtype, value);
  if (dtype == DType::F32) {
    tensor.bytes = bytes_of(*values);
  } else {
    std::vector<uint16_t> halves;
    for (float value : *values) halves.push_back(float_to_half(value));
    tensor.bytes = bytes_of(halves);
  }
  return tensor;
}

inline TestTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
  return float_tensor(name, DType::F32, std::move(shape), &values);
}

// ---------------------------------------------------------------------------------------------- safetensors

// header_alignment pads the JSON header with spaces so that the data starts at a multiple of it, as the
// Python safetensors writer does with 8; 1 leaves it unpadded (as MLX writes it: data often misaligned).
inline Bytes safetensors_bytes(const std::vector<TestTensor>& tensors,
                               const std::map<std::string, std::string>& metadata = {},
                               std::size_t header_alignment = 8) {
  if (header_alignment == 0) throw std::invalid_argument("safetensors_bytes: header_alignment must be at least 1");
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += std::string(first ? "" : ",") + "\"" + key + "\":\"" + value + "\"";
      first = false;
    }
    header += "}";
  }
  std::size_t offset = 0;
  for (const TestTensor& tensor : tensors) {
    if (header.size() > 1) header += ",";
    header += "\"" + tensor.name + "\":{\"dtype\":\"" + dtype_name(tensor.dtype) + "\",\"shape\":[";
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
      header += (i ? "," : "") + std::to_string(tensor.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + tensor.bytes.size()) +
              "]}";
    offset += tensor.bytes.size();
  }
  header += "}";
  while ((8 + header.size()) % header_alignment != 0) header += ' ';
  Bytes out(8);
  const uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<uint8_t>(length >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  for (const TestTensor& tensor : tensors) out.insert(out.end(), tensor.bytes.begin(), tensor.bytes.end());
  return out;
}

// ---------------------------------------------------------------------------------------------- npy / npz

inline std::string numpy_descr(DType dtype) {
  switch (dtype) {
    case DType::F32: return "<f4";
    case DType::F16: return "<f2";
    case DType::F64: return "<f8";
    case DType::U8: return "|u1";
    case DType::I8: return "|i1";
    case DType::U16: return "<u2";
    case DType::I16: return "<i2";
    case DType::U32: return "<u4";
    case DType::I32: return "<i4";
    case DType::U64: return "<u8";
    case DType::I64: return "<i8";
    case DType::Bool: return "|b1";
    case DType::BF16: break;
  }
  throw std::invalid_argument("numpy has no bfloat16");
}

// An .npy image as np.save writes it: the header dict padded with spaces and '\n' to a multiple of 64 bytes.
inline Bytes npy_bytes(const TestTensor& tensor, int major_version = 1, const std::string& descr = "") {
  std::string shape = "(";
  for (int64_t dim : tensor.shape) shape += std::to_string(dim) + (tensor.shape.size() == 1 ? "," : ", ");
  if (tensor.shape.size() > 1) shape.resize(shape.size() - 2);
  shape += ")";
  std::string header = "{'descr': '" + (descr.empty() ? numpy_descr(tensor.dtype) : descr) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t prefix = major_version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major_version), 0};
  const std::size_t length_bytes = major_version == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_bytes; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), tensor.bytes.begin(), tensor.bytes.end());
  return out;
}

inline uint32_t crc32(const Bytes& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : bytes) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

struct NpzOptions {
  bool zip64_local_extra = true;    // as np.savez (force_zip64): local sizes 0xFFFFFFFF + zip64 extra field
  bool zip64_central = false;       // central directory sizes and offset in a zip64 extra field
  bool zip64_end_record = false;    // zip64 end record + locator, classic end record fields saturated
  std::string comment;              // archive comment after the end record
  int npy_major_version = 1;
  uint16_t method = 0;              // 0 = stored; anything else only labels the entries (for error tests)
};

inline void put16(Bytes& out, uint64_t value) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}
inline void put32(Bytes& out, uint64_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}
inline void put64(Bytes& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// A zip of stored `<name>.npy` members, as np.savez writes it (by default: zip64 local extras, classic central
// directory and end record).
inline Bytes npz_bytes(const std::vector<TestTensor>& tensors, const NpzOptions& options = NpzOptions()) {
  Bytes out, directory;
  for (const TestTensor& tensor : tensors) {
    const std::string name = tensor.name + ".npy";
    const Bytes member = npy_bytes(tensor, options.npy_major_version);
    const uint64_t local_offset = out.size();
    const uint32_t crc = crc32(member);
    const uint16_t version = options.zip64_local_extra || options.zip64_central ? 45 : 20;

    put32(out, 0x04034b50);
    put16(out, version);
    put16(out, 0);               // flags
    put16(out, options.method);  // stored
    put16(out, 0);               // time
    put16(out, 0x21);            // date: 1980-01-01
    put32(out, crc);
    put32(out, options.zip64_local_extra ? 0xFFFFFFFFu : member.size());
    put32(out, options.zip64_local_extra ? 0xFFFFFFFFu : member.size());
    put16(out, name.size());
    put16(out, options.zip64_local_extra ? 20 : 0);
    out.insert(out.end(), name.begin(), name.end());
    if (options.zip64_local_extra) {
      put16(out, 1);
      put16(out, 16);
      put64(out, member.size());
      put64(out, member.size());
    }
    out.insert(out.end(), member.begin(), member.end());

    put32(directory, 0x02014b50);
    put16(directory, version);
    put16(directory, version);
    put16(directory, 0);
    put16(directory, options.method);
    put16(directory, 0);
    put16(directory, 0x21);
    put32(directory, crc);
    put32(directory, options.zip64_central ? 0xFFFFFFFFu : member.size());
    put32(directory, options.zip64_central ? 0xFFFFFFFFu : member.size());
    put16(directory, name.size());
    put16(directory, options.zip64_central ? 28 : 0);
    put16(directory, 0);  // comment
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, options.zip64_central ? 0xFFFFFFFFu : local_offset);
    directory.insert(directory.end(), name.begin(), name.end());
    if (options.zip64_central) {
      put16(directory, 1);
      put16(directory, 24);
      put64(directory, member.size());
      put64(directory, member.size());
      put64(directory, local_offset);
    }
  }
  const uint64_t directory_offset = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  const bool zip64_end = options.zip64_end_record;
  if (zip64_end) {
    const uint64_t record_offset = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);  // size of the rest of the record
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, tensors.size());
    put64(out, tensors.size());
    put64(out, directory.size());
    put64(out, directory_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, record_offset);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64_end ? 0xFFFF : tensors.size());
  put16(out, zip64_end ? 0xFFFF : tensors.size());
  put32(out, zip64_end ? 0xFFFFFFFFu : directory.size());
  put32(out, zip64_end ? 0xFFFFFFFFu : directory_offset);
  put16(out, options.comment.size());
  out.insert(out.end(), options.comment.begin(), options.comment.end());
  return out;
}

// ---------------------------------------------------------------------------------------------- files

inline void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw std::runtime_error("cannot write " + path);
}

inline void write_file(const std::string& path, const std::string& text) {
  write_file(path, Bytes(text.begin(), text.end()));
}

// A fresh directory under the system temp directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const auto base = std::filesystem::temp_directory_path();
    Random random(static_cast<uint64_t>(std::random_device()()));
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = (base / ("verbatim-test-" + std::to_string(random.next() % 1000000000ull))).string();
      if (std::filesystem::create_directory(path_)) return;
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------- quantization

struct AffineQuantized {
  std::vector<uint32_t> packed;     // rows x (cols * bits / 32), LSB-first bit stream per row
  std::vector<float> scales, biases;  // rows x (cols / group_size), as stored (rounded to the scale dtype)
  // rows x cols: fma(scale, q, bias), what the quantized matrix stands for (a backend computing scale * q + bias
  // without a fused multiply-add may differ in the last bit)
  std::vector<float> dequantized;
};

// MLX's affine quantization (mx.quantize), as native/WHISPER.md describes it. Computed in float32; the scales and biases
// are then rounded to `scale_dtype` (F32 or F16) and the dequantized values use the rounded ones.
inline AffineQuantized quantize_affine(const std::vector<float>& w, int64_t rows, int64_t cols, int bits,
                                       int group_size, DType scale_dtype) {
  if (cols % group_size != 0) throw std::invalid_argument("quantize_affine: cols must be a multiple of group_size");
  AffineQuantized result;
  const int64_t groups = cols / group_size;
  const int64_t words_per_row = cols * bits / 32;
  const int n_bins = (1 << bits) - 1;
  result.packed.assign(static_cast<std::size_t>(rows * words_per_row), 0);
  result.dequantized.resize(w.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* group = w.data() + r * cols + g * group_size;
      const float w_min = *std::min_element(group, group + group_size);
      const float w_max = *std::max_element(group, group + group_size);
      float scale = std::max((w_max - w_min) / static_cast<float>(n_bins), 1e-7f);
      const bool min_is_edge = std::fabs(w_min) > std::fabs(w_max);
      if (!min_is_edge) scale = -scale;
      const float edge = min_is_edge ? w_min : w_max;
      const float q0 = std::nearbyint(edge / scale);
      if (q0 != 0) scale = edge / q0;
      const float bias = q0 == 0 ? 0.0f : edge;
      const float stored_scale = stored_value(scale_dtype, scale), stored_bias = stored_value(scale_dtype, bias);
      result.scales.push_back(stored_scale);
      result.biases.push_back(stored_bias);
      for (int64_t c = 0; c < group_size; ++c) {
        const float q = std::min(std::max(std::nearbyint((group[c] - bias) / scale), 0.0f), static_cast<float>(n_bins));
        const auto value = static_cast<uint64_t>(q);
        const int64_t column = g * group_size + c;
        const uint64_t bit = static_cast<uint64_t>(column * bits);
        uint32_t* row = result.packed.data() + r * words_per_row;
        row[bit / 32] |= static_cast<uint32_t>(value << (bit % 32));
        if (bit % 32 + static_cast<uint64_t>(bits) > 32) row[bit / 32 + 1] |= static_cast<uint32_t>(value >> (32 - bit % 32));
        result.dequantized[static_cast<std::size_t>(r * cols + column)] = std::fma(stored_scale, q, stored_bias);
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------- Whisper models

inline std::string model_config_json(const WhisperDims& d, const std::optional<Quantization>& quantization = {}) {
  std::string json = "{\"model_type\": \"whisper\", \"n_mels\": " + std::to_string(d.n_mels) +
                     ", \"n_audio_ctx\": " + std::to_string(d.n_audio_ctx) +
                     ", \"n_audio_state\": " + std::to_string(d.n_audio_state) +
                     ", \"n_audio_head\": " + std::to_string(d.n_audio_head) +
                     ", \"n_audio_layer\": " + std::to_string(d.n_audio_layer) +
                     ", \"n_vocab\": " + std::to_string(d.n_vocab) + ", \"n_text_ctx\": " + std::to_string(d.n_text_ctx) +
                     ", \"n_text_state\": " + std::to_string(d.n_text_state) +
                     ", \"n_text_head\": " + std::to_string(d.n_text_head) +
                     ", \"n_text_layer\": " + std::to_string(d.n_text_layer);
  if (quantization) {
    json += ", \"quantization\": {\"group_size\": " + std::to_string(quantization->group_size) +
            ", \"bits\": " + std::to_string(quantization->bits) + "}";
  }
  return json + "}\n";
}

struct TinyModelOptions {
  DType dtype = DType::F32;                  // float tensors: F32 or F16
  std::optional<Quantization> quantization;  // quantizes every Linear (and the token embedding, see below)
  bool quantize_token_embedding = true;      // older 4-bit repositories keep it dense
  bool npz = false;                          // weights.npz instead of weights.safetensors
  std::size_t safetensors_header_alignment = 1;  // 1 = unpadded, like MLX (tensor data misaligned)
  std::vector<std::pair<int, int>> alignment_heads;  // stored as an I64 `alignment_heads` tensor if not empty
  uint64_t seed = 1;
};

struct TinyModel {
  std::string config_json;
  std::vector<TestTensor> tensors;  // MLX names and layout, as written
  // Every weight's values as the model holds them (after F16 rounding or quantization), by MLX tensor name and
  // in MLX layout; quantized modules appear under "<path>.weight" as their dequantized (rows x cols) matrix.
  std::map<std::string, std::vector<float>> values;
};

class TinyModelBuilder {
 public:
  TinyModelBuilder(const WhisperDims& dims, const TinyModelOptions& options)
      : dims_(dims), options_(options), random_(options.seed) {}

  TinyModel build() {
    const int64_t n = dims_.n_audio_state;
    conv("encoder.conv1", n, dims_.n_mels);
    conv("encoder.conv2", n, n);
    for (int i = 0; i < dims_.n_audio_layer; ++i) block("encoder.blocks." + std::to_string(i), false);
    layer_norm("encoder.ln_post");
    matrix("decoder.token_embedding", dims_.n_vocab, n, 1.0f, options_.quantize_token_embedding);
    dense("decoder.positional_embedding", {dims_.n_text_ctx, n}, 0.1f);
    for (int i = 0; i < dims_.n_text_layer; ++i) block("decoder.blocks." + std::to_string(i), true);
    layer_norm("decoder.ln");
    if (!options_.alignment_heads.empty()) {
      std::vector<int64_t> pairs;
      for (const auto& [layer, head] : options_.alignment_heads) {
        pairs.push_back(layer);
        pairs.push_back(head);
      }
      model_.tensors.push_back(TestTensor{"alignment_heads", DType::I64,
                                          {static_cast<int64_t>(options_.alignment_heads.size()), 2}, bytes_of(pairs)});
    }
    model_.config_json = model_config_json(dims_, options_.quantization);
    return std::move(model_);
  }

 private:
  std::vector<float> random_values(int64_t count, float center, float spread) {
    std::vector<float> values(static_cast<std::size_t>(count));
    for (float& value : values) value = center + random_.uniform(-spread, spread);
    return values;
  }

  void dense(const std::string& name, std::vector<int64_t> shape, float spread, float center = 0.0f) {
    int64_t count = 1;
    for (int64_t dim : shape) count *= dim;
    std::vector<float> values = random_values(count, center, spread);
    model_.tensors.push_back(float_tensor(name, options_.dtype, std::move(shape), &values));
    model_.values[name] = std::move(values);
  }

  void matrix(const std::string& prefix, int64_t rows, int64_t cols, float spread, bool may_quantize = true) {
    const std::string name = prefix + ".weight";
    if (!options_.quantization || !may_quantize) {
      dense(name, {rows, cols}, spread);
      return;
    }
    const Quantization q = *options_.quantization;
    const std::vector<float> values = random_values(rows * cols, 0.0f, spread);
    AffineQuantized quantized = quantize_affine(values, rows, cols, q.bits, q.group_size, options_.dtype);
    model_.tensors.push_back(TestTensor{name, DType::U32, {rows, cols * q.bits / 32}, bytes_of(quantized.packed)});
    const std::vector<int64_t> group_shape = {rows, cols / q.group_size};
    model_.tensors.push_back(float_tensor(prefix + ".scales", options_.dtype, group_shape, &quantized.scales));
    model_.tensors.push_back(float_tensor(prefix + ".biases", options_.dtype, group_shape, &quantized.biases));
    model_.values[name] = std::move(quantized.dequantized);
  }

  void linear(const std::string& prefix, int64_t out, int64_t in, bool has_bias = true) {
    matrix(prefix, out, in, 1.0f / std::sqrt(static_cast<float>(in)));
    if (has_bias) dense(prefix + ".bias", {out}, 0.1f);
  }

  void layer_norm(const std::string& prefix) {
    dense(prefix + ".weight", {dims_.n_audio_state}, 0.1f, 1.0f);
    dense(prefix + ".bias", {dims_.n_audio_state}, 0.1f);
  }

  void attention(const std::string& prefix) {
    const int64_t n = dims_.n_audio_state;
    linear(prefix + ".query", n, n);
    linear(prefix + ".key", n, n, false);
    linear(prefix + ".value", n, n);
    linear(prefix + ".out", n, n);
  }

  void block(const std::string& prefix, bool cross_attention) {
    const int64_t n = dims_.n_audio_state;
    attention(prefix + ".attn");
    layer_norm(prefix + ".attn_ln");
    if (cross_attention) {
      attention(prefix + ".cross_attn");
      layer_norm(prefix + ".cross_attn_ln");
    }
    linear(prefix + ".mlp1", 4 * n, n);
    linear(prefix + ".mlp2", n, 4 * n);
    layer_norm(prefix + ".mlp_ln");
  }

  void conv(const std::string& prefix, int64_t out, int64_t in) {
    dense(prefix + ".weight", {out, 3, in}, 1.0f / std::sqrt(static_cast<float>(3 * in)));
    dense(prefix + ".bias", {out}, 0.1f);
  }

  WhisperDims dims_;
  TinyModelOptions options_;
  Random random_;
  TinyModel model_;
};

inline TinyModel make_tiny_whisper_model(const WhisperDims& dims, const TinyModelOptions& options = TinyModelOptions()) {
  return TinyModelBuilder(dims, options).build();
}

// Writes config.json and weights.safetensors (or weights.npz) into `folder` (which must exist).
inline TinyModel write_tiny_whisper_model(const std::string& folder, const WhisperDims& dims,
                                          const TinyModelOptions& options = TinyModelOptions()) {
  TinyModel model = make_tiny_whisper_model(dims, options);
  write_file(folder + "/config.json", model.config_json);
  if (options.npz) {
    write_file(folder + "/weights.npz", npz_bytes(model.tensors));
  } else {
    write_file(folder + "/weights.safetensors", safetensors_bytes(model.tensors, {}, options.safetensors_header_alignment));
  }
  return model;
}

// Small dimensions that exercise every shape rule (4 heads of 16, 2+2 layers, 3-bit packing straddling words).
inline WhisperDims tiny_dims() {
  WhisperDims d;
  d.n_mels = 8;
  d.n_audio_ctx = 12;
  d.n_audio_state = 64;
  d.n_audio_head = 4;
  d.n_audio_layer = 2;
  d.n_vocab = 96;
  d.n_text_ctx = 16;
  d.n_text_state = 64;
  d.n_text_head = 4;
  d.n_text_layer = 2;
  return d;
}

}  // namespace test
}  // namespace verbatim
