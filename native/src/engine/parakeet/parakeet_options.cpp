#include "parakeet/parakeet_options.h"

#include <stdexcept>

#include "transducer/phrase_boost_options.h"
#include "transducer/token_mask.h"

namespace verbatim {
namespace {

bool non_empty_list(const OptionReader& reader, const char* name) {
  bool given = false;
  reader.with(name, [&](const OptionValue& v, const char*) {
    given = v.kind != OptionValue::Kind::List || !v.list.empty();
  });
  return given;
}

}  // namespace

std::string parakeet_refusal(const OptionValues& values) {
  const OptionReader reader(values);
  std::string task, language;
  reader.with("task", [&](const OptionValue& v, const char*) { task = v.string; });
  reader.with("language", [&](const OptionValue& v, const char*) { language = v.string; });
  if (task == "translate") return "Parakeet models cannot translate";
  if (!language.empty()) return "Parakeet models take no language: they recognise their languages themselves";
  if (non_empty_list(reader, "initialPrompt")) return "Parakeet models take no prompt";
  if (non_empty_list(reader, "clipTimestamps")) return "clip timestamps are not supported on Parakeet";
  return {};
}

ParakeetStreamingOptions read_parakeet_streaming_options(const OptionValues& values,
                                                         const std::vector<std::string>& vocabulary) {
  const std::string refusal = parakeet_refusal(values);
  if (!refusal.empty()) throw std::invalid_argument(refusal);
  const OptionReader reader(values);
  if (reader.has("policy")) {
    throw std::invalid_argument(
        "Parakeet models stream with their own policy (the transducer's frames): leave out policy");
  }
  if (reader.has("frameThreshold") || reader.has("finalFrameThreshold") || reader.has("rewindThreshold") ||
      reader.has("alignmentHeads")) {
    throw std::invalid_argument(
        "frameThreshold, finalFrameThreshold, rewindThreshold and alignmentHeads are Whisper's (AlignAtt): Parakeet "
        "models take marginFrames");
  }
  if (reader.has("maxContextTokens")) {
    throw std::invalid_argument("maxContextTokens is Whisper's: Parakeet models keep no text context");
  }
  ParakeetStreamingOptions options;
  reader.integer("marginFrames", options.margin_frames, 0, 1e6);
  reader.number("minChunkSeconds", options.min_chunk_seconds, 0.02, 30);
  options.chunking = read_chunking_options(values);
  options.boost = read_phrase_boost(values, vocabulary);
  options.mask = read_token_mask(values, static_cast<int>(vocabulary.size()));
  return options;
}

}  // namespace verbatim
