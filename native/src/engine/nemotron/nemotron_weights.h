// A Nemotron Speech Streaming model folder in transformers' layout (what NemotronAsrStreamingForRNNT and its
// processor's save_pretrained write, as nvidia/nemotron-speech-streaming-en-0.6b ships: config.json with
// model_type "nemotron_asr_streaming", model.safetensors, processor_config.json, tokenizer.json), checked field by
// field and tensor by tensor (native/NEMOTRON.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conformer/conformer_weights.h"
#include "formats/json.h"
#include "tensors/quantization.h"
#include "tensors/weights_reader.h"
#include "transducer/transducer_weights.h"

namespace verbatim {

struct NemotronConfig : ConformerConfig, TransducerConfig {
  int left_context = 70;  // encoder frames of earlier chunks attention reaches (sliding_window - 1)
  // Right contexts (lookahead, encoder frames) the model was trained with: processor_config.json's
  // supported_num_lookahead_tokens (transformers' default [13, 6, 1, 0]); the default is its
  // default_num_lookahead_tokens, else the config's encoder default_num_lookahead_tokens.
  std::vector<int> lookaheads;
  int default_lookahead = 13;
  std::vector<std::string> vocabulary;  // V pieces (tokenizer.json's Unigram vocabulary); the blank is V
};

// Whether a parsed config.json is transformers' nemotron_asr_streaming config.
bool is_nemotron_config(const json::Value& config);

struct NemotronWeights : ConformerWeights, TransducerWeights, HeldWeights {
  NemotronConfig config;
  std::string weights_path;
};

// Loads <folder>/config.json, processor_config.json (optional), tokenizer.json and model.safetensors. Matrices are
// held as stored (fp32, fp16 or bf16). Throws FormatError naming the file and the field or tensor: a missing or
// extra tensor, a wrong shape or dtype, a value that is not finite, a config this engine does not run.
NemotronWeights load_nemotron_weights(const std::string& folder);

}  // namespace verbatim
