// A Nemotron Speech Streaming model folder in transformers' layout (what NemotronAsrStreamingForRNNT and its
// processor's save_pretrained write, as nvidia/nemotron-speech-streaming-en-0.6b ships: config.json with
// model_type "nemotron_asr_streaming", model.safetensors, processor_config.json, tokenizer.json), checked field by
// field and tensor by tensor (native/NEMOTRON.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
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
  // Nemotron 3.5 (model_type nemotron3_5_asr): a language prompt fused after the encoder, one of num_prompts slots
  // (0: a model without one). prompts: processor_config.json's prompt_dictionary (a locale, a bare code or "auto" to
  // its slot); default_prompt: config.json's default_prompt_id (NVIDIA's: 101, "auto").
  int num_prompts = 0;
  int prompt_hidden = 0;
  int default_prompt = 0;
  std::vector<std::pair<std::string, int>> prompts;
  // "quantize": "8bit" or "4bit" (the engine's key, as Parakeet's) or the loader's option: every weight matrix whose
  // width is a multiple of 64 packed at load to MLX's affine bits, groups of 64 (fp32 ones rounded to bf16 first).
  std::optional<Quantization> quantize;
};

// Whether a parsed config.json is transformers' nemotron_asr_streaming or nemotron3_5_asr config.
bool is_nemotron_config(const json::Value& config);

// Nemotron 3.5's prompt fusion, prompt_projector: linear_2(relu(linear_1([encoded, one_hot(prompt)]))). linear_1 is
// held split: its columns over the encoder's output (`hidden`, with its bias) and, per prompt, the column the one-hot
// selects (`prompt_columns`, num_prompts rows of prompt_hidden), added to the bias for a stream's prompt.
struct PromptFusion {
  Linear hidden;                      // (prompt_hidden, d_model)
  std::vector<float> bias;            // prompt_hidden
  std::vector<float> prompt_columns;  // num_prompts x prompt_hidden
  Linear out;                         // (d_model, prompt_hidden)
};

struct NemotronWeights : ConformerWeights, TransducerWeights, HeldWeights {
  NemotronConfig config;
  std::string weights_path;
  std::optional<PromptFusion> prompt;  // Nemotron 3.5 only
};

// Loads <folder>/config.json, processor_config.json (optional), tokenizer.json and model.safetensors. Matrices are
// held as stored (fp32, fp16 or bf16), or packed when config.json's "quantize" or `quantize` (which wins) asks, then
// laid out by `kernel_layout` where given (the backend that will run them: WeightPolicy::kernel_layout). Throws
// FormatError naming the file and the field or tensor: a missing or extra tensor, a wrong shape or dtype, a value that
// is not finite, a config this engine does not run.
NemotronWeights load_nemotron_weights(const std::string& folder, std::optional<Quantization> quantize = std::nullopt,
                                      std::function<KernelWeights(const WeightMatrix&)> kernel_layout = nullptr);

}  // namespace verbatim
