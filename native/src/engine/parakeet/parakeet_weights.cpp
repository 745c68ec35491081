#include "parakeet/parakeet_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "conformer/conformer_layer_reader.h"
#include "formats/config_fields.h"
#include "formats/finite_values.h"
#include "formats/half.h"
#include "formats/json.h"
#include "formats/mapped_file.h"
#include "tensors/weights_reader.h"

namespace verbatim {
namespace {

// Bounds well above parakeet-tdt-0.6b (24 layers, d_model 1024, 8192 pieces) and 1.1b that keep a hostile config
// from sizing huge buffers.
constexpr int kMaxLayers = 256;
constexpr int kMaxWidth = 1 << 14;
constexpr int kMaxHeads = 256;
constexpr int kMaxVocabulary = 1 << 18;
constexpr int kMaxKernel = 255;
constexpr int kMaxDurations = 64;
constexpr std::size_t kMaxConfigBytes = 16u << 20;

std::vector<int> durations(const ConfigFields& f, const json::Value& list, const std::string& where) {
  if (!list.is_array() || list.items().empty() || list.items().size() > kMaxDurations) {
    f.fail("\"" + where + "\" must be a list of 1 to " + std::to_string(kMaxDurations) + " durations, found " +
           list.describe());
  }
  std::vector<int> out;
  for (const json::Value& item : list.items()) {
    const auto d = item.as_int64();
    if (!d || *d < 0 || *d > 1000) f.fail("\"" + where + "\" holds " + item.describe() + ", not a duration 0-1000");
    out.push_back(static_cast<int>(*d));
  }
  return out;
}

// NeMo's hybrid TDT-CTC "aux_ctc.decoder" (a ConvASRDecoder over the encoder output): its classes, the pieces and
// the blank. num_classes <= 0 means "the vocabulary's length", as NeMo and parakeet-mlx read it.
int aux_ctc_classes(const ConfigFields& f, const json::Value& aux, const ParakeetConfig& c) {
  if (!aux.is_object()) f.fail("\"aux_ctc\" is " + aux.describe() + ", not an object");
  const json::Value& decoder = f.object(aux, "decoder", "aux_ctc.");
  if (f.integer(decoder, "feat_in", "aux_ctc.decoder.", 1, kMaxWidth) != c.d_model) {
    f.fail("\"aux_ctc.decoder.feat_in\" differs from \"encoder.d_model\"");
  }
  int classes = f.integer(decoder, "num_classes", "aux_ctc.decoder.", -1, kMaxVocabulary);
  if (const json::Value* pieces = decoder.find("vocabulary"); pieces != nullptr) {
    if (!pieces->is_array() || pieces->items().size() != c.vocabulary.size()) {
      f.fail("\"aux_ctc.decoder.vocabulary\" must list the " + std::to_string(c.vocab_size) +
             " pieces of \"joint.vocabulary\"");
    }
    if (classes <= 0) classes = static_cast<int>(pieces->items().size());
  }
  if (classes != c.vocab_size) {
    f.fail("\"aux_ctc.decoder.num_classes\" is " + std::to_string(classes) + ", not the " +
           std::to_string(c.vocab_size) + " pieces of \"joint.vocabulary\"");
  }
  return classes + 1;
}

// MLX's "quantization" block, as mlx.nn.quantize writes it with the model.
Quantization quantization(const ConfigFields& f, const json::Value& block) {
  if (!block.is_object()) f.fail("\"quantization\" is " + block.describe() + ", not an object");
  Quantization q;
  q.bits = f.integer(block, "bits", "quantization.", 2, 8);
  if (q.bits == 7) f.fail("\"quantization.bits\" is 7; supported: 2, 3, 4, 5, 6, 8");
  q.group_size = f.integer(block, "group_size", "quantization.", 32, 128);
  if (q.group_size != 32 && q.group_size != 64 && q.group_size != 128) {
    f.fail("\"quantization.group_size\" is " + std::to_string(q.group_size) + "; supported: 32, 64, 128");
  }
  for (const auto& [key, value] : block.members()) {
    if (key == "mode") {
      if (!value.is_string() || value.as_string() != "affine") {
        f.fail("\"quantization.mode\" is " + value.describe() + "; only \"affine\" is supported");
      }
    } else if (key != "bits" && key != "group_size") {
      f.fail("\"quantization." + key + "\" is not supported (per-layer settings): only bits, group_size and mode");
    }
  }
  return q;
}


ParakeetConfig read_config(const ConfigFields& f, const json::Value& root) {
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  ParakeetConfig c;
  const json::Value& pre = f.object(root, "preprocessor", "");
  const int sample_rate = f.integer(pre, "sample_rate", "preprocessor.", 1, 1 << 20, 16000);
  if (sample_rate != 16000) f.fail("\"preprocessor.sample_rate\" is " + std::to_string(sample_rate) + "; only 16000");
  f.expect(pre, "normalize", "preprocessor.", "per_feature");
  f.expect(pre, "window", "preprocessor.", "hann");
  c.features.n_mels = f.integer(pre, "features", "preprocessor.", 1, 512);
  c.features.n_fft = f.integer(pre, "n_fft", "preprocessor.", 2, 1 << 16, 512);
  if ((c.features.n_fft & (c.features.n_fft - 1)) != 0) f.fail("\"preprocessor.n_fft\" is not a power of two");
  const double window = f.number(pre, "window_size", "preprocessor.", 0.025);
  const double stride = f.number(pre, "window_stride", "preprocessor.", 0.01);
  if (!(window > 0 && window * sample_rate <= c.features.n_fft + 0.5)) {
    f.fail("\"preprocessor.window_size\" must be positive and fit n_fft");
  }
  if (!(stride > 0 && stride * sample_rate >= 1 && stride <= 1)) f.fail("\"preprocessor.window_stride\" is out of range");
  c.features.win_length = static_cast<int>(std::lround(window * sample_rate));
  c.features.hop_length = static_cast<int>(std::lround(stride * sample_rate));
  if (c.features.win_length < 2) f.fail("\"preprocessor.window_size\" is under two samples");
  const int pad_to = f.integer(pre, "pad_to", "preprocessor.", 0, 1 << 16, 0);
  if (pad_to != 0) f.fail("\"preprocessor.pad_to\" is " + std::to_string(pad_to) + "; only 0 is supported");

  const json::Value& enc = f.object(root, "encoder", "");
  const int feat_in = f.integer(enc, "feat_in", "encoder.", 1, 512);
  if (feat_in != c.features.n_mels) f.fail("\"encoder.feat_in\" differs from \"preprocessor.features\"");
  c.n_layers = f.integer(enc, "n_layers", "encoder.", 1, kMaxLayers);
  c.d_model = f.integer(enc, "d_model", "encoder.", 2, kMaxWidth);
  c.n_heads = f.integer(enc, "n_heads", "encoder.", 1, kMaxHeads);
  if (c.d_model % c.n_heads != 0) f.fail("\"encoder.n_heads\" does not divide \"encoder.d_model\"");
  if (c.d_model % 2 != 0) f.fail("\"encoder.d_model\" must be even (sin/cos position pairs)");
  c.ff_hidden = c.d_model * f.integer(enc, "ff_expansion_factor", "encoder.", 1, 16);
  if (c.ff_hidden > kMaxWidth * 4) f.fail("\"encoder.ff_expansion_factor\" makes the feed-forward too wide");
  f.expect(enc, "subsampling", "encoder.", "dw_striding");
  const int factor = f.integer(enc, "subsampling_factor", "encoder.", 1, 64, 8);
  if (factor != 8) f.fail("\"encoder.subsampling_factor\" is " + std::to_string(factor) + "; only 8 is supported");
  c.subsampling_channels = f.integer(enc, "subsampling_conv_channels", "encoder.", 1, 4096);
  f.expect(enc, "self_attention_model", "encoder.", "rel_pos");
  if (f.boolean(enc, "causal_downsampling", "encoder.", false)) f.fail("\"encoder.causal_downsampling\" is not supported");
  f.expect(enc, "conv_norm_type", "encoder.", "batch_norm");
  c.conv_kernel = f.integer(enc, "conv_kernel_size", "encoder.", 1, kMaxKernel);
  if (c.conv_kernel % 2 == 0) f.fail("\"encoder.conv_kernel_size\" must be odd");
  c.use_bias = f.boolean(enc, "use_bias", "encoder.", true);
  c.xscaling = f.boolean(enc, "xscaling", "encoder.", true);
  if (c.subsampling_channels * static_cast<int64_t>(c.subsampled_mels()) > (1 << 20)) {
    f.fail("\"encoder.subsampling_conv_channels\" is too large");
  }

  const json::Value& dec = f.object(root, "decoder", "");
  c.vocab_size = f.integer(dec, "vocab_size", "decoder.", 1, kMaxVocabulary);
  const json::Value& prednet = f.object(dec, "prednet", "decoder.");
  c.pred_hidden = f.integer(prednet, "pred_hidden", "decoder.prednet.", 1, kMaxWidth);
  c.pred_layers = f.integer(prednet, "pred_rnn_layers", "decoder.prednet.", 1, 16);

  const json::Value& joint = f.object(root, "joint", "");
  const int classes = f.integer(joint, "num_classes", "joint.", 1, kMaxVocabulary);
  if (classes != c.vocab_size) f.fail("\"joint.num_classes\" differs from \"decoder.vocab_size\"");
  const json::Value* vocabulary = joint.find("vocabulary");
  if (vocabulary == nullptr) f.fail("\"joint.vocabulary\" is missing: the model's SentencePiece pieces are needed");
  if (!vocabulary->is_array() || vocabulary->items().size() != static_cast<std::size_t>(c.vocab_size)) {
    f.fail("\"joint.vocabulary\" must list " + std::to_string(c.vocab_size) + " pieces, found " +
           (vocabulary->is_array() ? std::to_string(vocabulary->items().size()) + " items" : vocabulary->describe()));
  }
  for (const json::Value& piece : vocabulary->items()) {
    if (!piece.is_string()) f.fail("\"joint.vocabulary\" holds " + piece.describe() + ", not a piece");
    c.vocabulary.push_back(piece.as_string());
  }
  const json::Value& jointnet = f.object(joint, "jointnet", "joint.");
  c.joint_hidden = f.integer(jointnet, "joint_hidden", "joint.jointnet.", 1, kMaxWidth);
  if (f.integer(jointnet, "encoder_hidden", "joint.jointnet.", 1, kMaxWidth, c.d_model) != c.d_model) {
    f.fail("\"joint.jointnet.encoder_hidden\" differs from \"encoder.d_model\"");
  }
  if (f.integer(jointnet, "pred_hidden", "joint.jointnet.", 1, kMaxWidth, c.pred_hidden) != c.pred_hidden) {
    f.fail("\"joint.jointnet.pred_hidden\" differs from \"decoder.prednet.pred_hidden\"");
  }
  const std::string activation = f.text(jointnet, "activation", "joint.jointnet.", "relu");
  if (activation == "relu") c.joint_activation = ParakeetConfig::Activation::Relu;
  else if (activation == "sigmoid") c.joint_activation = ParakeetConfig::Activation::Sigmoid;
  else if (activation == "tanh") c.joint_activation = ParakeetConfig::Activation::Tanh;
  else f.fail("\"joint.jointnet.activation\" is \"" + activation + "\"; supported: relu, sigmoid, tanh");

  const json::Value* defaults = root.find("model_defaults");
  const json::Value* listed = defaults != nullptr && defaults->is_object() ? defaults->find("tdt_durations") : nullptr;
  const json::Value* decoding = root.find("decoding");
  if (listed != nullptr) {
    c.durations = durations(f, *listed, "model_defaults.tdt_durations");
  } else if (decoding != nullptr && decoding->is_object() && decoding->find("durations") != nullptr) {
    c.durations = durations(f, *decoding->find("durations"), "decoding.durations");
  } else {
    f.fail("\"model_defaults.tdt_durations\" is missing: only TDT models (with durations) are supported");
  }
  const int extra = f.integer(joint, "num_extra_outputs", "joint.", 0, kMaxDurations,
                              static_cast<int>(c.durations.size()));
  if (extra != static_cast<int>(c.durations.size())) {
    f.fail("\"joint.num_extra_outputs\" (" + std::to_string(extra) + ") differs from the " +
           std::to_string(c.durations.size()) + " TDT durations");
  }
  if (decoding != nullptr && decoding->is_object()) {
    if (const json::Value* greedy = decoding->find("greedy"); greedy != nullptr && greedy->is_object()) {
      c.max_symbols = f.integer(*greedy, "max_symbols", "decoding.greedy.", 1, 1000, 10);
    }
  }
  if (const json::Value* aux = root.find("aux_ctc"); aux != nullptr && !aux->is_null()) {
    c.aux_ctc_classes = aux_ctc_classes(f, *aux, c);
  }
  c.quantize = f.packing(root);
  if (const json::Value* stored = root.find("quantization"); stored != nullptr && !stored->is_null()) {
    c.stored_quantization = quantization(f, *stored);
    if (c.quantize) {
      f.fail("\"quantize\" asks to pack float weights at load, but \"quantization\" says the weights are packed "
             "already: remove \"quantize\"");
    }
  }
  return c;
}

}  // namespace

bool is_parakeet_config(const json::Value& config) {
  return config.find("encoder") != nullptr && config.find("decoder") != nullptr && config.find("joint") != nullptr;
}

ParakeetConfig parse_parakeet_config(const std::string& json_text, const std::string& path) {
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  limits.max_values = 1u << 20;
  return read_config(ConfigFields(path), json::parse(json_text, path, limits));
}

ParakeetWeights load_parakeet_weights(const std::string& folder, std::optional<Quantization> quantize) {
  const std::string base = !folder.empty() && folder.back() == '/' ? folder : folder + "/";
  ParakeetWeights w;
  w.config = parse_parakeet_config(read_text_file(base + "config.json", kMaxConfigBytes), base + "config.json");
  if (quantize && w.config.stored_quantization) {
    throw std::invalid_argument("option quantize asks to pack float weights at load, but " + base +
                                "config.json's \"quantization\" says the weights are packed already (" +
                                std::to_string(w.config.stored_quantization->bits) +
                                " bits): load this folder without quantize");
  }
  if (quantize) w.config.quantize = quantize;
  const ParakeetConfig& c = w.config;
  w.weights_path = base + "model.safetensors";
  w.files.push_back(TensorFile::open(w.weights_path));
  WeightsReader r(*w.files.back(), w, WeightPolicy{c.quantize, c.stored_quantization, true, nullptr});
  const int C = c.subsampling_channels, d = c.d_model, H = c.pred_hidden, V = c.vocab_size;
  w.conv0 = r.conv2d("encoder.pre_encode.conv.0", C, 3, 1);
  w.depthwise1 = r.conv2d("encoder.pre_encode.conv.2", C, 3, 1);
  w.pointwise1 = r.conv2d("encoder.pre_encode.conv.3", C, 1, C);
  w.depthwise2 = r.conv2d("encoder.pre_encode.conv.5", C, 3, 1);
  w.pointwise2 = r.conv2d("encoder.pre_encode.conv.6", C, 1, C);
  w.subsampling_out = r.linear("encoder.pre_encode.out", d, static_cast<int64_t>(C) * c.subsampled_mels(), true);
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    ConformerLayerWeights l = read_conformer_layer(r, p, c, kNemoAttentionNames);
    l.pointwise1 = r.linear(p + "conv.pointwise_conv1", 2 * d, d, c.use_bias, {2 * d, 1, d});
    l.pointwise2 = r.linear(p + "conv.pointwise_conv2", d, d, c.use_bias, {d, 1, d});
    // Depthwise (d, kernel, 1) then batch norm in eval mode, folded: w' = w * s, b' = (b - mean) * s + beta,
    // s = gamma / sqrt(var + 1e-5).
    l.depthwise_weight = r.floats(p + "conv.depthwise_conv.weight", {d, c.conv_kernel, 1});
    std::vector<float> bias(static_cast<std::size_t>(d), 0.0f);
    if (c.use_bias) bias = r.floats(p + "conv.depthwise_conv.bias", {d});
    const std::vector<float> gamma = r.floats(p + "conv.batch_norm.weight", {d});
    const std::vector<float> beta = r.floats(p + "conv.batch_norm.bias", {d});
    const std::vector<float> mean = r.floats(p + "conv.batch_norm.running_mean", {d});
    const std::vector<float> var = r.floats(p + "conv.batch_norm.running_var", {d});
    l.depthwise_bias.resize(static_cast<std::size_t>(d));
    for (int ch = 0; ch < d; ++ch) {
      const auto k = static_cast<std::size_t>(ch);
      if (!(var[k] >= 0.0f) || !std::isfinite(var[k])) {
        throw FormatError(w.weights_path + ": tensor \"" + p + "conv.batch_norm.running_var\" holds " +
                          std::to_string(var[k]) + ", not a variance");
      }
      const double s = gamma[k] / std::sqrt(static_cast<double>(var[k]) + 1e-5);
      for (int t = 0; t < c.conv_kernel; ++t) {
        float& x = l.depthwise_weight[k * static_cast<std::size_t>(c.conv_kernel) + static_cast<std::size_t>(t)];
        x = static_cast<float>(x * s);
      }
      l.depthwise_bias[k] = static_cast<float>((bias[k] - static_cast<double>(mean[k])) * s + beta[k]);
    }
    w.layers.push_back(std::move(l));
  }
  w.embedding = r.matrix("decoder.prediction.embed.weight", {V + 1, H}, V + 1, H);
  for (int l = 0; l < c.pred_layers; ++l) {
    const std::string p = "decoder.prediction.dec_rnn.lstm." + std::to_string(l) + ".";
    LstmLayerWeights lstm;
    lstm.wx = r.matrix(p + "Wx", {4 * H, H}, 4 * H, H);
    lstm.wh = r.matrix(p + "Wh", {4 * H, H}, 4 * H, H);
    lstm.bias = r.floats(p + "bias", {4 * H});
    w.lstm.push_back(std::move(lstm));
  }
  w.joint_pred = r.linear("joint.pred", c.joint_hidden, H, true);
  w.joint_enc = r.linear("joint.enc", c.joint_hidden, d, true);
  w.joint_out =
      r.linear("joint.joint_net.2", V + 1 + static_cast<int64_t>(c.durations.size()), c.joint_hidden, true);
  if (c.aux_ctc_classes > 0) {
    r.view("ctc_decoder.decoder_layers.0.weight", {c.aux_ctc_classes, 1, d});
    r.view("ctc_decoder.decoder_layers.0.bias", {c.aux_ctc_classes});
  }
  r.check_all_used();
  return w;
}

}  // namespace verbatim
