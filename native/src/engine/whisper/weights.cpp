// Loads a Whisper model folder and checks every tensor against config.json.
#include "whisper/weights.h"

#include <sys/stat.h>

#include <cstring>
#include <map>

#include "formats/byte_reading.h"
#include "formats/finite_values.h"
#include "formats/mapped_file.h"
#include "formats/tensor_formats.h"

namespace verbatim {
namespace {

constexpr std::size_t kMaxConfigBytes = 4u << 20;
const char* const kWeightFiles[] = {"weights.safetensors", "weights.npz", "model.safetensors"};

// Hugging Face WhisperForConditionalGeneration names -> MLX names, the same replacements, in the same order,
// as mlx-examples whisper/convert.py (hf_to_pt, then convert's mlp.0/mlp.2 renames).
std::string mlx_name_of_hf(std::string name) {
  static const std::pair<const char*, const char*> kReplacements[] = {
      {"model.", ""},
      {".layers", ".blocks"},
      {".self_attn", ".attn"},
      {".attn_layer_norm", ".attn_ln"},
      {".encoder_attn.", ".cross_attn."},
      {".encoder_attn_layer_norm", ".cross_attn_ln"},
      {".final_layer_norm", ".mlp_ln"},
      {".q_proj", ".query"},
      {".k_proj", ".key"},
      {".v_proj", ".value"},
      {".out_proj", ".out"},
      {".fc1", ".mlp.0"},
      {".fc2", ".mlp.2"},
      {"embed_positions.weight", "positional_embedding"},
      {"decoder.embed_tokens", "decoder.token_embedding"},
      {"encoder.layer_norm", "encoder.ln_post"},
      {"decoder.layer_norm", "decoder.ln"},
      {"mlp.0", "mlp1"},
      {"mlp.2", "mlp2"},
  };
  for (const auto& [from, to] : kReplacements) {
    const std::size_t from_length = std::strlen(from);
    for (std::size_t at = name.find(from); at != std::string::npos; at = name.find(from, at + std::strlen(to))) {
      name.replace(at, from_length, to);
    }
  }
  return name;
}

bool has_hf_names(const TensorFile& file) {
  for (const auto& entry : file.tensors()) {
    if (entry.first.rfind("model.", 0) == 0) return true;
  }
  return false;
}

bool is_float(DType dtype) { return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16; }

bool file_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

std::string join_path(const std::string& folder, const std::string& name) {
  return !folder.empty() && folder.back() == '/' ? folder + name : folder + "/" + name;
}

// The tensors of one file under their MLX names, tracking which ones the model used.
class TensorCatalog {
 public:
  explicit TensorCatalog(const TensorFile& file) : path_(file.path()), hf_names_(has_hf_names(file)) {
    for (const auto& [stored_name, view] : file.tensors()) {
      std::string name = hf_names_ ? mlx_name_of_hf(stored_name) : stored_name;
      const auto inserted = entries_.emplace(name, Entry{&view, stored_name, false});
      if (!inserted.second) {
        fail("tensors \"" + inserted.first->second.stored_name + "\" and \"" + stored_name +
             "\" both map to the MLX name \"" + name + "\"");
      }
    }
  }

  bool hf_names() const { return hf_names_; }

  const TensorView* find(const std::string& name) {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return nullptr;
    it->second.used = true;
    return it->second.view;
  }

  const TensorView& require(const std::string& name) {
    const TensorView* view = find(name);
    if (view == nullptr) {
      fail("tensor \"" + name + "\"" + (hf_names_ ? " (MLX name of a Hugging Face tensor)" : "") +
           " is missing: the weights do not match config.json");
    }
    return *view;
  }

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }

  // Throws unless every value of the tensor is finite, naming it as the file stores it.
  void check_finite_values(const std::string& name, const TensorView& view) const {
    const auto it = entries_.find(name);
    check_finite(path_, it != entries_.end() ? it->second.stored_name : name, view);
  }

  [[noreturn]] void fail_tensor(const std::string& name, const std::string& what) const {
    const auto it = entries_.find(name);
    std::string label = "tensor \"" + name + "\"";
    if (it != entries_.end() && it->second.stored_name != name) {
      label = "tensor \"" + it->second.stored_name + "\" (MLX name \"" + name + "\")";
    }
    fail(label + ": " + what);
  }

  // Throws on the first tensor the model did not use.
  void check_all_used(const WhisperDims& dims) const {
    std::size_t unused = 0;
    const std::pair<const std::string, Entry>* first = nullptr;
    for (const auto& entry : entries_) {
      if (entry.second.used) continue;
      if (first == nullptr) first = &entry;
      ++unused;
    }
    if (first == nullptr) return;
    const TensorView& view = *first->second.view;
    fail("unexpected tensor \"" + first->second.stored_name + "\" (" + dtype_name(view.dtype) + " " +
         format_shape(view.shape) + ")" + (unused > 1 ? " and " + std::to_string(unused - 1) + " more" : "") +
         ": not part of a Whisper model with config.json's " + std::to_string(dims.n_audio_layer) +
         " encoder and " + std::to_string(dims.n_text_layer) + " decoder layers");
  }

 private:
  struct Entry {
    const TensorView* view;
    std::string stored_name;
    bool used;
  };
  std::string path_;
  bool hf_names_;
  std::map<std::string, Entry> entries_;
};

class WeightsBuilder {
 public:
  WeightsBuilder(const TensorFile& file, const WhisperConfig& config, WhisperWeights* weights)
      : catalog_(file), config_(config), weights_(weights) {}

  void build() {
    const WhisperDims& d = config_.dims;
    const int64_t n = d.n_audio_state;
    weights_->conv1 = conv("encoder.conv1", n, d.n_mels);
    weights_->conv2 = conv("encoder.conv2", n, n);
    for (int i = 0; i < d.n_audio_layer; ++i) {
      weights_->encoder_blocks.push_back(block("encoder.blocks." + std::to_string(i), n, false));
    }
    weights_->ln_post = layer_norm("encoder.ln_post", n);

    weights_->token_embedding = matrix("decoder.token_embedding", d.n_vocab, n);
    const TensorView& positions = float_tensor("decoder.positional_embedding", {d.n_text_ctx, n});
    weights_->positional_embedding_dtype = positions.dtype;
    weights_->positional_embedding = positions.data;
    for (int i = 0; i < d.n_text_layer; ++i) {
      weights_->decoder_blocks.push_back(block("decoder.blocks." + std::to_string(i), n, true));
    }
    weights_->decoder_ln = layer_norm("decoder.ln", n);
    weights_->stored_alignment_heads = alignment_heads();

    // Dropped by convert.py: the encoder's sinusoidal position embedding (computed at load instead) and HF's
    // output projection (tied to the token embedding).
    catalog_.find("encoder.positional_embedding");
    if (catalog_.hf_names()) catalog_.find("proj_out.weight");
    catalog_.check_all_used(d);
  }

 private:
  void expect_shape(const std::string& name, const TensorView& view, const std::vector<int64_t>& shape,
                    const std::string& context = "") const {
    if (view.shape != shape) {
      catalog_.fail_tensor(name, "expected shape " + format_shape(shape) + context + ", found " +
                                     format_shape(view.shape));
    }
  }

  void expect_float(const std::string& name, const TensorView& view) const {
    if (!is_float(view.dtype)) {
      catalog_.fail_tensor(name, std::string("expected a float tensor (F32, F16 or BF16), found ") +
                                     dtype_name(view.dtype));
    }
  }

  // A float tensor of this shape, every value of it finite.
  const TensorView& float_tensor(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& view = catalog_.require(name);
    expect_float(name, view);
    expect_shape(name, view, shape);
    catalog_.check_finite_values(name, view);
    return view;
  }

  Vector vector(const std::string& name, int64_t size) {
    const TensorView& view = float_tensor(name, {size});
    return Vector{view.dtype, size, view.data};
  }

  LayerNormWeights layer_norm(const std::string& prefix, int64_t size) {
    LayerNormWeights weights;
    weights.weight = vector(prefix + ".weight", size);
    weights.bias = vector(prefix + ".bias", size);
    return weights;
  }

  WeightMatrix matrix(const std::string& prefix, int64_t rows, int64_t cols) {
    const std::string weight_name = prefix + ".weight";
    if (catalog_.find(prefix + ".scales") != nullptr) return quantized_matrix(prefix, rows, cols);
    const TensorView& view = float_tensor(weight_name, {rows, cols});
    WeightMatrix matrix;
    matrix.format = view.dtype == DType::F32   ? WeightMatrix::Format::F32
                    : view.dtype == DType::F16 ? WeightMatrix::Format::F16
                                               : WeightMatrix::Format::BF16;
    matrix.rows = rows;
    matrix.cols = cols;
    matrix.data = view.data;
    return matrix;
  }

  WeightMatrix quantized_matrix(const std::string& prefix, int64_t rows, int64_t cols) {
    const std::string scales_name = prefix + ".scales", biases_name = prefix + ".biases";
    const std::string weight_name = prefix + ".weight";
    if (!config_.quantization) {
      catalog_.fail_tensor(scales_name, "marks \"" + prefix +
                                            "\" as quantized, but config.json has no \"quantization\" block");
    }
    const int bits = config_.quantization->bits;
    const int group_size = config_.quantization->group_size;
    if (cols % group_size != 0) {
      catalog_.fail_tensor(scales_name, "a quantized layer needs its " + std::to_string(cols) +
                                            " input features to be a multiple of the group size " +
                                            std::to_string(group_size));
    }
    // group_size is a multiple of 32, so cols * bits is a whole number of 32-bit words.
    const int64_t packed_cols = cols * bits / 32;
    const std::string context = " for " + std::to_string(bits) + "-bit quantized weights of a (" +
                                std::to_string(rows) + ", " + std::to_string(cols) + ") matrix";
    const TensorView& weight = catalog_.require(weight_name);
    if (weight.dtype != DType::U32) {
      catalog_.fail_tensor(weight_name, std::string("expected U32 packed weights") + context + ", found " +
                                            dtype_name(weight.dtype));
    }
    expect_shape(weight_name, weight, {rows, packed_cols}, context);

    const std::vector<int64_t> group_shape = {rows, cols / group_size};
    const std::string group_context = " for group size " + std::to_string(group_size);
    const TensorView& scales = catalog_.require(scales_name);
    expect_float(scales_name, scales);
    expect_shape(scales_name, scales, group_shape, group_context);
    const TensorView& biases = catalog_.require(biases_name);
    expect_float(biases_name, biases);
    expect_shape(biases_name, biases, group_shape, group_context);
    if (biases.dtype != scales.dtype) {
      catalog_.fail_tensor(biases_name, std::string("expected the dtype of its scales (") +
                                            dtype_name(scales.dtype) + "), found " + dtype_name(biases.dtype));
    }
    catalog_.check_finite_values(scales_name, scales);
    catalog_.check_finite_values(biases_name, biases);

    WeightMatrix matrix;
    matrix.format = WeightMatrix::Format::Quantized;
    matrix.rows = rows;
    matrix.cols = cols;
    matrix.data = weight.data;
    matrix.bits = bits;
    matrix.group_size = group_size;
    matrix.scale_dtype = scales.dtype;
    matrix.scales = scales.data;
    matrix.biases = biases.data;
    return matrix;
  }

  Linear linear(const std::string& prefix, int64_t out, int64_t in, bool has_bias) {
    Linear layer;
    layer.weight = matrix(prefix, out, in);
    if (has_bias) layer.bias = vector(prefix + ".bias", out);
    return layer;
  }

  AttentionWeights attention(const std::string& prefix, int64_t n) {
    AttentionWeights weights;
    weights.query = linear(prefix + ".query", n, n, true);
    weights.key = linear(prefix + ".key", n, n, false);
    weights.value = linear(prefix + ".value", n, n, true);
    weights.out = linear(prefix + ".out", n, n, true);
    return weights;
  }

  ResidualBlockWeights block(const std::string& prefix, int64_t n, bool cross_attention) {
    ResidualBlockWeights weights;
    weights.attn = attention(prefix + ".attn", n);
    weights.attn_ln = layer_norm(prefix + ".attn_ln", n);
    if (cross_attention) {
      weights.cross_attn = attention(prefix + ".cross_attn", n);
      weights.cross_attn_ln = layer_norm(prefix + ".cross_attn_ln", n);
    }
    weights.mlp1 = linear(prefix + ".mlp1", 4 * n, n, true);
    weights.mlp2 = linear(prefix + ".mlp2", n, 4 * n, true);
    weights.mlp_ln = layer_norm(prefix + ".mlp_ln", n);
    return weights;
  }

  Conv1dWeights conv(const std::string& prefix, int64_t out, int64_t in) {
    constexpr int64_t kKernel = 3;
    const std::string name = prefix + ".weight";
    const TensorView& view = catalog_.require(name);
    expect_float(name, view);
    catalog_.check_finite_values(name, view);
    Conv1dWeights conv;
    conv.dtype = view.dtype;
    conv.out_channels = static_cast<int>(out);
    conv.kernel = static_cast<int>(kKernel);
    conv.in_channels = static_cast<int>(in);
    if (catalog_.hf_names()) {
      expect_shape(name, view, {out, in, kKernel}, " (PyTorch layout: out, in, kernel)");
      conv.weight = transposed_to_mlx_layout(view, out, in, kKernel);
    } else {
      const std::string hint = view.shape == std::vector<int64_t>{out, in, kKernel} && in != kKernel
                                   ? " (that is PyTorch layout: convert the model with mlx-examples convert.py)"
                                   : "";
      expect_shape(name, view, {out, kKernel, in}, " (MLX layout: out, kernel, in)" + hint);
      conv.weight = view.data;
    }
    conv.bias = vector(prefix + ".bias", out);
    return conv;
  }

  // (out, in, kernel) -> (out, kernel, in), element by element in the stored dtype.
  const void* transposed_to_mlx_layout(const TensorView& view, int64_t out, int64_t in, int64_t kernel) {
    const std::size_t element = dtype_size(view.dtype);
    std::vector<uint8_t> converted(view.nbytes);
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t i = 0; i < in; ++i) {
        for (int64_t k = 0; k < kernel; ++k) {
          const auto from = static_cast<std::size_t>((o * in + i) * kernel + k) * element;
          const auto to = static_cast<std::size_t>((o * kernel + k) * in + i) * element;
          std::memcpy(converted.data() + to, view.data + from, element);
        }
      }
    }
    weights_->converted_tensors.push_back(std::move(converted));
    return weights_->converted_tensors.back().data();
  }

  std::vector<std::pair<int, int>> alignment_heads() {
    const std::string name = "alignment_heads";
    const TensorView* view = catalog_.find(name);
    if (view == nullptr) return {};
    if (view->dtype != DType::I64 && view->dtype != DType::I32) {
      catalog_.fail_tensor(name, std::string("expected I64 or I32 [layer, head] pairs, found ") +
                                     dtype_name(view->dtype));
    }
    if (view->shape.size() != 2 || view->shape[1] != 2) {
      catalog_.fail_tensor(name, "expected shape (N, 2) of [layer, head] pairs, found " + format_shape(view->shape));
    }
    const WhisperDims& d = config_.dims;
    const std::size_t element = dtype_size(view->dtype);
    std::vector<std::pair<int, int>> heads;
    for (int64_t i = 0; i < view->shape[0]; ++i) {
      int64_t pair[2];
      for (int j = 0; j < 2; ++j) {
        const uint8_t* at = view->data + static_cast<std::size_t>(i * 2 + j) * element;
        pair[j] = element == 8 ? load_unaligned<int64_t>(at) : load_unaligned<int32_t>(at);
      }
      if (pair[0] < 0 || pair[0] >= d.n_text_layer || pair[1] < 0 || pair[1] >= d.n_text_head) {
        catalog_.fail_tensor(name, "pair " + std::to_string(i) + " is [" + std::to_string(pair[0]) + ", " +
                                       std::to_string(pair[1]) + "], outside the model's " +
                                       std::to_string(d.n_text_layer) + " decoder layers of " +
                                       std::to_string(d.n_text_head) + " heads");
      }
      heads.emplace_back(static_cast<int>(pair[0]), static_cast<int>(pair[1]));
    }
    return heads;
  }

  TensorCatalog catalog_;
  const WhisperConfig& config_;
  WhisperWeights* weights_;
};

}  // namespace

WhisperWeights load_whisper_weights(const std::string& folder) {
  WhisperWeights weights;
  const std::string config_path = join_path(folder, "config.json");
  weights.config = parse_whisper_config(read_text_file(config_path, kMaxConfigBytes), config_path);

  for (const char* candidate : kWeightFiles) {
    const std::string path = join_path(folder, candidate);
    if (file_exists(path)) {
      weights.weights_path = path;
      break;
    }
  }
  if (weights.weights_path.empty()) {
    throw FormatError(folder + ": no weights file: expected weights.safetensors, weights.npz or model.safetensors");
  }
  weights.files.push_back(TensorFile::open(weights.weights_path));
  WeightsBuilder(*weights.files.back(), weights.config, &weights).build();
  return weights;
}

}  // namespace verbatim
