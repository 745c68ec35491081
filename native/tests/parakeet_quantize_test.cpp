// Parakeet's weights packed to MLX affine 8 / 4 bits (config.json "quantize") or stored so ("quantization"): the
// packing equals whisper_files.quantize's (mx.quantize as MLX's Metal kernel computes it) bit for bit on the
// fixtures test/fixtures/models/parakeet-tiny-v3-{8,4}bit (written by test/reference/parakeet_quantized_model.py);
// the 8-bit encoder stays near the fp16 one and decodes nearly the same tokens; the loader's quantize option (the
// addon's LoadOptions.quantize) packs as the config does; bad settings name the file and field.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "audio/nemo_features.h"
#include "parakeet/parakeet_runners.h"
#include "parakeet/tdt_decoding.h"
#include "engine.h"
#include "parakeet/parakeet_weights.h"
#include "formats/tensor_file.h"
#include "support/configured_model.h"
#include "support/packed_drift.h"
#include "support/text_file.h"
#include "support/wav_file.h"

namespace {

using verbatim::test::ConfiguredModel;
using verbatim::test::Decoded;
using verbatim::test::read_text;
using verbatim::test::read_wav_samples;
using verbatim::test::with_member;

const std::string kModels = std::string(VERBATIM_REFERENCE_DIR) + "/../models/";

bool same_packing(const verbatim::WeightMatrix& a, const verbatim::WeightMatrix& b) {
  using Format = verbatim::WeightMatrix::Format;
  if (a.format != Format::Quantized || b.format != Format::Quantized) return false;
  if (a.rows != b.rows || a.cols != b.cols || a.bits != b.bits || a.group_size != b.group_size ||
      a.scale_dtype != b.scale_dtype) {
    return false;
  }
  const auto words = static_cast<std::size_t>(a.rows * a.cols * a.bits / 8);
  const auto groups = static_cast<std::size_t>(a.rows * (a.cols / a.group_size)) * verbatim::dtype_size(a.scale_dtype);
  return std::memcmp(a.data, b.data, words) == 0 && std::memcmp(a.scales, b.scales, groups) == 0 &&
         std::memcmp(a.biases, b.biases, groups) == 0;
}

Decoded decode(const std::shared_ptr<const verbatim::ParakeetWeights>& weights, const std::vector<float>& samples) {
  const verbatim::ParakeetConfig& c = weights->config;
  const verbatim::NemoFeatures features = verbatim::nemo_log_mel(samples.data(), samples.size(), c.features);
  auto runner = verbatim::make_parakeet_cpu_runner(weights, 2);
  const int frames = runner->encode(features.data.data(), features.n_frames);
  Decoded out;
  out.encoder = runner->encoder_output();
  for (const auto& t : verbatim::greedy_tdt(*runner, frames, {c.vocab_size, c.durations, c.max_symbols, nullptr, {}, {}})) {
    out.tokens.push_back(t.token);
  }
  return out;
}

}  // namespace

TEST_CASE("parakeet quantize: packing at load equals MLX's affine quantization of the same weights bit for bit") {
  const std::string fp16 = kModels + "parakeet-tiny-v3";
  for (const int bits : {8, 4}) {
    INFO(bits << " bits");
    const std::string width = std::to_string(bits) + "bit";
    const ConfiguredModel folder(fp16, with_member(read_text(fp16 + "/config.json"), "\"quantize\": \"" + width + "\""));
    const verbatim::ParakeetWeights packed = verbatim::load_parakeet_weights(folder.path());
    const verbatim::ParakeetWeights stored = verbatim::load_parakeet_weights(kModels + "parakeet-tiny-v3-" + width);
    REQUIRE(packed.config.quantize.has_value());
    CHECK(packed.config.quantize->bits == bits);
    CHECK(packed.config.quantize->group_size == 64);
    REQUIRE(stored.config.stored_quantization.has_value());
    // Every Linear the fixture's quantizer packed (mlx.nn.quantize's Linear and Embedding layers of width 64).
    int compared = 0;
    const auto check = [&compared](const verbatim::WeightMatrix& a, const verbatim::WeightMatrix& b) {
      CHECK(same_packing(a, b));
      ++compared;
    };
    check(packed.subsampling_out.weight, stored.subsampling_out.weight);
    for (std::size_t i = 0; i < packed.layers.size(); ++i) {
      const auto &p = packed.layers[i], &s = stored.layers[i];
      for (const auto& [a, b] : {std::pair{&p.ff1_in, &s.ff1_in}, {&p.ff1_out, &s.ff1_out}, {&p.ff2_in, &s.ff2_in},
                                 {&p.ff2_out, &s.ff2_out}, {&p.query, &s.query}, {&p.key, &s.key},
                                 {&p.value, &s.value}, {&p.out, &s.out}, {&p.pos, &s.pos}}) {
        check(a->weight, b->weight);
      }
    }
    check(packed.joint_enc.weight, stored.joint_enc.weight);
    CHECK(compared == 20);
  }
  const ConfiguredModel folder(fp16, with_member(read_text(fp16 + "/config.json"), "\"quantize\": \"8bit\""));
  const verbatim::ParakeetWeights packed = verbatim::load_parakeet_weights(folder.path());
  const verbatim::ParakeetWeights stored = verbatim::load_parakeet_weights(kModels + "parakeet-tiny-v3-8bit");
  // At load the pointwise convolutions are packed too (the engine multiplies them as matrices); widths of 32 (the
  // tiny LSTM and joint) are not a multiple of 64 and stay fp16.
  CHECK(packed.layers[0].pointwise1.weight.format == verbatim::WeightMatrix::Format::Quantized);
  CHECK(stored.layers[0].pointwise1.weight.format == verbatim::WeightMatrix::Format::F16);
  CHECK(packed.joint_out.weight.format == verbatim::WeightMatrix::Format::F16);
  CHECK(packed.lstm[0].wx.format == verbatim::WeightMatrix::Format::F16);
}

TEST_CASE("parakeet quantize: 8-bit weights keep the encoder near fp16's and decode nearly the same tokens") {
  verbatim::test::PackedDrift drift;
  for (const char* name : {"parakeet-tiny", "parakeet-tiny-v3"}) {
    const std::string model = kModels + name;
    const std::string config = read_text(model + "/config.json");
    const ConfiguredModel q8(model, with_member(config, "\"quantize\": \"8bit\""));
    const ConfiguredModel q4(model, with_member(config, "\"quantize\": \"4bit\""));
    auto dense = std::make_shared<const verbatim::ParakeetWeights>(verbatim::load_parakeet_weights(model));
    auto eight = std::make_shared<const verbatim::ParakeetWeights>(verbatim::load_parakeet_weights(q8.path()));
    auto four = std::make_shared<const verbatim::ParakeetWeights>(verbatim::load_parakeet_weights(q4.path()));
    for (int clip = 0; clip < 9; ++clip) {
      const auto samples = read_wav_samples(kModels + "../heldout/heldout-0" + std::to_string(clip) + ".wav");
      const Decoded reference = decode(dense, samples), a = decode(eight, samples), b = decode(four, samples);
      REQUIRE(a.encoder.size() == reference.encoder.size());
      drift.add(reference, a, b);
    }
  }
  MESSAGE("quantized against fp16 on 9 held-out clips, both tiny fixtures: encoder max |diff| 8-bit "
          << drift.worst_8 << ", 4-bit " << drift.worst_4 << "; token edits 8-bit " << drift.edits_8 << ", 4-bit "
          << drift.edits_4 << " of " << drift.tokens);
  // Measured (2026-11-25): encoder max |diff| 8-bit 0.043, 4-bit 0.82 (LayerNorm outputs, |x| up to ~4); token edits
  // 8-bit 3 of 128, 4-bit 69 (random weights: every decision is close, and 4 bits move each weight by ~10% of its
  // spread). Bounds about 3.5x those: 8-bit 0.15 and a tenth of the tokens; 4-bit 2.5 (its tokens are not bounded).
  drift.check_bounds();
}

TEST_CASE("parakeet quantize: bad settings are refused naming the file and the field") {
  const std::string config = read_text(kModels + "parakeet-tiny-v3/config.json");
  const auto refused = [&config](const std::string& member, const std::string& field) {
    INFO(member);
    try {
      verbatim::parse_parakeet_config(with_member(config, member), "/models/x/config.json");
      FAIL("accepted");
    } catch (const verbatim::FormatError& e) {
      const std::string message = e.what();
      CHECK(message.find("/models/x/config.json") != std::string::npos);
      CHECK(message.find(field) != std::string::npos);
    }
  };
  refused("\"quantize\": \"16bit\"", "\"quantize\"");
  refused("\"quantize\": 8", "\"quantize\"");
  refused("\"quantize\": true", "\"quantize\"");
  refused("\"quantization\": {\"bits\": 7, \"group_size\": 64}", "\"quantization.bits\"");
  refused("\"quantization\": {\"bits\": 8, \"group_size\": 48}", "\"quantization.group_size\"");
  refused("\"quantization\": {\"bits\": 8}", "\"quantization.group_size\"");
  refused("\"quantization\": {\"bits\": 8, \"group_size\": 64, \"mode\": \"mxfp4\"}", "\"quantization.mode\"");
  refused("\"quantization\": \"8bit\"", "\"quantization\"");
  refused("\"quantize\": \"8bit\", \"quantization\": {\"bits\": 8, \"group_size\": 64}", "\"quantize\"");
  CHECK(verbatim::parse_parakeet_config(with_member(config, "\"quantize\": null"), "c").quantize == std::nullopt);

  // Packed tensors without the config's "quantization" block: the weights file and the tensor are named.
  const ConfiguredModel folder(kModels + "parakeet-tiny-v3-8bit", config);
  try {
    verbatim::load_parakeet_weights(folder.path());
    FAIL("accepted");
  } catch (const verbatim::FormatError& e) {
    const std::string message = e.what();
    CHECK(message.find("model.safetensors") != std::string::npos);
    CHECK(message.find(".scales") != std::string::npos);
  }
  // A "quantization" block that does not match the packed shapes.
  const ConfiguredModel four(kModels + "parakeet-tiny-v3-8bit",
                             with_member(config, "\"quantization\": {\"bits\": 4, \"group_size\": 64}"));
  CHECK_THROWS_WITH_AS(verbatim::load_parakeet_weights(four.path()), doctest::Contains("expected (64, 32)"),
                       verbatim::FormatError);
}

TEST_CASE("parakeet quantize: the loader's option packs as config.json's \"quantize\" does, to the same transcript") {
  const std::string fp16 = kModels + "parakeet-tiny-v3";
  const auto samples = read_wav_samples(kModels + "../heldout/heldout-07.wav");
  for (const int bits : {8, 4}) {
    INFO(bits << " bits");
    const std::string width = std::to_string(bits) + "bit";
    const ConfiguredModel configured(fp16,
                                     with_member(read_text(fp16 + "/config.json"), "\"quantize\": \"" + width + "\""));
    const verbatim::Quantization option{bits, 64};
    const verbatim::ParakeetWeights asked = verbatim::load_parakeet_weights(fp16, option);
    const verbatim::ParakeetWeights config = verbatim::load_parakeet_weights(configured.path());
    REQUIRE(asked.packed_tensors.size() == config.packed_tensors.size());
    CHECK(asked.packed_tensors.size() > 20);  // the pointwise convolutions and the embedding too
    for (std::size_t i = 0; i < asked.packed_tensors.size(); ++i) {
      CHECK(asked.packed_tensors[i].words == config.packed_tensors[i].words);
      CHECK(asked.packed_tensors[i].scales == config.packed_tensors[i].scales);
      CHECK(asked.packed_tensors[i].biases == config.packed_tensors[i].biases);
    }

    verbatim::EngineOptions options;
    options.backend = verbatim::BackendChoice::Cpu;
    options.threads = 2;
    const auto from_config = verbatim::Engine::load(configured.path(), options);
    options.quantize = option;
    const auto from_option = verbatim::Engine::load(fp16, options);
    REQUIRE(from_option->description().quantization.has_value());
    CHECK(from_option->description().quantization->bits == bits);
    const verbatim::Transcript a = from_option->transcription({}, nullptr)->run(samples.data(), samples.size(), {});
    const verbatim::Transcript b = from_config->transcription({}, nullptr)->run(samples.data(), samples.size(), {});
    REQUIRE(a.segments.size() == 1);
    REQUIRE(b.segments.size() == 1);
    CHECK(!a.segments[0].tokens.empty());
    CHECK(a.segments[0].tokens == b.segments[0].tokens);
  }
}

TEST_CASE("parakeet quantize: the option is refused for a folder packed already and for Whisper") {
  verbatim::EngineOptions options;
  options.backend = verbatim::BackendChoice::Cpu;
  options.quantize = verbatim::Quantization{8, 64};
  CHECK_THROWS_WITH_AS(verbatim::Engine::load(kModels + "parakeet-tiny-v3-8bit", options),
                       doctest::Contains("the weights are packed already (8 bits)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(verbatim::Engine::load(kModels + "verbatim-tiny-en", options),
                       doctest::Contains("holds a Whisper model: Whisper's MLX repositories come packed already"),
                       std::invalid_argument);
}
