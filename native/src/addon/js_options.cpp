#include "js_options.h"

#include <algorithm>
#include <stdexcept>
#include <optional>
#include <string>

#include "parakeet/parakeet_weights.h"

namespace verbatim::addon {
namespace {

// The options object, with typed getters that treat undefined as "keep the default".
class OptionReader {
 public:
  explicit OptionReader(const Napi::Value& value) {
    if (value.IsUndefined() || value.IsNull()) return;
    if (!value.IsObject()) throw std::invalid_argument("options must be an object");
    object_ = value.As<Napi::Object>();
  }

  template <class Read>
  void with(const char* name, Read read) const {
    if (object_.IsEmpty()) return;
    Napi::Value value = object_.Get(name);
    if (!value.IsUndefined()) read(value, name);
  }

  void boolean(const char* name, bool& out) const {
    with(name, [&](const Napi::Value& v, const char* n) {
      if (!v.IsBoolean()) throw std::invalid_argument(std::string("option ") + n + " must be true or false");
      out = v.As<Napi::Boolean>().Value();
    });
  }

  void number(const char* name, double& out, double min, double max) const {
    with(name, [&](const Napi::Value& v, const char* n) { out = checked_number(v, n, min, max); });
  }

  template <class Int>
  void integer(const char* name, Int& out, double min, double max) const {
    with(name, [&](const Napi::Value& v, const char* n) {
      const double x = checked_number(v, n, min, max);
      if (x != static_cast<double>(static_cast<int64_t>(x)))
        throw std::invalid_argument(std::string("option ") + n + " must be a whole number");
      out = static_cast<Int>(x);
    });
  }

  // A whole number when given; `out` stays empty when it is not.
  template <class Int>
  void integer(const char* name, std::optional<Int>& out, double min, double max) const {
    with(name, [&](const Napi::Value&, const char*) {
      Int value{};
      integer(name, value, min, max);
      out = value;
    });
  }

  // A number, or null to switch the rule off.
  void optional_number(const char* name, std::optional<double>& out, double min, double max) const {
    with(name, [&](const Napi::Value& v, const char* n) {
      if (v.IsNull()) {
        out.reset();
      } else {
        out = checked_number(v, n, min, max);
      }
    });
  }

  void token_list(const char* name, std::vector<int32_t>& out, int n_vocab) const {
    with(name, [&](const Napi::Value& v, const char* n) {
      if (!v.IsArray()) throw std::invalid_argument(std::string("option ") + n + " must be an array of token ids");
      Napi::Array array = v.As<Napi::Array>();
      out.clear();
      for (uint32_t i = 0; i < array.Length(); ++i) {
        const double token = checked_number(array.Get(i), n, 0, n_vocab - 1);
        out.push_back(static_cast<int32_t>(token));
      }
    });
  }

  void string(const char* name, std::string& out) const {
    with(name, [&](const Napi::Value& v, const char* n) {
      if (!v.IsString()) throw std::invalid_argument(std::string("option ") + n + " must be a string");
      out = v.As<Napi::String>().Utf8Value();
    });
  }

  static double checked_number(const Napi::Value& v, const char* name, double min, double max) {
    if (!v.IsNumber()) throw std::invalid_argument(std::string("option ") + name + " must be a number");
    const double x = v.As<Napi::Number>().DoubleValue();
    if (!(x >= min && x <= max)) {
      throw std::invalid_argument(std::string("option ") + name + " must be between " + std::to_string(min) +
                                  " and " + std::to_string(max));
    }
    return x;
  }

 private:
  Napi::Object object_;
};

}  // namespace

EngineOptions read_engine_options(const Napi::Value& value) {
  const OptionReader reader(value);
  EngineOptions options;
  std::string backend = "auto";
  reader.string("backend", backend);
  options.backend = parse_backend_choice(backend);
  reader.integer("threads", options.threads, 0, 256);
  constexpr double kMaxBytes = 9007199254740991.0;  // 2^53 - 1: the largest whole number a JS number holds exactly
  reader.integer("mlxCacheLimitBytes", options.mlx_cache_limit_bytes, 0, kMaxBytes);
  reader.integer("mlxWiredLimitBytes", options.mlx_wired_limit_bytes, 0, kMaxBytes);
  reader.with("quantize", [&](const Napi::Value& v, const char* n) {
    if (v.IsString()) options.quantize = parakeet_packing(v.As<Napi::String>().Utf8Value());
    if (!options.quantize) throw std::invalid_argument(std::string("option ") + n + " must be \"8bit\" or \"4bit\"");
  });
  return options;
}

TranscribeOptions read_transcribe_options(const Napi::Value& value, const SpecialTokens& special) {
  const OptionReader reader(value);
  TranscribeOptions options;
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
  reader.with("clipTimestamps", [&](const Napi::Value& v, const char* n) {
    if (!v.IsArray()) throw std::invalid_argument("option clipTimestamps must be an array of seconds");
    Napi::Array array = v.As<Napi::Array>();
    options.clip_timestamps.clear();
    for (uint32_t i = 0; i < array.Length(); ++i)
      options.clip_timestamps.push_back(OptionReader::checked_number(array.Get(i), n, 0, 1e9));
  });

  reader.with("temperatures", [&](const Napi::Value& v, const char* n) {
    if (!v.IsArray() || v.As<Napi::Array>().Length() == 0)
      throw std::invalid_argument("option temperatures must be a non-empty array of numbers");
    Napi::Array array = v.As<Napi::Array>();
    fallback.temperatures.clear();
    for (uint32_t i = 0; i < array.Length(); ++i)
      fallback.temperatures.push_back(static_cast<float>(OptionReader::checked_number(array.Get(i), n, 0, 10)));
  });
  reader.with("alignmentHeads", [&](const Napi::Value& v, const char* n) {
    if (!v.IsArray()) throw std::invalid_argument("option alignmentHeads must be an array of [layer, head] pairs");
    Napi::Array array = v.As<Napi::Array>();
    options.alignment_heads.clear();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value pair = array.Get(i);
      if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2)
        throw std::invalid_argument("option alignmentHeads must be an array of [layer, head] pairs");
      const int layer = static_cast<int>(OptionReader::checked_number(pair.As<Napi::Array>().Get(0u), n, 0, 1e6));
      const int head = static_cast<int>(OptionReader::checked_number(pair.As<Napi::Array>().Get(1u), n, 0, 1e6));
      options.alignment_heads.emplace_back(layer, head);
    }
  });
  // Parakeet's chunks for long files. Without chunkOverlapSeconds the overlap is the default, at most half a chunk.
  reader.with("chunkSeconds", [&](const Napi::Value& v, const char* n) {
    ChunkingOptions chunking;
    chunking.chunk_seconds = OptionReader::checked_number(v, n, 1, kMaxChunkSeconds);
    chunking.overlap_seconds = std::min(chunking.overlap_seconds, chunking.chunk_seconds / 2);
    options.chunking = chunking;
  });
  reader.with("chunkOverlapSeconds", [&](const Napi::Value& v, const char* n) {
    options.chunking = options.chunking.value_or(ChunkingOptions{});
    options.chunking->overlap_seconds = OptionReader::checked_number(v, n, 0, kMaxChunkSeconds / 2);
  });
  if (options.chunking) check_chunking(*options.chunking);
  return options;
}

StreamingOptions read_streaming_options(const Napi::Value& value, const SpecialTokens& special) {
  const OptionReader reader(value);
  StreamingOptions options;
  options.transcribe = read_transcribe_options(value, special);
  reader.with("policy", [&](const Napi::Value&, const char*) {
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
  reader.integer("marginFrames", options.margin_frames, 0, 1e6);
  p.alignment_heads = options.transcribe.alignment_heads;
  return options;
}

}  // namespace verbatim::addon
