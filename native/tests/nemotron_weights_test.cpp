// A Nemotron folder in transformers' layout (nemotron/nemotron_weights.h): the fixtures load in fp32 and bf16 as
// stored, and every malformed file is refused with a FormatError naming the file and what is wrong: a missing, extra,
// misshapen or non-finite tensor, a config this engine does not run, a tokenizer whose pieces do not match.
#include <doctest/doctest.h>

// GCC 12 reports false -Warray-bounds / -Wstringop-overread inside safetensors_bytes' vector insert (a std::string's
// bytes) once it is inlined into FixtureVariant here.
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "formats/tensor_file.h"
#include "nemotron/nemotron_weights.h"
#include "support/fixture_variant.h"
#include "support/model_writer.h"

namespace {

using verbatim::FormatError;
using verbatim::test::edited;
using verbatim::test::named;
using verbatim::test::read_text;
using verbatim::test::replaced;
using verbatim::test::TempDir;
using verbatim::test::TestTensor;

const std::string kFixture = std::string(VERBATIM_REFERENCE_DIR) + "/../models/nemotron-tiny";

// The fixture copied to a temporary folder with its tensors passed through `edit` and its texts through `text`.
struct Variant : verbatim::test::FixtureVariant {
  explicit Variant(const std::function<void(std::vector<TestTensor>&)>& edit,
                   const std::function<void(const std::string& name, std::string& text)>& text = nullptr)
      : FixtureVariant(kFixture, {"config.json", "processor_config.json", "tokenizer.json", "tokenizer_config.json"},
                       edit, text) {}
};

void load(const std::string& folder) { verbatim::load_nemotron_weights(folder); }

void refused(const Variant& variant, const std::string& words) {
  verbatim::test::check_refused(load, variant.dir.path(), words);
}

}  // namespace

TEST_CASE("nemotron weights: the fixtures load, fp32 and bf16 held as stored") {
  const verbatim::NemotronWeights w = verbatim::load_nemotron_weights(kFixture);
  CHECK(w.config.vocab_size == 64);
  CHECK(w.config.left_context == 14);
  const std::vector<int> lookaheads = {13, 6, 1, 0};
  CHECK(w.config.lookaheads == lookaheads);
  CHECK(w.config.default_lookahead == 13);
  CHECK(w.config.vocabulary.size() == 64);
  CHECK(w.subsampling_out.weight.format == verbatim::WeightMatrix::Format::F32);
  const verbatim::NemotronWeights b =
      verbatim::load_nemotron_weights(std::string(VERBATIM_REFERENCE_DIR) + "/../models/nemotron-tiny-nobias");
  CHECK(b.subsampling_out.weight.format == verbatim::WeightMatrix::Format::BF16);
  CHECK_FALSE(b.config.use_bias);
  CHECK_FALSE(b.config.xscaling);
  const verbatim::NemotronWeights p =
      verbatim::load_nemotron_weights(std::string(VERBATIM_REFERENCE_DIR) + "/../models/nemotron-tiny-3.5");
  CHECK(p.config.num_prompts == 128);
  CHECK(p.config.default_prompt == 101);
  REQUIRE(p.prompt.has_value());
  CHECK(p.prompt->prompt_columns.size() == 128u * 96u);
}

TEST_CASE("nemotron weights: every malformed file is refused, naming what is wrong") {
  refused(Variant([](auto& t) { t.erase(t.begin()); }), "is missing");
  refused(Variant([](auto& t) { t.push_back(verbatim::test::f32_tensor("extra.weight", {2, 2}, std::vector<float>(4, 0.0f))); }),
          "\"extra.weight\" is not part of this model's config");
  refused(Variant([](auto& t) {
            TestTensor& m = named(t, "joint.head.weight");
            std::swap(m.shape[0], m.shape[1]);
          }),
          "\"joint.head.weight\" has shape (32, 65), expected (65, 32)");
  refused(Variant([](auto& t) {
            const float nan = std::numeric_limits<float>::quiet_NaN();
            std::memcpy(named(t, "encoder.layers.1.self_attn.q_proj.weight").bytes.data() + 40, &nan, 4);
          }),
          "q_proj.weight");
  refused(Variant([](auto&) {}, edited("config.json", "\"blank_token_id\": 64", "\"blank_token_id\": 0")),
          "blank_token_id");
  refused(Variant([](auto&) {}, edited("processor_config.json", "\"default_num_lookahead_tokens\": 13", "\"default_num_lookahead_tokens\": 5")),
          "is not one of \"supported_num_lookahead_tokens\"");
  refused(Variant([](auto&) {}, edited("config.json", "\"subsampling_factor\": 8", "\"subsampling_factor\": 4")),
          "subsampling_factor");
  // A null is refused by name: transformers' config classes refuse None for these fields, and its feature extractor
  // reads preemphasis None as no pre-emphasis, not 0.97.
  refused(Variant([](auto&) {}, edited("config.json", "\"scale_input\": true", "\"scale_input\": null")),
          "\"encoder_config.scale_input\" is null, not true or false");
  refused(Variant([](auto&) {}, edited("processor_config.json", "\"preemphasis\": 0.97", "\"preemphasis\": null")),
          "\"feature_extractor.preemphasis\" is null, not a number");
  refused(Variant([](auto&) {}, edited("tokenizer.json", "\"vocab\": [", "\"vocab\": [[\"<extra>\", 0.0],")),
          "lists 65 pieces");
  {
    // Nemotron 3.5: a prompt dictionary naming a slot past num_prompts.
    const std::string folder = std::string(VERBATIM_REFERENCE_DIR) + "/../models/nemotron-tiny-3.5";
    TempDir dir;
    for (const char* name : {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}) {
      std::filesystem::copy_file(folder + "/" + name, dir.file(name));
    }
    verbatim::test::write_file(dir.file("processor_config.json"),
                               replaced(read_text(folder + "/processor_config.json"), "\"auto\": 101", "\"auto\": 128"));
    verbatim::test::check_refused(load, dir.path(), "prompt_dictionary.auto");
  }
  Variant no_tokenizer([](auto&) {});
  std::filesystem::remove(no_tokenizer.dir.file("tokenizer.json"));
  CHECK_THROWS_AS(verbatim::load_nemotron_weights(no_tokenizer.dir.path()), FormatError);
}
