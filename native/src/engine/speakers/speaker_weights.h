// A Nemotron 3 Diarization model folder in transformers' layout (what Nemotron3DiarizationForAudioFrameClassification
// and its processor's save_pretrained write, as nvidia/Nemotron-3-Diarization ships: config.json with model_type
// "nemotron3_diarization", model.safetensors, processor_config.json), checked field by field and tensor by tensor
// (native/DIARIZATION.md).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audio/nemo_features.h"
#include "formats/json.h"
#include "tensors/convolution.h"
#include "tensors/weights_reader.h"

namespace verbatim {

// The speaker cache's policy (transformers' Nemotron3DiarizationStreamingConfig, less the FIFO sizes).
struct SpeakerCachePolicy {
  int speakers = 8;
  int subsampling = 8;          // probability frames per encoder frame
  int cache_length = 264;       // speaker_cache_length
  int silence_frames = 1;       // speaker_cache_silence_frames_per_speaker
  float score_threshold = 0.25f;
  float latest_frames_boost = 0.05f;
  double strong_boost_rate = 0.75, weak_boost_rate = 1.5, min_positive_scores_rate = 0.5;
};

// How a session feeds the cache: chunk and look-ahead (encoder frames) and the FIFO's sizes.
struct SpeakerChunking {
  int chunk_length = 0, right_context = 0;
  int fifo_length = 0, update_period = 0;
};

struct SpeakerConfig {
  int hidden = 512, intermediate = 2048, layers = 31, heads = 8, mels = 128;
  int subsampling = 8;
  double rope_theta = 10000.0;
  int head_hidden = 192;
  SpeakerCachePolicy cache;
  SpeakerChunking offline;  // config.json's chunk_length, chunk_right_context, fifo_length, speaker_cache_update_period
  int streaming_fifo_length = 264, streaming_update_period = 222;  // streaming_config's
  // processor_config.json's streaming_modes (name, chunk_length, chunk_right_context) and its streaming_mode
  std::vector<std::pair<std::string, std::pair<int, int>>> streaming_modes;
  std::string default_streaming_mode = "low_latency";
  NemoFeatureConfig features;
  // config.json's "quantize" or the loader's option (which wins): the matrices held as bf16 (fp32 ones cast, as
  // Nemotron's), those whose width is a multiple of the group packed; the upsampler and the norms stay as stored
  std::optional<Quantization> quantize;

  // A streaming session's chunking in `mode` (a name of streaming_modes). Throws std::invalid_argument for another.
  SpeakerChunking streaming(const std::string& mode) const;
};

struct SpeakerLayerWeights {
  LayerNormWeights norm1, norm2;
  Linear query, key, value, out, fc1, fc2;
};

struct SpeakerWeights : HeldWeights {
  SpeakerConfig config;
  Linear stacking;  // (hidden, subsampling * mels), no bias
  LayerNormWeights input_norm, final_norm;
  std::vector<SpeakerLayerWeights> layers;
  Linear projection;        // (head_hidden, hidden)
  Conv1dWeights upsampler;  // (head_hidden * subsampling, kernel 3, head_hidden), held as fp32 in MLX's layout
  Linear dense, classifier;
  std::vector<float> silence;  // hidden: the learned silence embedding of a compressed cache's silence slots
};

// Whether a parsed config.json is transformers' nemotron3_diarization config.
bool is_speaker_config(const json::Value& config);

// Loads <folder>/config.json, processor_config.json (optional: transformers' defaults) and model.safetensors
// (fp32, fp16 or bf16), packed when config.json's "quantize" or `quantize` (which wins) asks. Throws FormatError
// naming the file and the field or tensor: a missing or extra tensor, a wrong shape or dtype, a value that is not
// finite, a config this engine does not run.
SpeakerWeights load_speaker_weights(const std::string& folder, std::optional<Quantization> quantize = std::nullopt);

}  // namespace verbatim
