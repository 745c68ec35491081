#include "nemotron/nemotron_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "conformer/conformer_layer_reader.h"
#include "formats/affine_quantize.h"
#include "formats/config_fields.h"
#include "formats/half.h"
#include "formats/mapped_file.h"

namespace verbatim {
namespace {

// Bounds well above nemotron-speech-streaming-en-0.6b (24 layers, 1024 wide, 1024 pieces) and Nemotron 3.5 (13,088
// pieces) that keep a hostile config from sizing huge buffers.
constexpr int kMaxLayers = 256;
constexpr int kMaxWidth = 1 << 14;
constexpr int kMaxHeads = 256;
constexpr int kMaxVocabulary = 1 << 18;
constexpr int kMaxKernel = 255;
constexpr int kMaxContext = 1 << 12;
constexpr std::size_t kMaxConfigBytes = 16u << 20;
constexpr std::size_t kMaxTokenizerBytes = 64u << 20;

NemotronConfig read_config(const json::Value& root, const std::string& path) {
  const ConfigFields f(path);
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  NemotronConfig c;
  const json::Value* type = root.find("model_type");
  const bool prompted = type != nullptr && type->is_string() && type->as_string() == "nemotron3_5_asr";
  if (!prompted) f.expect(root, "model_type", "", "nemotron_asr_streaming");
  const json::Value& enc = f.object(root, "encoder_config", "");
  const std::string e = "encoder_config.";
  c.n_layers = f.integer(enc, "num_hidden_layers", e, 1, kMaxLayers);
  c.d_model = f.integer(enc, "hidden_size", e, 2, kMaxWidth);
  c.n_heads = f.integer(enc, "num_attention_heads", e, 1, kMaxHeads);
  if (c.d_model % c.n_heads != 0) f.fail("\"encoder_config.num_attention_heads\" does not divide \"hidden_size\"");
  if (c.d_model % 2 != 0) f.fail("\"encoder_config.hidden_size\" must be even (sin/cos position pairs)");
  c.ff_hidden = f.integer(enc, "intermediate_size", e, 1, 4 * kMaxWidth);
  f.expect(enc, "hidden_act", e, "silu");
  c.use_bias = f.boolean(enc, "attention_bias", e, true);
  if (f.boolean(enc, "convolution_bias", e, true) != c.use_bias) {
    f.fail("\"encoder_config.convolution_bias\" differs from \"attention_bias\"; only both or neither is supported");
  }
  c.conv_kernel = f.integer(enc, "conv_kernel_size", e, 1, kMaxKernel);
  if (c.conv_kernel % 2 == 0) f.fail("\"encoder_config.conv_kernel_size\" must be odd");
  if (f.integer(enc, "subsampling_factor", e, 1, 64, 8) != 8) f.fail("\"encoder_config.subsampling_factor\": only 8");
  if (f.integer(enc, "subsampling_conv_kernel_size", e, 1, 15, 3) != 3) {
    f.fail("\"encoder_config.subsampling_conv_kernel_size\": only 3 is supported");
  }
  if (f.integer(enc, "subsampling_conv_stride", e, 1, 8, 2) != 2) {
    f.fail("\"encoder_config.subsampling_conv_stride\": only 2 is supported");
  }
  c.subsampling_channels = f.integer(enc, "subsampling_conv_channels", e, 1, 4096);
  c.features.n_mels = f.integer(enc, "num_mel_bins", e, 1, 512, 80);
  c.features.normalize = false;
  c.causal_subsampling = true;
  c.xscaling = f.boolean(enc, "scale_input", e, true);
  c.left_context = f.integer(enc, "sliding_window", e, 1, kMaxContext + 1, 71) - 1;
  c.default_lookahead = f.integer(enc, "default_num_lookahead_tokens", e, 0, kMaxContext, 13);
  if (c.subsampling_channels * static_cast<int64_t>(c.subsampled_mels()) > (1 << 20)) {
    f.fail("\"encoder_config.subsampling_conv_channels\" is too large");
  }

  const int classes = f.integer(root, "vocab_size", "", 2, kMaxVocabulary + 1);
  c.vocab_size = classes - 1;
  const int blank = f.integer(root, "blank_token_id", "", 0, kMaxVocabulary, c.vocab_size);
  if (blank != c.vocab_size) {
    f.fail("\"blank_token_id\" is " + std::to_string(blank) + "; the engine needs the blank last (" +
           std::to_string(c.vocab_size) + " of vocab_size " + std::to_string(classes) + ")");
  }
  c.pred_hidden = c.joint_hidden = f.integer(root, "decoder_hidden_size", "", 1, kMaxWidth);
  c.pred_layers = f.integer(root, "num_decoder_layers", "", 1, 16);
  f.expect(root, "hidden_act", "", "relu");
  c.joint_activation = TransducerConfig::Activation::Relu;
  c.max_symbols = f.integer(root, "max_symbols_per_step", "", 1, 1000, 10);
  c.start_from_blank_embedding = true;
  if (prompted) {
    c.num_prompts = f.integer(root, "num_prompts", "", 1, 4096, 128);
    c.prompt_hidden = f.integer(root, "prompt_intermediate_size", "", 1, 4 * kMaxWidth, 2048);
    c.default_prompt = f.integer(root, "default_prompt_id", "", 0, c.num_prompts - 1, 101 % c.num_prompts);
  }
  c.quantize = f.packing(root);
  return c;
}

// processor_config.json: the supported right contexts and the features (absent: transformers' defaults).
void read_processor(const json::Value& root, const std::string& path, NemotronConfig& c) {
  const ConfigFields f(path);
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  if (const json::Value* list = root.find("supported_num_lookahead_tokens"); list != nullptr && !list->is_null()) {
    if (!list->is_array() || list->items().empty() || list->items().size() > 64) {
      f.fail("\"supported_num_lookahead_tokens\" must be a list of 1 to 64 right contexts");
    }
    c.lookaheads.clear();
    for (const json::Value& item : list->items()) {
      const auto r = item.as_int64();
      if (!r || *r < 0 || *r > kMaxContext) f.fail("\"supported_num_lookahead_tokens\" holds " + item.describe());
      c.lookaheads.push_back(static_cast<int>(*r));
    }
  }
  c.default_lookahead = f.integer(root, "default_num_lookahead_tokens", "", 0, kMaxContext, c.lookaheads.front());
  if (std::find(c.lookaheads.begin(), c.lookaheads.end(), c.default_lookahead) == c.lookaheads.end()) {
    f.fail("\"default_num_lookahead_tokens\" (" + std::to_string(c.default_lookahead) +
           ") is not one of \"supported_num_lookahead_tokens\"");
  }
  if (const json::Value* prompts = root.find("prompt_dictionary"); prompts != nullptr && c.num_prompts > 0) {
    if (!prompts->is_object()) f.fail("\"prompt_dictionary\" is " + prompts->describe() + ", not an object");
    for (const auto& [language, slot] : prompts->members()) {
      const auto id = slot.as_int64();
      if (!id || *id < 0 || *id >= c.num_prompts) {
        f.fail("\"prompt_dictionary." + language + "\" is " + slot.describe() + ", not a slot below num_prompts " +
               std::to_string(c.num_prompts));
      }
      c.prompts.emplace_back(language, static_cast<int>(*id));
    }
  }
  if (const json::Value* fe = root.find("feature_extractor"); fe != nullptr && fe->is_object()) {
    const std::string w = "feature_extractor.";
    if (f.integer(*fe, "sampling_rate", w, 1, 1 << 20, 16000) != 16000) f.fail("\"feature_extractor.sampling_rate\": only 16000");
    if (f.integer(*fe, "feature_size", w, 1, 512, c.features.n_mels) != c.features.n_mels) {
      f.fail("\"feature_extractor.feature_size\" differs from the encoder's num_mel_bins");
    }
    c.features.n_fft = f.integer(*fe, "n_fft", w, 2, 1 << 16, 512);
    if ((c.features.n_fft & (c.features.n_fft - 1)) != 0) f.fail("\"feature_extractor.n_fft\" is not a power of two");
    c.features.win_length = f.integer(*fe, "win_length", w, 2, c.features.n_fft, 400);
    c.features.hop_length = f.integer(*fe, "hop_length", w, 1, 1 << 16, 160);
    c.features.preemphasis = f.number(*fe, "preemphasis", w, 0.97);
  }
}

// tokenizer.json's Unigram vocabulary: the V pieces, then "<blank>" (an added token) at V.
std::vector<std::string> read_vocabulary(const json::Value& root, const std::string& path, int V) {
  const ConfigFields f(path);
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  const json::Value& model = f.object(root, "model", "");
  const json::Value* vocab = model.find("vocab");
  if (vocab == nullptr || !vocab->is_array()) f.fail("\"model.vocab\" must be the Unigram model's list of pieces");
  std::vector<std::string> pieces;
  for (const json::Value& item : vocab->items()) {
    if (!item.is_array() || item.items().empty() || !item.items()[0].is_string()) {
      f.fail("\"model.vocab\" holds " + item.describe() + ", not a [piece, score] pair");
    }
    pieces.push_back(item.items()[0].as_string());
  }
  if (pieces.size() == static_cast<std::size_t>(V) + 1 && pieces.back() == "<blank>") pieces.pop_back();
  if (pieces.size() != static_cast<std::size_t>(V)) {
    f.fail("\"model.vocab\" lists " + std::to_string(pieces.size()) + " pieces; the model's vocab_size needs " +
           std::to_string(V) + " and the blank");
  }
  return pieces;
}

// A PyTorch Conv2d weight (out, in / groups, kh, kw) as the backends take it (MLX's (out, kh, kw, in / groups)).
Conv2dWeights conv2d(WeightsReader& r, const std::string& name, int out, int kernel, int in_per_group) {
  const std::vector<float> torch = r.floats(name + ".weight", {out, in_per_group, kernel, kernel});
  Conv2dWeights c;
  c.out_channels = out;
  c.kernel_h = c.kernel_w = kernel;
  c.in_per_group = in_per_group;
  c.weight.resize(torch.size());
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in_per_group; ++i) {
      for (int a = 0; a < kernel; ++a) {
        for (int b = 0; b < kernel; ++b) {
          c.weight[static_cast<std::size_t>(((o * kernel + a) * kernel + b) * in_per_group + i)] =
              torch[static_cast<std::size_t>(((o * in_per_group + i) * kernel + a) * kernel + b)];
        }
      }
    }
  }
  c.bias = r.floats(name + ".bias", {out});
  return c;
}

}  // namespace

bool is_nemotron_config(const json::Value& config) {
  const json::Value* type = config.find("model_type");
  return type != nullptr && type->is_string() &&
         (type->as_string() == "nemotron_asr_streaming" || type->as_string() == "nemotron3_5_asr");
}

NemotronWeights load_nemotron_weights(const std::string& folder, std::optional<Quantization> quantize,
                                      std::function<KernelWeights(const WeightMatrix&)> kernel_layout) {
  const std::string base = !folder.empty() && folder.back() == '/' ? folder : folder + "/";
  NemotronWeights w;
  w.config = read_config(parse_json_file(base + "config.json", kMaxConfigBytes), base + "config.json");
  NemotronConfig& c = w.config;
  c.lookaheads = {13, 6, 1, 0};
  if (std::ifstream(base + "processor_config.json").good()) {
    read_processor(parse_json_file(base + "processor_config.json", kMaxConfigBytes), base + "processor_config.json", c);
  } else if (std::find(c.lookaheads.begin(), c.lookaheads.end(), c.default_lookahead) == c.lookaheads.end()) {
    c.lookaheads.insert(c.lookaheads.begin(), c.default_lookahead);
  }
  c.vocabulary = read_vocabulary(parse_json_file(base + "tokenizer.json", kMaxTokenizerBytes), base + "tokenizer.json",
                                 c.vocab_size);
  w.weights_path = base + "model.safetensors";
  w.files.push_back(TensorFile::open(w.weights_path));
  if (quantize) c.quantize = quantize;
  // Packing reads 16-bit matrices: a packed model's fp32 ones are rounded to bf16 first (far finer than the packing).
  WeightsReader r(*w.files.back(), w,
                  WeightPolicy{c.quantize, std::nullopt, c.quantize.has_value(), std::move(kernel_layout)});
  const int C = c.subsampling_channels, d = c.d_model, H = c.pred_hidden, V = c.vocab_size, K = c.conv_kernel;
  w.conv0 = conv2d(r, "encoder.subsampling.conv_in", C, 3, 1);
  w.depthwise1 = conv2d(r, "encoder.subsampling.layers.0.depthwise_conv", C, 3, 1);
  w.pointwise1 = conv2d(r, "encoder.subsampling.layers.0.pointwise_conv", C, 1, C);
  w.depthwise2 = conv2d(r, "encoder.subsampling.layers.1.depthwise_conv", C, 3, 1);
  w.pointwise2 = conv2d(r, "encoder.subsampling.layers.1.pointwise_conv", C, 1, C);
  w.subsampling_out = r.linear("encoder.subsampling.linear", d, static_cast<int64_t>(C) * c.subsampled_mels(), true);
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    ConformerLayerWeights l = read_conformer_layer(r, p, c, kTransformersAttentionNames);
    l.pointwise1 = r.linear(p + "conv.pointwise_conv1", 2 * d, d, c.use_bias, {2 * d, d, 1});
    l.pointwise2 = r.linear(p + "conv.pointwise_conv2", d, d, c.use_bias, {d, d, 1});
    l.depthwise_weight = r.floats(p + "conv.depthwise_conv.weight", {d, 1, K});
    l.depthwise_bias = c.use_bias ? r.floats(p + "conv.depthwise_conv.bias", {d}) : std::vector<float>(d, 0.0f);
    l.depthwise_norm = r.norm(p + "conv.norm", d);
    w.layers.push_back(std::move(l));
  }
  w.embedding = r.matrix("decoder.embedding.weight", {V + 1, H}, V + 1, H);
  for (int l = 0; l < c.pred_layers; ++l) {
    const std::string s = std::to_string(l);
    LstmLayerWeights lstm;
    lstm.wx = r.matrix("decoder.lstm.weight_ih_l" + s, {4 * H, H}, 4 * H, H);
    lstm.wh = r.matrix("decoder.lstm.weight_hh_l" + s, {4 * H, H}, 4 * H, H);
    lstm.bias = r.floats("decoder.lstm.bias_ih_l" + s, {4 * H});
    const std::vector<float> hidden_bias = r.floats("decoder.lstm.bias_hh_l" + s, {4 * H});
    for (std::size_t k = 0; k < lstm.bias.size(); ++k) lstm.bias[k] += hidden_bias[k];
    w.lstm.push_back(std::move(lstm));
  }
  w.joint_pred = r.linear("decoder.decoder_projector", H, H, true);
  w.joint_enc = r.linear("encoder_projector", H, d, true);
  w.joint_out = r.linear("joint.head", V + 1, H, true);
  if (c.num_prompts > 0) {
    // linear_1 over [encoded; one_hot]: its first d columns multiply the encoder's output, column d + p is prompt p's.
    const int I = c.prompt_hidden, P = c.num_prompts;
    const std::vector<float> in = r.floats("prompt_projector.linear_1.weight", {I, d + P});
    PromptFusion fusion;
    std::vector<uint8_t> hidden(static_cast<std::size_t>(I) * d * sizeof(float));
    fusion.prompt_columns.resize(static_cast<std::size_t>(P) * I);
    for (int row = 0; row < I; ++row) {
      std::memcpy(hidden.data() + static_cast<std::size_t>(row) * d * sizeof(float),
                  in.data() + static_cast<std::size_t>(row) * (d + P), static_cast<std::size_t>(d) * sizeof(float));
      for (int p = 0; p < P; ++p) {
        fusion.prompt_columns[static_cast<std::size_t>(p) * I + row] = in[static_cast<std::size_t>(row) * (d + P) + d + p];
      }
    }
    fusion.hidden.weight.format = WeightMatrix::Format::F32;
    fusion.hidden.weight.rows = I;
    fusion.hidden.weight.cols = d;
    if (c.quantize && d % c.quantize->group_size == 0) {  // packed as the reader packs the rest: bf16, then the bits
      const auto* floats = reinterpret_cast<const float*>(hidden.data());
      std::vector<uint16_t> rounded(static_cast<std::size_t>(I) * d);
      for (std::size_t i = 0; i < rounded.size(); ++i) rounded[i] = float_to_bf16(floats[i]);
      fusion.hidden.weight.format = WeightMatrix::Format::BF16;
      fusion.hidden.weight.data = rounded.data();
      w.packed_tensors.push_back(affine_quantize(fusion.hidden.weight, c.quantize->bits, c.quantize->group_size));
      fusion.hidden.weight = packed_matrix(w.packed_tensors.back(), I, d, c.quantize->bits, c.quantize->group_size,
                                           DType::BF16);
    } else {
      w.converted_tensors.push_back(std::move(hidden));
      fusion.hidden.weight.data = w.converted_tensors.back().data();
    }
    fusion.bias = r.floats("prompt_projector.linear_1.bias", {I});
    fusion.out = r.linear("prompt_projector.linear_2", d, I, true);
    w.prompt = std::move(fusion);
  }
  r.check_all_used();
  return w;
}

}  // namespace verbatim
