#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "formats/byte_reading.h"
#include "support/model_writer.h"
#include "whisper/weights.h"

using namespace verbatim;
using namespace verbatim::test;

#define CHECK_FORMAT_ERROR(expression, text) \
  CHECK_THROWS_WITH_AS(expression, doctest::Contains(std::string(text).c_str()), verbatim::FormatError)

namespace {

float read_float(DType dtype, const void* data, int64_t index) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  switch (dtype) {
    case DType::F32: return load_unaligned<float>(bytes + index * 4);
    case DType::F16: return half_to_float(load_unaligned<uint16_t>(bytes + index * 2));
    case DType::BF16: {
      const uint32_t bits = static_cast<uint32_t>(load_unaligned<uint16_t>(bytes + index * 2)) << 16;
      float value;
      std::memcpy(&value, &bits, 4);
      return value;
    }
    default: FAIL("not a float dtype"); return 0;
  }
}

std::vector<float> floats(DType dtype, const void* data, int64_t count) {
  std::vector<float> values;
  for (int64_t i = 0; i < count; ++i) values.push_back(read_float(dtype, data, i));
  return values;
}

// w[r][c] = scales[r][c / group_size] * q + biases[r][c / group_size], q from the row's LSB-first bit stream.
std::vector<float> matrix_values(const WeightMatrix& m) {
  switch (m.format) {
    case WeightMatrix::Format::F32: return floats(DType::F32, m.data, m.rows * m.cols);
    case WeightMatrix::Format::F16: return floats(DType::F16, m.data, m.rows * m.cols);
    case WeightMatrix::Format::BF16: return floats(DType::BF16, m.data, m.rows * m.cols);
    case WeightMatrix::Format::Quantized: break;
  }
  const int64_t words_per_row = m.cols * m.bits / 32, groups = m.cols / m.group_size;
  const auto* words = static_cast<const uint8_t*>(m.data);
  std::vector<float> values;
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const int64_t bit = c * m.bits;
      uint64_t pair = load_unaligned<uint32_t>(words + (r * words_per_row + bit / 32) * 4);
      if (bit % 32 + m.bits > 32) {
        pair |= static_cast<uint64_t>(load_unaligned<uint32_t>(words + (r * words_per_row + bit / 32 + 1) * 4)) << 32;
      }
      const auto q = static_cast<float>((pair >> (bit % 32)) & ((1u << m.bits) - 1));
      const int64_t group = r * groups + c / m.group_size;
      values.push_back(read_float(m.scale_dtype, m.scales, group) * q + read_float(m.scale_dtype, m.biases, group));
    }
  }
  return values;
}

class ModelChecker {
 public:
  explicit ModelChecker(const TinyModel& model) : model_(model) {}

  void check(const WhisperWeights& w) const {
    const WhisperDims& d = w.config.dims;
    const int64_t n = d.n_audio_state;
    check_conv(w.conv1, "encoder.conv1", d.n_mels);
    check_conv(w.conv2, "encoder.conv2", n);
    REQUIRE(w.encoder_blocks.size() == static_cast<std::size_t>(d.n_audio_layer));
    for (int i = 0; i < d.n_audio_layer; ++i) check_block(w.encoder_blocks[i], "encoder.blocks." + std::to_string(i));
    check_layer_norm(w.ln_post, "encoder.ln_post");
    check_matrix(w.token_embedding, "decoder.token_embedding", d.n_vocab, n);
    CHECK(floats(w.positional_embedding_dtype, w.positional_embedding, d.n_text_ctx * n) ==
          values("decoder.positional_embedding"));
    REQUIRE(w.decoder_blocks.size() == static_cast<std::size_t>(d.n_text_layer));
    for (int i = 0; i < d.n_text_layer; ++i) check_block(w.decoder_blocks[i], "decoder.blocks." + std::to_string(i));
    check_layer_norm(w.decoder_ln, "decoder.ln");
  }

 private:
  const std::vector<float>& values(const std::string& name) const {
    INFO("tensor " << name);
    REQUIRE(model_.values.count(name) == 1);
    return model_.values.at(name);
  }

  void check_vector(const Vector& v, const std::string& name) const {
    INFO("tensor " << name);
    CHECK(floats(v.dtype, v.data, v.size) == values(name));
  }

  void check_layer_norm(const LayerNormWeights& ln, const std::string& prefix) const {
    check_vector(ln.weight, prefix + ".weight");
    check_vector(ln.bias, prefix + ".bias");
  }

  void check_matrix(const WeightMatrix& m, const std::string& prefix, int64_t rows, int64_t cols) const {
    INFO("matrix " << prefix);
    CHECK(m.rows == rows);
    CHECK(m.cols == cols);
    const std::vector<float> loaded = matrix_values(m), expected = values(prefix + ".weight");
    REQUIRE(loaded.size() == expected.size());
    // Dequantizing may round differently (fused multiply-add or not): allow the last bit.
    const float tolerance = m.format == WeightMatrix::Format::Quantized ? 1e-6f : 0.0f;
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < loaded.size(); ++i) mismatches += std::fabs(loaded[i] - expected[i]) > tolerance;
    CHECK(mismatches == 0);
  }

  void check_linear(const Linear& l, const std::string& prefix, int64_t out, int64_t in, bool has_bias) const {
    check_matrix(l.weight, prefix, out, in);
    REQUIRE(l.bias.has_value() == has_bias);
    if (has_bias) check_vector(*l.bias, prefix + ".bias");
  }

  void check_attention(const AttentionWeights& a, const std::string& prefix, int64_t n) const {
    check_linear(a.query, prefix + ".query", n, n, true);
    check_linear(a.key, prefix + ".key", n, n, false);
    check_linear(a.value, prefix + ".value", n, n, true);
    check_linear(a.out, prefix + ".out", n, n, true);
  }

  void check_block(const ResidualBlockWeights& b, const std::string& prefix) const {
    const int64_t n = static_cast<int64_t>(b.attn_ln.weight.size);
    check_attention(b.attn, prefix + ".attn", n);
    check_layer_norm(b.attn_ln, prefix + ".attn_ln");
    const bool decoder = prefix.rfind("decoder.", 0) == 0;
    REQUIRE(b.cross_attn.has_value() == decoder);
    REQUIRE(b.cross_attn_ln.has_value() == decoder);
    if (decoder) {
      check_attention(*b.cross_attn, prefix + ".cross_attn", n);
      check_layer_norm(*b.cross_attn_ln, prefix + ".cross_attn_ln");
    }
    check_linear(b.mlp1, prefix + ".mlp1", 4 * n, n, true);
    check_linear(b.mlp2, prefix + ".mlp2", n, 4 * n, true);
    check_layer_norm(b.mlp_ln, prefix + ".mlp_ln");
  }

  void check_conv(const Conv1dWeights& c, const std::string& prefix, int in) const {
    INFO("conv " << prefix);
    CHECK(c.kernel == 3);
    CHECK(c.in_channels == in);
    CHECK(floats(c.dtype, c.weight, int64_t{c.out_channels} * c.kernel * c.in_channels) == values(prefix + ".weight"));
    check_vector(c.bias, prefix + ".bias");
  }

  const TinyModel& model_;
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The Hugging Face transformers name of an MLX tensor (the inverse of convert.py's mapping).
std::string hf_name(const std::string& mlx_name) {
  static const std::pair<const char*, const char*> kReplacements[] = {
      {"decoder.positional_embedding", "decoder.embed_positions.weight"},
      {"decoder.token_embedding", "decoder.embed_tokens"},
      {"encoder.ln_post", "encoder.layer_norm"},
      {"decoder.ln.", "decoder.layer_norm."},
      {".blocks.", ".layers."},
      {".cross_attn_ln", ".encoder_attn_layer_norm"},
      {".cross_attn.", ".encoder_attn."},
      {".attn_ln", ".self_attn_layer_norm"},
      {".attn.", ".self_attn."},
      {".query", ".q_proj"},
      {".key", ".k_proj"},
      {".value", ".v_proj"},
      {".out.", ".out_proj."},
      {".mlp1", ".fc1"},
      {".mlp2", ".fc2"},
      {".mlp_ln", ".final_layer_norm"},
  };
  std::string name = mlx_name;
  for (const auto& [from, to] : kReplacements) name = replace_all(name, from, to);
  return "model." + name;
}

// (out, kernel, in) -> (out, in, kernel)
TestTensor to_pytorch_conv(const TestTensor& tensor) {
  const int64_t out = tensor.shape[0], kernel = tensor.shape[1], in = tensor.shape[2];
  const std::size_t element = dtype_size(tensor.dtype);
  TestTensor converted{tensor.name, tensor.dtype, {out, in, kernel}, Bytes(tensor.bytes.size())};
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t k = 0; k < kernel; ++k) {
      for (int64_t i = 0; i < in; ++i) {
        std::memcpy(converted.bytes.data() + static_cast<std::size_t>((o * in + i) * kernel + k) * element,
                    tensor.bytes.data() + static_cast<std::size_t>((o * kernel + k) * in + i) * element, element);
      }
    }
  }
  return converted;
}

// `model`'s tensors as a Hugging Face checkpoint stores them: transformers' names, PyTorch's conv layout.
std::vector<TestTensor> hf_tensors(const TinyModel& model) {
  std::vector<TestTensor> tensors;
  for (const TestTensor& tensor : model.tensors) {
    const bool conv = tensor.name.find("conv") != std::string::npos && tensor.shape.size() == 3;
    TestTensor hf = conv ? to_pytorch_conv(tensor) : tensor;
    hf.name = hf_name(tensor.name);
    tensors.push_back(std::move(hf));
  }
  return tensors;
}

std::string hf_config_json(const WhisperDims& d) {
  return "{\"architectures\": [\"WhisperForConditionalGeneration\"], \"model_type\": \"whisper\", "
         "\"activation_function\": \"gelu\", \"suppress_tokens\": [1, 2, 7], \"scale_embedding\": false, "
         "\"num_mel_bins\": " + std::to_string(d.n_mels) + ", \"max_source_positions\": " + std::to_string(d.n_audio_ctx) +
         ", \"d_model\": " + std::to_string(d.n_audio_state) +
         ", \"encoder_attention_heads\": " + std::to_string(d.n_audio_head) +
         ", \"encoder_layers\": " + std::to_string(d.n_audio_layer) + ", \"vocab_size\": " + std::to_string(d.n_vocab) +
         ", \"max_target_positions\": " + std::to_string(d.n_text_ctx) +
         ", \"decoder_attention_heads\": " + std::to_string(d.n_text_head) +
         ", \"decoder_layers\": " + std::to_string(d.n_text_layer) + ", \"torch_dtype\": \"float32\"}";
}

TestTensor& tensor_named(std::vector<TestTensor>& tensors, const std::string& name) {
  for (TestTensor& tensor : tensors) {
    if (tensor.name == name) return tensor;
  }
  FAIL("no tensor " << name);
  throw std::logic_error("unreachable");
}

void remove_tensor(std::vector<TestTensor>& tensors, const std::string& name) {
  tensor_named(tensors, name);
  tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [&](const TestTensor& t) { return t.name == name; }),
                tensors.end());
}

// Writes `model` with its tensors replaced by `tensors` and loads it.
WhisperWeights load_with(const TempDir& dir, const TinyModel& model, const std::vector<TestTensor>& tensors) {
  write_file(dir.file("config.json"), model.config_json);
  write_file(dir.file("weights.safetensors"), safetensors_bytes(tensors));
  return load_whisper_weights(dir.path());
}

Quantization quantization(int bits, int group_size) {
  Quantization q;
  q.bits = bits;
  q.group_size = group_size;
  return q;
}

}  // namespace

TEST_CASE("weights: a tiny MLX model (F32, unpadded safetensors) loads with every tensor in place") {
  TempDir dir;
  const TinyModel model = write_tiny_whisper_model(dir.path(), tiny_dims());
  const WhisperWeights weights = load_whisper_weights(dir.path());
  CHECK(weights.weights_path == dir.file("weights.safetensors"));
  CHECK(weights.config.model_type == "whisper");
  CHECK(weights.config.dims.n_vocab == 96);
  CHECK_FALSE(weights.config.quantization.has_value());
  CHECK(weights.converted_tensors.empty());
  CHECK(weights.stored_alignment_heads.empty());
  CHECK(weights.token_embedding.format == WeightMatrix::Format::F32);
  CHECK(weights.files.size() == 1);
  ModelChecker(model).check(weights);
}

TEST_CASE("weights: F16 weights.npz with stored alignment heads; a trailing slash in the folder is fine") {
  TempDir dir;
  TinyModelOptions options;
  options.dtype = DType::F16;
  options.npz = true;
  options.alignment_heads = {{1, 0}, {1, 3}};
  const TinyModel model = write_tiny_whisper_model(dir.path(), tiny_dims(), options);
  const WhisperWeights weights = load_whisper_weights(dir.path() + "/");
  CHECK(weights.weights_path == dir.file("weights.npz"));
  CHECK(weights.conv1.dtype == DType::F16);
  CHECK(weights.decoder_blocks[1].mlp2.weight.format == WeightMatrix::Format::F16);
  CHECK(weights.stored_alignment_heads == std::vector<std::pair<int, int>>{{1, 0}, {1, 3}});
  ModelChecker(model).check(weights);
}

TEST_CASE("weights: MLX affine quantized models of every bit width load and dequantize to the written values") {
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int group_size : {32, 64}) {
      INFO(bits << "-bit, group size " << group_size);
      TempDir dir;
      TinyModelOptions options;
      options.dtype = bits == 4 ? DType::F16 : DType::F32;
      options.quantization = quantization(bits, group_size);
      options.quantize_token_embedding = bits != 8;
      const TinyModel model = write_tiny_whisper_model(dir.path(), tiny_dims(), options);
      const WhisperWeights weights = load_whisper_weights(dir.path());
      REQUIRE(weights.config.quantization.has_value());
      const WeightMatrix& mlp1 = weights.encoder_blocks[0].mlp1.weight;
      CHECK(mlp1.format == WeightMatrix::Format::Quantized);
      CHECK(mlp1.bits == bits);
      CHECK(mlp1.group_size == group_size);
      CHECK(mlp1.scale_dtype == options.dtype);
      CHECK((weights.token_embedding.format == WeightMatrix::Format::Quantized) == (bits != 8));
      ModelChecker(model).check(weights);
    }
  }
}

TEST_CASE("weights: a Hugging Face checkpoint (HF names and config, PyTorch conv layout) maps to MLX") {
  TempDir dir;
  const WhisperDims dims = tiny_dims();
  const TinyModel model = make_tiny_whisper_model(dims);
  std::vector<TestTensor> tensors = hf_tensors(model);
  std::vector<float> positions(static_cast<std::size_t>(dims.n_audio_ctx * dims.n_audio_state), 0.5f);
  tensors.push_back(f32_tensor("model.encoder.embed_positions.weight", {dims.n_audio_ctx, dims.n_audio_state}, positions));
  TestTensor projection = tensor_named(tensors, "model.decoder.embed_tokens.weight");
  projection.name = "proj_out.weight";
  tensors.push_back(projection);
  CHECK(tensor_named(tensors, "model.decoder.layers.1.encoder_attn_layer_norm.bias").shape == std::vector<int64_t>{64});
  CHECK(tensor_named(tensors, "model.encoder.layers.0.self_attn.k_proj.weight").shape == std::vector<int64_t>{64, 64});
  CHECK(tensor_named(tensors, "model.encoder.conv1.weight").shape == std::vector<int64_t>{64, 8, 3});

  write_file(dir.file("config.json"), hf_config_json(dims));
  write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  const WhisperWeights weights = load_whisper_weights(dir.path());
  CHECK(weights.weights_path == dir.file("model.safetensors"));
  CHECK(weights.converted_tensors.size() == 2);
  ModelChecker(model).check(weights);

  // An HF tensor that is neither mapped nor dropped is reported under its own name.
  tensors.push_back(f32_tensor("model.decoder.layers.0.extra", {1}, {1}));
  write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()), "unexpected tensor \"model.decoder.layers.0.extra\" (F32 (1))");
  tensors.back() = f32_tensor("decoder.layer_norm.weight", {64}, std::vector<float>(64));
  write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()),
                     "tensors \"decoder.layer_norm.weight\" and \"model.decoder.layer_norm.weight\" both map to the MLX "
                     "name \"decoder.ln.weight\"");
  tensors.pop_back();
  // PyTorch-layout conv weights must have PyTorch's shape.
  tensor_named(tensors, "model.encoder.conv2.weight") = to_pytorch_conv(tensor_named(tensors, "model.encoder.conv2.weight"));
  tensor_named(tensors, "model.encoder.conv2.weight").name = "model.encoder.conv2.weight";
  tensor_named(tensors, "model.encoder.conv2.weight").shape = {64, 3, 64};
  write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()),
                     "tensor \"model.encoder.conv2.weight\" (MLX name \"encoder.conv2.weight\"): expected shape "
                     "(64, 64, 3) (PyTorch layout: out, in, kernel), found (64, 3, 64)");
}

TEST_CASE("weights: the first of weights.safetensors, weights.npz, model.safetensors is used") {
  TempDir dir;
  TinyModelOptions npz;
  npz.npz = true;
  write_tiny_whisper_model(dir.path(), tiny_dims(), npz);
  write_file(dir.file("model.safetensors"), std::string("not a model"));
  CHECK(load_whisper_weights(dir.path()).weights_path == dir.file("weights.npz"));
  write_tiny_whisper_model(dir.path(), tiny_dims());
  CHECK(load_whisper_weights(dir.path()).weights_path == dir.file("weights.safetensors"));
  std::filesystem::remove(dir.file("weights.safetensors"));
  std::filesystem::remove(dir.file("weights.npz"));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()), dir.file("model.safetensors") + ": safetensors header length");
  std::filesystem::remove(dir.file("model.safetensors"));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()),
                     dir.path() + ": no weights file: expected weights.safetensors, weights.npz or model.safetensors");
  std::filesystem::remove(dir.file("config.json"));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()), dir.file("config.json") + ": cannot open: No such file");
}

TEST_CASE("weights: missing, extra, misshapen and mistyped tensors are named with what was expected") {
  TempDir dir;
  const TinyModel model = make_tiny_whisper_model(tiny_dims());
  const std::string file = dir.file("weights.safetensors");
  auto tensors = model.tensors;
  CHECK_NOTHROW(load_with(dir, model, tensors));

  remove_tensor(tensors, "decoder.blocks.1.mlp2.bias");
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     file + ": tensor \"decoder.blocks.1.mlp2.bias\" is missing: the weights do not match config.json");

  tensors = model.tensors;
  tensors.push_back(f32_tensor("decoder.blocks.2.mlp1.weight", {2, 2}, {1, 2, 3, 4}));
  tensors.push_back(f32_tensor("encoder.blocks.0.attn.key.bias", {64}, std::vector<float>(64)));
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     file + ": unexpected tensor \"decoder.blocks.2.mlp1.weight\" (F32 (2, 2)) and 1 more: not part of a "
                            "Whisper model with config.json's 2 encoder and 2 decoder layers");

  tensors = model.tensors;
  tensor_named(tensors, "encoder.ln_post.weight") = f32_tensor("encoder.ln_post.weight", {63}, std::vector<float>(63));
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     file + ": tensor \"encoder.ln_post.weight\": expected shape (64), found (63)");

  tensors = model.tensors;
  tensor_named(tensors, "decoder.ln.bias") = TestTensor{"decoder.ln.bias", DType::U8, {64}, Bytes(64)};
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"decoder.ln.bias\": expected a float tensor (F32, F16 or BF16), found U8");

  tensors = model.tensors;
  std::vector<uint16_t> bfloat16_ones(64, 0x3F80);
  tensor_named(tensors, "decoder.ln.bias") = TestTensor{"decoder.ln.bias", DType::BF16, {64}, bytes_of(bfloat16_ones)};
  const WhisperWeights with_bfloat16 = load_with(dir, model, tensors);
  CHECK(with_bfloat16.decoder_ln.bias.dtype == DType::BF16);
  CHECK(floats(DType::BF16, with_bfloat16.decoder_ln.bias.data, 64) == std::vector<float>(64, 1.0f));

  tensors = model.tensors;
  tensor_named(tensors, "decoder.token_embedding.weight").shape = {64, 96};
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"decoder.token_embedding.weight\": expected shape (96, 64), found (64, 96)");

  tensors = model.tensors;
  tensor_named(tensors, "encoder.conv1.weight") = to_pytorch_conv(tensor_named(tensors, "encoder.conv1.weight"));
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"encoder.conv1.weight\": expected shape (64, 3, 8) (MLX layout: out, kernel, in) (that is "
                     "PyTorch layout: convert the model with mlx-examples convert.py), found (64, 8, 3)");

  tensors = model.tensors;
  tensors.push_back(TestTensor{"alignment_heads", DType::I32, {1, 2}, bytes_of(std::vector<int32_t>{2, 0})});
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"alignment_heads\": pair 0 is [2, 0], outside the model's 2 decoder layers of 4 heads");
  tensors.back() = TestTensor{"alignment_heads", DType::I32, {1, 2}, bytes_of(std::vector<int32_t>{1, -1})};
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors), "pair 0 is [1, -1]");
  tensors.back() = TestTensor{"alignment_heads", DType::I32, {2}, bytes_of(std::vector<int32_t>{1, 1})};
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors), "expected shape (N, 2) of [layer, head] pairs, found (2)");
  tensors.back() = f32_tensor("alignment_heads", {1, 2}, {1, 1});
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors), "expected I64 or I32 [layer, head] pairs, found F32");
  tensors.back() = TestTensor{"alignment_heads", DType::I32, {1, 2}, bytes_of(std::vector<int32_t>{1, 3})};
  CHECK(load_with(dir, model, tensors).stored_alignment_heads == std::vector<std::pair<int, int>>{{1, 3}});
}

namespace {

// Sets element `index` of `tensor` to the stored bits `bits` (as wide as its dtype, little-endian).
void set_stored(TestTensor& tensor, int64_t index, uint32_t bits) {
  const std::size_t size = dtype_size(tensor.dtype);
  std::memcpy(tensor.bytes.data() + static_cast<std::size_t>(index) * size, &bits, size);
}

}  // namespace

TEST_CASE("weights: a NaN or an infinity in a weight, a vector, a conv or a quantization scale or bias is refused") {
  TempDir dir;
  const std::string file = dir.file("weights.safetensors");
  const TinyModel f32 = make_tiny_whisper_model(tiny_dims());
  auto tensors = f32.tensors;
  set_stored(tensor_named(tensors, "decoder.blocks.1.mlp2.bias"), 3, 0x7fc00000u);
  CHECK_FORMAT_ERROR(load_with(dir, f32, tensors),
                     file + ": tensor \"decoder.blocks.1.mlp2.bias\" holds NaN (element 3 of 64, F32): the model's "
                            "weights are damaged or were converted wrongly; download the model again, or convert it "
                            "again from its source");
  tensors = f32.tensors;
  set_stored(tensor_named(tensors, "encoder.conv1.weight"), 100, 0xff800000u);
  CHECK_FORMAT_ERROR(load_with(dir, f32, tensors), "tensor \"encoder.conv1.weight\" holds -inf (element 100 of");
  tensors = f32.tensors;
  set_stored(tensor_named(tensors, "decoder.positional_embedding"), 0, 0x7f800000u);
  CHECK_FORMAT_ERROR(load_with(dir, f32, tensors), "tensor \"decoder.positional_embedding\" holds +inf (element 0");
  tensors = f32.tensors;
  set_stored(tensor_named(tensors, "decoder.token_embedding.weight"), 96 * 64 - 1, 0x7fc00000u);
  CHECK_FORMAT_ERROR(load_with(dir, f32, tensors), "tensor \"decoder.token_embedding.weight\" holds NaN (element 6143");

  TinyModelOptions half;
  half.dtype = DType::F16;
  const TinyModel f16 = make_tiny_whisper_model(tiny_dims(), half);
  tensors = f16.tensors;
  set_stored(tensor_named(tensors, "encoder.blocks.0.attn.key.weight"), 4095, 0x7c00u);
  CHECK_FORMAT_ERROR(load_with(dir, f16, tensors),
                     "tensor \"encoder.blocks.0.attn.key.weight\" holds +inf (element 4095 of 4096, F16)");
  tensors = f16.tensors;
  tensor_named(tensors, "decoder.ln.weight") =
      TestTensor{"decoder.ln.weight", DType::BF16, {64}, bytes_of(std::vector<uint16_t>(64, 0x3f80))};
  CHECK_NOTHROW(load_with(dir, f16, tensors));
  set_stored(tensor_named(tensors, "decoder.ln.weight"), 9, 0xffc0u);
  CHECK_FORMAT_ERROR(load_with(dir, f16, tensors), "tensor \"decoder.ln.weight\" holds NaN (element 9 of 64, BF16)");

  for (const DType scale_dtype : {DType::F16, DType::F32}) {
    TinyModelOptions options;
    options.dtype = scale_dtype;
    options.quantization = quantization(4, 32);
    const TinyModel quantized = make_tiny_whisper_model(tiny_dims(), options);
    const uint32_t nan = scale_dtype == DType::F16 ? 0x7e00u : 0x7fc00000u;
    const uint32_t infinity = scale_dtype == DType::F16 ? 0xfc00u : 0xff800000u;
    tensors = quantized.tensors;
    set_stored(tensor_named(tensors, "decoder.blocks.0.cross_attn.value.scales"), 5, nan);
    CHECK_FORMAT_ERROR(load_with(dir, quantized, tensors),
                       "tensor \"decoder.blocks.0.cross_attn.value.scales\" holds NaN (element 5 of 128");
    tensors = quantized.tensors;
    set_stored(tensor_named(tensors, "decoder.token_embedding.biases"), 0, infinity);
    CHECK_FORMAT_ERROR(load_with(dir, quantized, tensors),
                       "tensor \"decoder.token_embedding.biases\" holds -inf (element 0 of 192");
  }
}

TEST_CASE("weights: a Hugging Face tensor that is not finite is named as the file names it") {
  TempDir dir;
  const WhisperDims dims = tiny_dims();
  const TinyModel model = make_tiny_whisper_model(dims);
  std::vector<TestTensor> tensors = hf_tensors(model);
  set_stored(tensor_named(tensors, "model.encoder.layers.1.fc2.bias"), 2, 0x7fc00000u);
  write_file(dir.file("config.json"), hf_config_json(dims));
  write_file(dir.file("model.safetensors"), safetensors_bytes(tensors));
  CHECK_FORMAT_ERROR(load_whisper_weights(dir.path()),
                     dir.file("model.safetensors") + ": tensor \"model.encoder.layers.1.fc2.bias\" holds NaN");
}

TEST_CASE("weights: quantized modules are checked against config.json's quantization block") {
  TempDir dir;
  TinyModelOptions options;
  options.quantization = quantization(4, 32);
  const TinyModel model = make_tiny_whisper_model(tiny_dims(), options);
  auto tensors = model.tensors;
  CHECK_NOTHROW(load_with(dir, model, tensors));

  tensor_named(tensors, "encoder.blocks.1.mlp1.weight").shape = {256, 16};
  tensor_named(tensors, "encoder.blocks.1.mlp1.weight").bytes.resize(256 * 16 * 4);
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"encoder.blocks.1.mlp1.weight\": expected shape (256, 8) for 4-bit quantized weights of "
                     "a (256, 64) matrix, found (256, 16)");

  tensors = model.tensors;
  tensor_named(tensors, "decoder.blocks.0.cross_attn.value.weight").dtype = DType::I32;
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"decoder.blocks.0.cross_attn.value.weight\": expected U32 packed weights for 4-bit "
                     "quantized weights of a (64, 64) matrix, found I32");

  tensors = model.tensors;
  tensor_named(tensors, "decoder.blocks.0.mlp2.scales").shape = {64, 4};
  tensor_named(tensors, "decoder.blocks.0.mlp2.scales").bytes.resize(64 * 4 * 4);
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"decoder.blocks.0.mlp2.scales\": expected shape (64, 8) for group size 32, found (64, 4)");

  tensors = model.tensors;
  remove_tensor(tensors, "decoder.token_embedding.biases");
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors), "tensor \"decoder.token_embedding.biases\" is missing");

  tensors = model.tensors;
  std::vector<float> biases = model.values.at("encoder.blocks.0.attn.out.weight");
  biases.resize(64 * 2);
  tensor_named(tensors, "encoder.blocks.0.attn.out.biases") =
      float_tensor("encoder.blocks.0.attn.out.biases", DType::F16, {64, 2}, &biases);
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"encoder.blocks.0.attn.out.biases\": expected the dtype of its scales (F32), found F16");

  tensors = model.tensors;
  remove_tensor(tensors, "encoder.blocks.0.attn.query.scales");
  CHECK_FORMAT_ERROR(load_with(dir, model, tensors),
                     "tensor \"encoder.blocks.0.attn.query.weight\": expected a float tensor (F32, F16 or BF16), found U32");

  TinyModel unquantized_config = model;
  unquantized_config.config_json = model_config_json(tiny_dims());
  CHECK_FORMAT_ERROR(load_with(dir, unquantized_config, model.tensors),
                     "tensor \"encoder.blocks.0.attn.query.scales\": marks \"encoder.blocks.0.attn.query\" as quantized, "
                     "but config.json has no \"quantization\" block");

  TinyModel wider_groups = model;
  wider_groups.config_json = model_config_json(tiny_dims(), quantization(4, 128));
  CHECK_FORMAT_ERROR(load_with(dir, wider_groups, model.tensors),
                     "a quantized layer needs its 64 input features to be a multiple of the group size 128");
}

TEST_CASE("config: MLX keys, with and without quantization") {
  const WhisperDims dims = tiny_dims();
  const WhisperConfig config = parse_whisper_config(model_config_json(dims), "c.json");
  CHECK(config.dims.n_mels == 8);
  CHECK(config.dims.n_audio_ctx == 12);
  CHECK(config.dims.n_audio_state == 64);
  CHECK(config.dims.n_audio_head == 4);
  CHECK(config.dims.n_audio_layer == 2);
  CHECK(config.dims.n_vocab == 96);
  CHECK(config.dims.n_text_ctx == 16);
  CHECK(config.dims.n_text_state == 64);
  CHECK(config.dims.n_text_head == 4);
  CHECK(config.dims.n_text_layer == 2);
  CHECK(config.model_type == "whisper");
  CHECK_FALSE(config.quantization.has_value());

  const std::string large_v3_turbo_4bit =
      R"({"n_mels": 128, "n_audio_ctx": 1500, "n_audio_state": 1280, "n_audio_head": 20, "n_audio_layer": 32,
          "n_vocab": 51866, "n_text_ctx": 448, "n_text_state": 1280, "n_text_head": 20, "n_text_layer": 4,
          "model_type": "whisper", "quantization": {"group_size": 64, "bits": 4, "mode": "affine"},
          "quantization_config": {"group_size": 64, "bits": 4}})";
  const WhisperConfig turbo = parse_whisper_config(large_v3_turbo_4bit, "c.json");
  CHECK(turbo.dims.n_text_layer == 4);
  CHECK(turbo.dims.n_vocab == 51866);
  REQUIRE(turbo.quantization.has_value());
  CHECK(turbo.quantization->bits == 4);
  CHECK(turbo.quantization->group_size == 64);
}

TEST_CASE("config: Hugging Face WhisperConfig keys map as convert.py maps them") {
  WhisperDims dims = tiny_dims();
  dims.n_text_head = 8;
  const WhisperConfig config = parse_whisper_config(hf_config_json(dims), "c.json");
  CHECK(config.dims.n_mels == dims.n_mels);
  CHECK(config.dims.n_audio_ctx == dims.n_audio_ctx);
  CHECK(config.dims.n_audio_state == dims.n_audio_state);
  CHECK(config.dims.n_text_state == dims.n_audio_state);
  CHECK(config.dims.n_audio_head == dims.n_audio_head);
  CHECK(config.dims.n_audio_layer == dims.n_audio_layer);
  CHECK(config.dims.n_vocab == dims.n_vocab);
  CHECK(config.dims.n_text_ctx == dims.n_text_ctx);
  CHECK(config.dims.n_text_head == 8);
  CHECK(config.dims.n_text_layer == dims.n_text_layer);
  CHECK(config.model_type == "whisper");
}

TEST_CASE("config: missing, mistyped, negative, huge and inconsistent values are refused by name") {
  const std::string good = model_config_json(tiny_dims());
  const auto with = [&](const std::string& from, const std::string& to) {
    const std::string text = replace_all(good, from, to);
    REQUIRE(text != good);
    return parse_whisper_config(text, "m/config.json");
  };
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96, ", ""), "m/config.json: \"n_vocab\" is missing");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": -96"), "\"n_vocab\" must be a positive integer, found -96");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": 0"), "\"n_vocab\" must be a positive integer, found 0");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": 96.5"), "must be a positive integer, found 96.5");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": \"96\""), "must be a positive integer, found \"96\"");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": 1e30"), "must be a positive integer, found 1e30");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": 99999999999999999999"), "must be a positive integer");
  CHECK_FORMAT_ERROR(with("\"n_vocab\": 96", "\"n_vocab\": 2000000000"),
                     "\"n_vocab\" is 2000000000, above the supported maximum of 1048576");
  CHECK_FORMAT_ERROR(with("\"n_text_ctx\": 16", "\"n_text_ctx\": 100000"), "above the supported maximum of 16384");
  CHECK_FORMAT_ERROR(with("\"n_audio_layer\": 2", "\"n_audio_layer\": 1000"), "above the supported maximum of 256");
  CHECK_FORMAT_ERROR(with("\"n_text_state\": 64", "\"n_text_state\": 128"),
                     "n_audio_state (64) and n_text_state (128) differ; Whisper ties them");
  CHECK_FORMAT_ERROR(with("\"n_audio_head\": 4", "\"n_audio_head\": 6"),
                     "n_audio_head (6) does not divide n_audio_state (64)");
  CHECK_FORMAT_ERROR(with("\"n_text_head\": 4", "\"n_text_head\": 5"), "n_text_head (5) does not divide n_text_state (64)");
  CHECK_FORMAT_ERROR(with("64", "3"), "n_audio_state (3) must be even and at least 4");
  CHECK_FORMAT_ERROR(with("\"whisper\"", "\"llama\""), "\"model_type\" is \"llama\", not \"whisper\"");
  CHECK_FORMAT_ERROR(with("\"n_mels\": 8,", "\"n_mels\": 8,,"), "m/config.json: invalid JSON at byte");
  CHECK_FORMAT_ERROR(parse_whisper_config("[]", "m/config.json"), "the file holds an array, not a JSON object");
  CHECK_FORMAT_ERROR(parse_whisper_config("{\"hidden_size\": 4}", "m/config.json"),
                     "not a Whisper config: it has neither MLX keys");
  CHECK_FORMAT_ERROR(parse_whisper_config("{\"d_model\": 64}", "m/config.json"), "\"num_mel_bins\" is missing");
}

TEST_CASE("config: only MLX affine quantization with supported bits and group sizes") {
  const std::string base = model_config_json(tiny_dims());
  const auto with_quantization = [&](const std::string& block) {
    return parse_whisper_config(base.substr(0, base.rfind('}')) + ", \"quantization\": " + block + "}", "c.json");
  };
  CHECK(with_quantization(R"({"group_size": 32, "bits": 3})").quantization->bits == 3);
  CHECK(with_quantization(R"({"group_size": 128, "bits": 8, "mode": "affine"})").quantization->group_size == 128);
  CHECK_FORMAT_ERROR(with_quantization(R"({"group_size": 64, "bits": 7})"),
                     "quantization \"bits\" is 7; supported: 2, 3, 4, 5, 6, 8");
  CHECK_FORMAT_ERROR(with_quantization(R"({"group_size": 48, "bits": 4})"),
                     "quantization \"group_size\" is 48; supported: 32, 64, 128");
  CHECK_FORMAT_ERROR(with_quantization(R"({"bits": 4})"), "\"quantization\" lacks \"group_size\"");
  CHECK_FORMAT_ERROR(with_quantization(R"({"group_size": 32, "bits": 4, "mode": "mxfp4"})"),
                     "quantization mode \"mxfp4\" is not supported (only \"affine\")");
  CHECK_FORMAT_ERROR(with_quantization(R"({"group_size": 32, "bits": 4, "decoder.blocks.0.mlp1": {"bits": 8}})"),
                     "per-layer quantization settings (\"quantization\" entry \"decoder.blocks.0.mlp1\") are not supported");
  CHECK_FORMAT_ERROR(with_quantization("4"), "\"quantization\" is 4, not an object");
}
