// libFuzzer target: the strict JSON parser, each family's recognition of its config (is_whisper_config,
// is_parakeet_config), parse_whisper_config and parse_parakeet_config (a NeMo config) on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/json.h"
#include "parakeet/parakeet_weights.h"
#include "whisper/model_config.h"

namespace {

// Walks the whole tree so that every stored value is touched.
std::size_t weigh(const verbatim::json::Value& value) {
  std::size_t total = value.as_string().size() + value.describe().size();
  if (value.as_int64()) total += 1;
  if (value.as_uint64()) total += 1;
  for (const auto& item : value.items()) total += weigh(item);
  for (const auto& member : value.members()) total += member.first.size() + weigh(member.second);
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    volatile std::size_t sink = weigh(verbatim::json::parse(text, "fuzz.json"));
    (void)sink;
  } catch (const verbatim::FormatError&) {
  }
  try {
    const verbatim::WhisperConfig config = verbatim::parse_whisper_config(text, "config.json");
    const verbatim::WhisperDims& d = config.dims;
    if (d.n_audio_state != d.n_text_state || d.n_audio_state % d.n_audio_head != 0 ||
        d.n_text_state % d.n_text_head != 0) {
      __builtin_trap();
    }
  } catch (const verbatim::FormatError&) {
  }
  try {
    const verbatim::json::Value config = verbatim::json::parse(text, "config.json");
    volatile bool sink = verbatim::is_whisper_config(config) || verbatim::is_parakeet_config(config);
    (void)sink;
  } catch (const verbatim::FormatError&) {
  }
  try {
    const verbatim::ParakeetConfig c = verbatim::parse_parakeet_config(text, "config.json");
    if (c.d_model % c.n_heads != 0 || c.vocabulary.size() != static_cast<std::size_t>(c.vocab_size) ||
        c.durations.empty() || c.conv_kernel % 2 == 0 || c.features.win_length > c.features.n_fft) {
      __builtin_trap();
    }
  } catch (const verbatim::FormatError&) {
  }
  return 0;
}
