#include "speakers/speaker_weights.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "formats/config_fields.h"
#include "formats/mapped_file.h"

namespace verbatim {
namespace {

// Bounds well above nvidia/Nemotron-3-Diarization (31 layers, 512 wide, 8 speakers) that keep a hostile config from
// sizing huge buffers.
constexpr int kMaxLayers = 256;
constexpr int kMaxWidth = 1 << 14;
constexpr int kMaxHeads = 256;
constexpr int kMaxSpeakers = 64;
constexpr int kMaxFrames = 1 << 14;
constexpr std::size_t kMaxConfigBytes = 16u << 20;

void read_config(const json::Value& root, const std::string& path, SpeakerConfig& c) {
  const ConfigFields f(path);
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  // mlx-audio's conversions (mlx-community/Nemotron-3-Diarization and -8bit) carry this type and a layout of their own
  if (const json::Value* type = root.find("model_type");
      type != nullptr && type->is_string() && type->as_string() == "nemotron_diarization") {
    f.fail("this is an mlx-audio conversion (model_type \"nemotron_diarization\"), whose layout Verbatim does not read: "
           "use NVIDIA's own repository, nemotron-diarization (nvidia/Nemotron-3-Diarization), or "
           "nemotron-diarization-8bit for the same weights packed to 8 bits at load");
  }
  f.expect(root, "model_type", "", "nemotron3_diarization");
  const json::Value& audio = f.object(root, "audio_config", "");
  const std::string a = "audio_config.";
  c.hidden = f.integer(audio, "hidden_size", a, 2, kMaxWidth, 512);
  c.intermediate = f.integer(audio, "intermediate_size", a, 1, 4 * kMaxWidth, 2048);
  c.layers = f.integer(audio, "num_hidden_layers", a, 1, kMaxLayers, 31);
  c.heads = f.integer(audio, "num_attention_heads", a, 1, kMaxHeads, 8);
  if (c.hidden % c.heads != 0 || (c.hidden / c.heads) % 2 != 0) {
    f.fail("\"audio_config.num_attention_heads\" must divide \"hidden_size\" into heads of an even width");
  }
  // transformers reads num_key_value_heads None as num_attention_heads.
  const json::Value* kv_heads = audio.find("num_key_value_heads");
  if (kv_heads != nullptr && !kv_heads->is_null() &&
      f.integer(audio, "num_key_value_heads", a, 1, kMaxHeads) != c.heads) {
    f.fail("\"audio_config.num_key_value_heads\" differs from \"num_attention_heads\"; only plain multi-head attention is supported");
  }
  if (audio.find("head_dim") != nullptr && !audio.find("head_dim")->is_null() &&
      f.integer(audio, "head_dim", a, 1, kMaxWidth) != c.hidden / c.heads) {
    f.fail("\"audio_config.head_dim\" must be hidden_size / num_attention_heads");
  }
  f.expect(audio, "hidden_act", a, "gelu");
  c.mels = f.integer(audio, "num_mel_bins", a, 1, 512, 128);
  c.subsampling = f.integer(audio, "subsampling_factor", a, 1, 64, 8);
  if (const json::Value* rope = audio.find("rope_parameters"); rope != nullptr && !rope->is_null()) {
    if (!rope->is_object()) f.fail("\"audio_config.rope_parameters\" is " + rope->describe() + ", not an object");
    const std::string r = a + "rope_parameters.";
    f.expect(*rope, "rope_type", r, "default");
    c.rope_theta = f.number(*rope, "rope_theta", r, 10000.0);
    if (!(c.rope_theta > 1.0)) f.fail("\"" + r + "rope_theta\" must be above 1");
    if (f.number(*rope, "partial_rotary_factor", r, 1.0) != 1.0) {
      f.fail("\"" + r + "partial_rotary_factor\": only 1.0 (rotary over the whole head) is supported");
    }
  }

  const json::Value& head = f.object(root, "head_config", "");
  const std::string h = "head_config.";
  c.head_hidden = f.integer(head, "hidden_size", h, 1, kMaxWidth, 192);
  c.cache.speakers = f.integer(head, "num_speakers", h, 1, kMaxSpeakers, 8);
  if (f.integer(head, "audio_hidden_size", h, 1, kMaxWidth, c.hidden) != c.hidden) {
    f.fail("\"head_config.audio_hidden_size\" differs from \"audio_config.hidden_size\"");
  }
  if (f.integer(head, "subsampling_factor", h, 1, 64, c.subsampling) != c.subsampling) {
    f.fail("\"head_config.subsampling_factor\" differs from \"audio_config.subsampling_factor\"");
  }
  c.cache.subsampling = c.subsampling;

  const json::Value& s = f.object(root, "streaming_config", "");
  const std::string st = "streaming_config.";
  c.streaming_fifo_length = f.integer(s, "fifo_length", st, 1, kMaxFrames, 264);
  c.streaming_update_period = f.integer(s, "speaker_cache_update_period", st, 1, kMaxFrames, 222);
  c.cache.cache_length = f.integer(s, "speaker_cache_length", st, 1, kMaxFrames, 264);
  c.cache.silence_frames = f.integer(s, "speaker_cache_silence_frames_per_speaker", st, 0, kMaxFrames, 1);
  c.cache.score_threshold = static_cast<float>(f.number(s, "prediction_score_threshold", st, 0.25));
  c.cache.latest_frames_boost = static_cast<float>(f.number(s, "latest_frames_score_boost", st, 0.05));
  c.cache.strong_boost_rate = f.number(s, "strong_boost_rate", st, 0.75);
  c.cache.weak_boost_rate = f.number(s, "weak_boost_rate", st, 1.5);
  c.cache.min_positive_scores_rate = f.number(s, "min_positive_scores_rate", st, 0.5);
  if (!(c.cache.score_threshold > 0 && c.cache.score_threshold < 1)) {
    f.fail("\"streaming_config.prediction_score_threshold\" must be between 0 and 1");
  }
  for (double rate : {c.cache.strong_boost_rate, c.cache.weak_boost_rate, c.cache.min_positive_scores_rate}) {
    if (!(rate >= 0 && rate <= 64)) f.fail("\"streaming_config\": a boost or score rate is not between 0 and 64");
  }
  if (f.integer(s, "num_speakers", st, 1, kMaxSpeakers, c.cache.speakers) != c.cache.speakers) {
    f.fail("\"streaming_config.num_speakers\" differs from \"head_config.num_speakers\"");
  }
  if (f.integer(s, "subsampling_factor", st, 1, 64, c.subsampling) != c.subsampling) {
    f.fail("\"streaming_config.subsampling_factor\" differs from \"audio_config.subsampling_factor\"");
  }
  if (c.cache.cache_length < (1 + c.cache.silence_frames) * c.cache.speakers) {
    f.fail("\"streaming_config.speaker_cache_length\" must be at least (1 + silence frames per speaker) * speakers");
  }

  c.quantize = f.packing(root);
  c.offline.chunk_length = f.integer(root, "chunk_length", "", 1, kMaxFrames, 340);
  c.offline.right_context = f.integer(root, "chunk_right_context", "", 0, kMaxFrames, 40);
  if (c.offline.right_context >= c.offline.chunk_length) f.fail("\"chunk_right_context\" must be below \"chunk_length\"");
  c.offline.fifo_length = f.integer(root, "fifo_length", "", 1, kMaxFrames, 40);
  c.offline.update_period = f.integer(root, "speaker_cache_update_period", "", 1, kMaxFrames, 300);
}

// processor_config.json: the streaming modes and the features (absent: transformers' defaults).
void read_processor(const json::Value& root, const std::string& path, SpeakerConfig& c) {
  const ConfigFields f(path);
  if (!root.is_object()) f.fail("the file holds " + root.describe() + ", not a JSON object");
  if (f.integer(root, "subsampling_factor", "", 1, 64, c.subsampling) != c.subsampling) {
    f.fail("\"subsampling_factor\" differs from config.json's");
  }
  if (const json::Value* modes = root.find("streaming_modes"); modes != nullptr && !modes->is_null()) {
    if (!modes->is_object() || modes->members().empty()) f.fail("\"streaming_modes\" must be an object of modes");
    c.streaming_modes.clear();
    for (const auto& [name, sizes] : modes->members()) {
      const std::string where = "\"streaming_modes." + name + "\"";
      if (!sizes.is_array() || sizes.items().size() != 2) f.fail(where + " must be [chunk_length, chunk_right_context]");
      const auto chunk = sizes.items()[0].as_int64(), right = sizes.items()[1].as_int64();
      if (!chunk || !right || *chunk < 1 || *chunk > kMaxFrames || *right < 0 || *right > kMaxFrames) {
        f.fail(where + " holds sizes out of range");
      }
      c.streaming_modes.push_back({name, {static_cast<int>(*chunk), static_cast<int>(*right)}});
    }
  }
  if (const json::Value* mode = root.find("streaming_mode"); mode != nullptr && !mode->is_null()) {
    if (!mode->is_string()) f.fail("\"streaming_mode\" is " + mode->describe() + ", not a name");
    c.default_streaming_mode = mode->as_string();
  }
  bool known = false;
  for (const auto& m : c.streaming_modes) known = known || m.first == c.default_streaming_mode;
  if (!known) f.fail("\"streaming_mode\" \"" + c.default_streaming_mode + "\" is not one of \"streaming_modes\"");
  if (const json::Value* fe = root.find("feature_extractor"); fe != nullptr && fe->is_object()) {
    const std::string w = "feature_extractor.";
    if (f.integer(*fe, "sampling_rate", w, 1, 1 << 20, 16000) != 16000) f.fail("\"feature_extractor.sampling_rate\": only 16000");
    if (f.integer(*fe, "feature_size", w, 1, 512, c.mels) != c.mels) {
      f.fail("\"feature_extractor.feature_size\" differs from audio_config.num_mel_bins");
    }
    c.features.n_fft = f.integer(*fe, "n_fft", w, 2, 1 << 16, 512);
    if ((c.features.n_fft & (c.features.n_fft - 1)) != 0) f.fail("\"feature_extractor.n_fft\" is not a power of two");
    c.features.win_length = f.integer(*fe, "win_length", w, 2, c.features.n_fft, 400);
    c.features.hop_length = f.integer(*fe, "hop_length", w, 1, 1 << 16, 160);
    c.features.preemphasis = f.number(*fe, "preemphasis", w, 0.97);
  }
}

}  // namespace

SpeakerChunking SpeakerConfig::streaming(const std::string& mode) const {
  for (const auto& [name, sizes] : streaming_modes) {
    if (name == mode) return {sizes.first, sizes.second, streaming_fifo_length, streaming_update_period};
  }
  std::string known;
  for (const auto& m : streaming_modes) known += (known.empty() ? "" : ", ") + m.first;
  throw std::invalid_argument("unknown streaming mode \"" + mode + "\": this model has " + known);
}

bool is_speaker_config(const json::Value& config) {
  const json::Value* type = config.find("model_type");
  return type != nullptr && type->is_string() && type->as_string() == "nemotron3_diarization";
}

SpeakerWeights load_speaker_weights(const std::string& folder, std::optional<Quantization> quantize) {
  const std::string base = folder + (folder.empty() || folder.back() == '/' ? "" : "/");
  SpeakerWeights w;
  SpeakerConfig& c = w.config;
  c.streaming_modes = {{"low_latency", {9, 4}}, {"very_low_latency", {6, 2}}, {"ultra_low_latency", {3, 1}}};
  read_config(parse_json_file(base + "config.json", kMaxConfigBytes), base + "config.json", c);
  c.features.n_mels = c.mels;
  c.features.normalize = false;  // NemotronAsrStreamingFeatureExtractor: log-mel, no per-feature normalisation
  if (std::ifstream(base + "processor_config.json").good()) {
    read_processor(parse_json_file(base + "processor_config.json", kMaxConfigBytes), base + "processor_config.json", c);
  }

  if (quantize) c.quantize = quantize;

  w.files.push_back(TensorFile::open(base + "model.safetensors"));
  WeightsReader r(*w.files.back(), w, WeightPolicy{c.quantize, std::nullopt, c.quantize.has_value(), nullptr});
  const int d = c.hidden, H = c.head_hidden, S = c.cache.speakers, F = c.subsampling;
  const std::string t = "model.audio_tower.";
  w.stacking = r.linear(t + "embedder.projection", d, static_cast<int64_t>(F) * c.mels, false);
  w.input_norm = r.norm(t + "input_layer_norm", d);
  for (int i = 0; i < c.layers; ++i) {
    const std::string p = t + "layers." + std::to_string(i) + ".";
    SpeakerLayerWeights l;
    l.norm1 = r.norm(p + "layer_norm1", d);
    l.norm2 = r.norm(p + "layer_norm2", d);
    l.query = r.linear(p + "self_attn.q_proj", d, d, false);
    l.key = r.linear(p + "self_attn.k_proj", d, d, false);
    l.value = r.linear(p + "self_attn.v_proj", d, d, false);
    l.out = r.linear(p + "self_attn.o_proj", d, d, true);
    l.fc1 = r.linear(p + "mlp.fc1", c.intermediate, d, true);
    l.fc2 = r.linear(p + "mlp.fc2", d, c.intermediate, true);
    w.layers.push_back(std::move(l));
  }
  w.final_norm = r.norm(t + "layer_norm", d);
  w.projection = r.linear("model.proj", H, d, true);
  // torch's (out, in, kernel) as MLX's (out, kernel, in), the layout the backends' conv1d reads
  const std::vector<float> conv = r.floats("model.upsampler.conv.weight", {static_cast<int64_t>(H) * F, H, 3});
  std::vector<uint8_t> mlx(conv.size() * sizeof(float));
  for (int o = 0; o < H * F; ++o) {
    for (int i = 0; i < H; ++i) {
      for (int k = 0; k < 3; ++k) {
        const float v = conv[(static_cast<std::size_t>(o) * H + i) * 3 + k];
        std::memcpy(mlx.data() + ((static_cast<std::size_t>(o) * 3 + k) * H + i) * sizeof(float), &v, sizeof v);
      }
    }
  }
  w.converted_tensors.push_back(std::move(mlx));
  w.upsampler = Conv1dWeights{DType::F32, H * F, 3, H, w.converted_tensors.back().data(),
                              r.vector("model.upsampler.conv.bias", static_cast<int64_t>(H) * F)};
  w.dense = r.linear("classifier.dense", H, H, true);
  w.classifier = r.linear("classifier.out_proj", S, H, true);
  w.silence = r.floats("silence_embeds", {d});
  r.check_all_used();
  return w;
}

}  // namespace verbatim
