// libFuzzer target: the strict JSON parser and parse_model_config on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/json.h"
#include "formats/weights.h"

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
    const verbatim::ModelConfig config = verbatim::parse_model_config(text, "config.json");
    const verbatim::ModelDims& d = config.dims;
    if (d.n_audio_state != d.n_text_state || d.n_audio_state % d.n_audio_head != 0 ||
        d.n_text_state % d.n_text_head != 0) {
      __builtin_trap();
    }
  } catch (const verbatim::FormatError&) {
  }
  return 0;
}
