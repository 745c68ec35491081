#include "whisper/whisper_options.h"

#include <stdexcept>
#include <string>

namespace verbatim {

WhisperTranscribeOptions read_whisper_transcribe_options(const OptionValues& values, const SpecialTokens& special) {
  const OptionReader reader(values);
  WhisperTranscribeOptions options;
  DecodingOptions& decoding = options.decoding;
  FallbackOptions& fallback = options.fallback;

  std::string task = "transcribe";
  reader.string("task", task);
  if (task != "transcribe" && task != "translate")
    throw std::invalid_argument("option task must be \"transcribe\" or \"translate\"");
  decoding.task = task == "translate" ? Task::Translate : Task::Transcribe;

  std::string language;
  reader.string("language", language);
  if (!language.empty() && special.multilingual()) {
    decoding.language_token = language_token_for_code(special, language);
    if (decoding.language_token < 0)
      throw std::invalid_argument("this model does not know the language \"" + language + "\"");
  } else if (!language.empty() && language != "en") {
    throw std::invalid_argument("this model is English-only; it cannot transcribe \"" + language + "\"");
  }

  reader.boolean("timestamps", decoding.timestamps);
  reader.boolean("wordTimestamps", options.word_timestamps);
  reader.boolean("suppressBlank", decoding.suppress_blank);
  reader.boolean("conditionOnPreviousText", options.condition_on_previous_text);
  reader.token_list("suppressTokens", decoding.suppress_tokens, special.n_vocab);
  reader.token_list("initialPrompt", options.initial_prompt, special.n_vocab);
  reader.integer("sampleLen", decoding.sample_len, 0, 448);
  reader.integer("seed", decoding.seed, 0, 9007199254740991.0);
  reader.optional_number("maxInitialTimestamp", decoding.max_initial_timestamp, 0, 30);
  reader.integer("beamSize", decoding.beam_size, 1, 64);
  reader.integer("bestOf", decoding.best_of, 1, 64);
  reader.number("patience", decoding.patience, 1e-9, 64);
  reader.optional_number("lengthPenalty", decoding.length_penalty, 0, 1);  // openai allows 0 to 1
  reader.optional_number("compressionRatioThreshold", fallback.compression_ratio_threshold, 0, 1e9);
  reader.optional_number("logprobThreshold", fallback.logprob_threshold, -1e9, 0);
  reader.optional_number("noSpeechThreshold", fallback.no_speech_threshold, 0, 1);
  reader.optional_number("hallucinationSilenceThreshold", options.hallucination_silence_threshold, 0, 1e9);
  reader.with("clipTimestamps", [&](const OptionValue& v, const char* n) {
    if (v.kind != OptionValue::Kind::List) {
      throw std::invalid_argument("option clipTimestamps must be an array of seconds");
    }
    options.clip_timestamps.clear();
    for (const OptionValue& item : v.list) {
      options.clip_timestamps.push_back(OptionReader::checked_number(item, n, 0, 1e9));
    }
  });

  reader.with("temperatures", [&](const OptionValue& v, const char* n) {
    if (v.kind != OptionValue::Kind::List || v.list.empty())
      throw std::invalid_argument("option temperatures must be a non-empty array of numbers");
    fallback.temperatures.clear();
    for (const OptionValue& item : v.list)
      fallback.temperatures.push_back(static_cast<float>(OptionReader::checked_number(item, n, 0, 10)));
  });
  reader.with("alignmentHeads", [&](const OptionValue& v, const char* n) {
    const auto not_pairs = [] {
      return std::invalid_argument("option alignmentHeads must be an array of [layer, head] pairs");
    };
    if (v.kind != OptionValue::Kind::List) throw not_pairs();
    options.alignment_heads.clear();
    for (const OptionValue& pair : v.list) {
      if (pair.kind != OptionValue::Kind::List || pair.list.size() != 2) throw not_pairs();
      const int layer = static_cast<int>(OptionReader::checked_number(pair.list[0], n, 0, 1e6));
      const int head = static_cast<int>(OptionReader::checked_number(pair.list[1], n, 0, 1e6));
      options.alignment_heads.emplace_back(layer, head);
    }
  });
  return options;
}

WhisperStreamingOptions read_whisper_streaming_options(const OptionValues& values, const SpecialTokens& special) {
  const OptionReader reader(values);
  if (reader.has("marginFrames")) {
    throw std::invalid_argument("marginFrames is Parakeet's streaming option: Whisper models take frameThreshold");
  }
  WhisperStreamingOptions options;
  options.transcribe = read_whisper_transcribe_options(values, special);
  reader.with("policy", [&](const OptionValue&, const char*) {
    std::string policy;
    reader.string("policy", policy);
    if (policy != "alignatt" && policy != "localagreement")
      throw std::invalid_argument("option policy must be \"alignatt\" or \"localagreement\"");
    options.policy = policy == "alignatt" ? StreamingPolicyKind::AlignAtt : StreamingPolicyKind::LocalAgreement;
  });
  PolicyParameters& p = options.parameters;
  reader.integer("frameThreshold", p.frame_threshold, 0, 1e6);
  reader.integer("finalFrameThreshold", p.final_frame_threshold, 0, 1e6);
  reader.integer("rewindThreshold", p.rewind_threshold, 1, 1e6);
  reader.number("minChunkSeconds", options.min_chunk_seconds, 0.02, 30);
  reader.integer("maxContextTokens", options.max_context_tokens, 0, 1e6);
  p.alignment_heads = options.transcribe.alignment_heads;
  return options;
}

std::string whisper_refusal(const OptionValues& values) {
  const OptionReader reader(values);
  if (reader.has("chunkSeconds") || reader.has("chunkOverlapSeconds")) {
    return "chunkSeconds and chunkOverlapSeconds are for Parakeet models: Whisper reads long files in its 30 s windows";
  }
  return {};
}

}  // namespace verbatim
