// Parakeet model folders: the family is read from config.json, bad folders fail with errors naming the file and
// the field or tensor, and the Engine transcribes a Parakeet folder through the same interface as Whisper's.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "engine.h"
#include "formats/half.h"
#include "model_families.h"
#include "parakeet/parakeet_weights.h"
#include "transcript/cancelled.h"
#include "support/model_writer.h"

#define CHECK_FORMAT_ERROR(expression, text) \
  CHECK_THROWS_WITH_AS(expression, doctest::Contains(std::string(text).c_str()), verbatim::FormatError)

namespace {

const std::string kFixtures = std::string(VERBATIM_REFERENCE_DIR) + "/../models/";

std::string read_all(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE_MESSAGE(file.good(), "cannot open " << path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// A copy of a fixture model whose config.json has `from` replaced by `to` (once; it must be there).
void copy_model(const std::string& model, const verbatim::test::TempDir& dir, const std::string& from = "",
                const std::string& to = "") {
  std::string config = read_all(kFixtures + model + "/config.json");
  if (!from.empty()) {
    const auto at = config.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    config.replace(at, from.size(), to);
  }
  verbatim::test::write_file(dir.file("config.json"), config);
  std::filesystem::copy_file(kFixtures + model + "/model.safetensors", dir.file("model.safetensors"),
                             std::filesystem::copy_options::overwrite_existing);
}

// Sets element `index` of tensor `name` in the safetensors file `file` to the stored bits `bits` (little-endian, as
// wide as its dtype).
void set_stored_value(const std::string& file, const std::string& name, int64_t index, uint32_t bits) {
  std::string bytes = read_all(file);
  const auto* start = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto parsed = verbatim::TensorFile::parse(start, bytes.size(), file);
  const verbatim::TensorView* view = parsed->find(name);
  REQUIRE_MESSAGE(view != nullptr, name);
  const std::size_t size = verbatim::dtype_size(view->dtype);
  REQUIRE(static_cast<std::size_t>(index) < view->nbytes / size);
  std::memcpy(&bytes[static_cast<std::size_t>(view->data - start) + static_cast<std::size_t>(index) * size], &bits,
              size);
  verbatim::test::write_file(file, bytes);
}

// A fixture model rewritten with every tensor as fp32 (safetensors: 8-byte header length, JSON header, data).
void copy_model_as_fp32(const std::string& model, const verbatim::test::TempDir& dir) {
  const auto source = verbatim::TensorFile::open(kFixtures + model + "/model.safetensors");
  std::string header = "{", data;
  for (const auto& [name, view] : source->tensors()) {
    REQUIRE(view.dtype == verbatim::DType::F16);
    std::string shape;
    for (int64_t d : view.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    const std::size_t begin = data.size();
    for (int64_t i = 0; i < view.elements(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, view.data + 2 * i, 2);
      const float value = verbatim::half_to_float(bits);
      char bytes[4];
      std::memcpy(bytes, &value, 4);
      data.append(bytes, 4);
    }
    header += (header.size() > 1 ? ",\"" : "\"") + name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  verbatim::test::write_file(dir.file("model.safetensors"), file + header + data);
  verbatim::test::write_file(dir.file("config.json"), read_all(kFixtures + model + "/config.json"));
}

}  // namespace

TEST_CASE("parakeet: config.json decides the family") {
  CHECK(verbatim::read_model_family(kFixtures + "parakeet-tiny").name == std::string("parakeet"));
  CHECK(verbatim::read_model_family(kFixtures + "verbatim-tiny-en").name == std::string("whisper"));
  verbatim::test::TempDir dir;
  verbatim::test::write_file(dir.file("config.json"), std::string("{\"encoder\": {}}"));
  CHECK_FORMAT_ERROR(verbatim::read_model_family(dir.path()), "config.json: not a model config Verbatim knows");
}

TEST_CASE("parakeet: the tiny fixtures load with their config's choices") {
  const verbatim::ParakeetWeights tiny = verbatim::load_parakeet_weights(kFixtures + "parakeet-tiny");
  CHECK(tiny.config.use_bias);
  CHECK(tiny.config.xscaling);
  CHECK(tiny.config.vocab_size == 64);
  CHECK(tiny.config.vocabulary[2] == "\xE2\x96\x81the");
  CHECK(tiny.config.durations == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(tiny.config.max_symbols == 10);
  CHECK(tiny.config.features.win_length == 400);
  CHECK(tiny.config.features.hop_length == 160);
  const verbatim::ParakeetWeights v3 = verbatim::load_parakeet_weights(kFixtures + "parakeet-tiny-v3");
  CHECK_FALSE(v3.config.use_bias);
  CHECK_FALSE(v3.config.xscaling);
  CHECK_FALSE(v3.layers[0].query.bias.has_value());
}

TEST_CASE("parakeet: a TDT-CTC hybrid (parakeet-tdt_ctc-110m's form) loads, its CTC head checked and unused") {
  const verbatim::ParakeetWeights hybrid = verbatim::load_parakeet_weights(kFixtures + "parakeet-tiny-tdt-ctc");
  CHECK(hybrid.config.aux_ctc_classes == 65);
  CHECK(hybrid.config.features.n_mels == 80);
  CHECK(hybrid.config.pred_layers == 1);
  CHECK(verbatim::load_parakeet_weights(kFixtures + "parakeet-tiny").config.aux_ctc_classes == 0);
  SUBCASE("an aux_ctc head that does not fit the encoder or the vocabulary") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny-tdt-ctc", dir, "\"feat_in\": 64", "\"feat_in\": 96");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()),
                       "\"aux_ctc.decoder.feat_in\" differs from \"encoder.d_model\"");
    verbatim::test::TempDir other;
    copy_model("parakeet-tiny-tdt-ctc", other, "\"num_classes\": -1", "\"num_classes\": 63");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(other.path()),
                       "\"aux_ctc.decoder.num_classes\" is 63, not the 64 pieces of \"joint.vocabulary\"");
  }
  SUBCASE("CTC tensors without aux_ctc in the config are not part of the model") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny-tdt-ctc", dir, "\"aux_ctc\"", "\"aux_ctc_\"");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()),
                       "tensor \"ctc_decoder.decoder_layers.0.bias\" is not part of this model's config");
  }
}

TEST_CASE("parakeet: bad model folders name the file and the field") {
  SUBCASE("a config without vocabulary") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"vocabulary\"", "\"pieces\"");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()),
                       dir.file("config.json") + ": \"joint.vocabulary\" is missing");
  }
  SUBCASE("a vocabulary of the wrong length") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"num_classes\": 64", "\"num_classes\": 65");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()), "\"joint.num_classes\" differs from");
  }
  SUBCASE("absurd sizes") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"n_layers\": 2", "\"n_layers\": 1000000000");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()),
                       "config.json: \"encoder.n_layers\" must be an integer from 1 to 256");
  }
  SUBCASE("shapes that disagree with the config") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"subsampling_conv_channels\": 16", "\"subsampling_conv_channels\": 8");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()),
                       "model.safetensors: tensor \"encoder.pre_encode.conv.0.weight\" has shape (16, 3, 3, 1), expected (8, 3, 3, "
                       "1)");
  }
  SUBCASE("tensors the config does not use") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"use_bias\": true", "\"use_bias\": false");
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()), "is not part of this model's config");
  }
  SUBCASE("a truncated safetensors file") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir);
    std::filesystem::resize_file(dir.file("model.safetensors"),
                                 std::filesystem::file_size(dir.file("model.safetensors")) / 2);
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()), dir.file("model.safetensors"));
  }
  SUBCASE("not a TDT model") {
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, "\"tdt_durations\"", "\"durations_\"");
    std::string config = read_all(dir.file("config.json"));
    const std::string from = "\"durations\": [";
    config.replace(config.find(from), from.size(), "\"durations_\": [");
    verbatim::test::write_file(dir.file("config.json"), config);
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()), "only TDT models");
  }
}

// NeMo writes null for a field set to None, and gives None its own meaning (window None: no window; xscaling None:
// no scaling), so a null is refused by name rather than read as the field's fallback; a field left out takes it.
TEST_CASE("parakeet: a field left out takes its fallback, a null one is refused by name") {
  verbatim::test::TempDir left_out;
  copy_model("parakeet-tiny", left_out, "\"window\": \"hann\",", "");
  CHECK(verbatim::load_parakeet_weights(left_out.path()).config.features.win_length == 400);
  const std::vector<std::array<std::string, 3>> nulls = {
      {"\"window\": \"hann\"", "\"window\": null", "\"preprocessor.window\" is null; only \"hann\" is supported"},
      {"\"window_stride\": 0.01", "\"window_stride\": null", "\"preprocessor.window_stride\" is null, not a number"},
      {"\"xscaling\": true", "\"xscaling\": null", "\"encoder.xscaling\" is null, not true or false"},
      {"\"activation\": \"relu\"", "\"activation\": null", "\"joint.jointnet.activation\" is null, not a string"},
      {"\"max_symbols\": 10", "\"max_symbols\": null",
       "\"decoding.greedy.max_symbols\" must be an integer from 1 to 1000, found null"},
  };
  for (const auto& [from, to, words] : nulls) {
    CAPTURE(to);
    verbatim::test::TempDir dir;
    copy_model("parakeet-tiny", dir, from, to);
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path()), dir.file("config.json") + ": " + words);
  }
}

TEST_CASE("parakeet: the engine transcribes a Parakeet folder through the family interface") {
  verbatim::EngineOptions options;
  options.backend = verbatim::BackendChoice::Cpu;
  options.threads = 2;
  const auto engine = verbatim::Engine::load(kFixtures + "parakeet-tiny", options);
  CHECK(engine->family() == "parakeet");
  CHECK(engine->vocabulary_size() == 64);
  CHECK_FALSE(engine->capabilities().translate);
  CHECK(engine->capabilities().streaming);  // live sessions: transducer_streaming_test.cpp
  CHECK(engine->description().vocabulary.size() == 64);
  // One second of a 440 Hz tone: whatever the random model says, every token has a time inside the audio.
  std::vector<float> tone(16000);
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * static_cast<float>(std::sin(i * 2 * 3.14159265358979 * 440 / 16000));
  const verbatim::Transcript transcript = engine->transcription({}, nullptr)->run(tone.data(), tone.size(), {});
  REQUIRE(transcript.segments.size() == 1);
  const verbatim::Segment& segment = transcript.segments[0];
  CHECK(segment.tokens.size() == segment.token_timings.size());
  for (const auto& timing : segment.token_timings) {
    CHECK(timing.start >= 0);
    CHECK(timing.start <= 1.0);
    CHECK(timing.end >= timing.start);
    CHECK(timing.probability > 0);
    CHECK(timing.probability <= 1);
  }
  const verbatim::OptionValues translate = {{"task", "translate"}};
  CHECK_THROWS_AS(engine->transcription(translate, nullptr)->run(tone.data(), tone.size(), {}), std::invalid_argument);
  CHECK_THROWS_AS(engine->detect_language(tone.data(), tone.size(), nullptr), std::invalid_argument);
}

TEST_CASE("parakeet: fp32 files are held as bf16, as parakeet-mlx holds them") {
  verbatim::test::TempDir dir;
  copy_model_as_fp32("parakeet-tiny-v3", dir);

  const verbatim::ParakeetWeights fp16 = verbatim::load_parakeet_weights(kFixtures + "parakeet-tiny-v3");
  const verbatim::ParakeetWeights fp32 = verbatim::load_parakeet_weights(dir.path());
  const verbatim::WeightMatrix& held = fp32.layers[1].ff2_in.weight;
  CHECK(held.format == verbatim::WeightMatrix::Format::BF16);
  CHECK(fp32.embedding.format == verbatim::WeightMatrix::Format::BF16);
  CHECK(fp32.lstm[0].wx.format == verbatim::WeightMatrix::Format::BF16);
  const verbatim::WeightMatrix& original = fp16.layers[1].ff2_in.weight;
  for (int64_t i = 0; i < held.rows * held.cols; ++i) {
    uint16_t h, b;
    std::memcpy(&h, static_cast<const uint8_t*>(original.data) + 2 * i, 2);
    std::memcpy(&b, static_cast<const uint8_t*>(held.data) + 2 * i, 2);
    REQUIRE(b == verbatim::float_to_bf16(verbatim::half_to_float(h)));
  }
}

TEST_CASE("parakeet: a NaN or an infinity in any tensor the model computes with is refused by name") {
  verbatim::test::TempDir dir;
  const std::string file = dir.file("model.safetensors");
  const auto refused = [&](const std::string& name, int64_t index, uint32_t bits, const std::string& error,
                           std::optional<verbatim::Quantization> quantize = std::nullopt) {
    set_stored_value(file, name, index, bits);
    CHECK_FORMAT_ERROR(verbatim::load_parakeet_weights(dir.path(), quantize),
                       file + ": tensor \"" + name + "\" " + error);
  };
  SUBCASE("the joint's bias, mapped as stored") {
    copy_model("parakeet-tiny", dir);
    refused("joint.joint_net.2.bias", 5, 0x7e00u,
            "holds NaN (element 5 of 70, F16): the model's weights are damaged or were converted wrongly; download the "
            "model again, or convert it again from its source");
  }
  SUBCASE("a matrix, mapped as stored") {
    copy_model("parakeet-tiny", dir);
    refused("decoder.prediction.dec_rnn.lstm.1.Wh", 4095, 0xfc00u, "holds -inf (element 4095 of 4096, F16)");
  }
  SUBCASE("a convolution, converted to fp32 at load") {
    copy_model("parakeet-tiny", dir);
    refused("encoder.pre_encode.conv.0.weight", 0, 0x7c00u, "holds +inf (element 0 of 144, F16)");
  }
  SUBCASE("a batch norm's mean, folded into the convolution at load") {
    copy_model("parakeet-tiny", dir);
    refused("encoder.layers.1.conv.batch_norm.running_mean", 63, 0x7e00u, "holds NaN (element 63 of 64, F16)");
  }
  SUBCASE("a matrix packed at load, found while packing") {
    copy_model("parakeet-tiny", dir);
    refused("encoder.layers.1.feed_forward1.linear1.weight", 1000, 0x7e00u, "holds NaN (element 1000 of 16384, F16)",
            verbatim::Quantization{8, 64});
  }
  SUBCASE("an fp32 matrix, found while it is converted to bf16") {
    copy_model_as_fp32("parakeet-tiny", dir);
    refused("encoder.layers.0.feed_forward2.linear2.weight", 7, 0x7fc00000u, "holds NaN (element 7 of 16384, F32)");
    copy_model_as_fp32("parakeet-tiny", dir);
    refused("encoder.layers.0.feed_forward2.linear2.weight", 8, 0x7f7fffffu,
            "holds 3.40282e+38 (element 8 of 16384, F32), beyond the range of bf16 that its values are held in");
  }
  SUBCASE("an MLX-quantized matrix's scales and biases") {
    copy_model("parakeet-tiny-v3-4bit", dir);
    refused("encoder.layers.0.feed_forward1.linear2.scales", 3, 0x7e00u, "holds NaN (element 3 of 256, F16)");
    copy_model("parakeet-tiny-v3-4bit", dir);
    refused("encoder.layers.1.self_attn.linear_q.biases", 0, 0xfc00u, "holds -inf (element 0 of 64, F16)");
  }
}

TEST_CASE("parakeet: the CPU backend's relative attention equals its definition across query blocks") {
  // 150 frames: three blocks of query rows; the definition computed naively in double.
  const int T = 150, heads = 2, hd = 8, d = heads * hd;
  verbatim::CpuOps ops(2);
  uint64_t state = 40;
  const auto random = [&state](int64_t rows, int64_t cols) {
    verbatim::CpuTensor t(rows, cols);
    for (float& x : t.data) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      x = static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 * 2 - 1);
    }
    return t;
  };
  const auto q = random(T, d), k = random(T, d), v = random(T, d), pos = random(2 * T - 1, d);
  const auto u = random(heads, hd), w = random(heads, hd);
  const verbatim::CpuTensor out = ops.relative_attention(q, k, v, pos, u, w, heads);
  double worst = 0;
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < T; ++i) {
      std::vector<double> scores(T);
      double top = -1e300;
      for (int j = 0; j < T; ++j) {
        double s = 0;
        for (int e = 0; e < hd; ++e) {
          const double qe = q.row(i)[h * hd + e];
          s += (qe + u.row(h)[e]) * k.row(j)[h * hd + e] + (qe + w.row(h)[e]) * pos.row(T - 1 - i + j)[h * hd + e];
        }
        scores[static_cast<std::size_t>(j)] = s / std::sqrt(static_cast<double>(hd));
        top = std::max(top, scores[static_cast<std::size_t>(j)]);
      }
      double sum = 0;
      for (double& s : scores) sum += (s = std::exp(s - top));
      for (int e = 0; e < hd; ++e) {
        double expected = 0;
        for (int j = 0; j < T; ++j) expected += scores[static_cast<std::size_t>(j)] / sum * v.row(j)[h * hd + e];
        worst = std::max(worst, std::abs(expected - out.row(i)[h * hd + e]));
      }
    }
  }
  CHECK(worst < 1e-5);
}

TEST_CASE("parakeet: audio too short for a frame, or for the encoder's convolutions, gives no error") {
  verbatim::EngineOptions options;
  options.backend = verbatim::BackendChoice::Cpu;
  options.threads = 2;
  const auto engine = verbatim::Engine::load(kFixtures + "parakeet-tiny-v3", options);
  for (const std::size_t n : {0, 1, 159, 160, 161, 320, 1000, 1280, 1281}) {
    INFO(n << " samples");
    std::vector<float> audio(n, 0.25f);
    for (std::size_t i = 0; i < n; i += 3) audio[i] = -0.5f;
    const verbatim::Transcript transcript = engine->transcription({}, nullptr)->run(audio.data(), audio.size(), {});
    REQUIRE(transcript.segments.size() == 1);
    for (const auto& timing : transcript.segments[0].token_timings) CHECK(timing.end <= n / 16000.0 + 1e-12);
  }
}

TEST_CASE("parakeet: a cancelled job stops between encoder layers") {
  verbatim::EngineOptions options;
  options.backend = verbatim::BackendChoice::Cpu;
  options.threads = 2;
  const auto engine = verbatim::Engine::load(kFixtures + "parakeet-tiny", options);
  std::vector<float> audio(32000, 0.1f);
  int polls = 0;
  verbatim::TranscribeEvents events;
  events.cancelled = [&polls] { return ++polls > 1; };  // the first poll (before encoding) passes
  CHECK_THROWS_AS(engine->transcription({}, nullptr)->run(audio.data(), audio.size(), events), verbatim::Cancelled);
  CHECK(polls == 2);
}
