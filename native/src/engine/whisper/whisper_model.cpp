#include "whisper/whisper_model.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace verbatim {
namespace {

std::string shape_text(int64_t rows, int64_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

void fail(const std::string& name, const std::string& problem) {
  throw std::invalid_argument("Whisper weights: " + name + " " + problem);
}

bool is_float_dtype(DType dtype) { return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16; }

void check_vector(const Vector& v, int64_t size, const std::string& name) {
  if (v.data == nullptr || !is_float_dtype(v.dtype)) fail(name, "is missing or not a float tensor");
  if (v.size != size) fail(name, "has " + std::to_string(v.size) + " elements, expected " + std::to_string(size));
}

void check_matrix(const WeightMatrix& w, int64_t rows, int64_t cols, const std::string& name) {
  if (w.data == nullptr) fail(name, "is missing");
  if (w.rows != rows || w.cols != cols) {
    fail(name, "has shape " + shape_text(w.rows, w.cols) + ", expected " + shape_text(rows, cols));
  }
  if (w.format != WeightMatrix::Format::Quantized) return;
  const bool bits_ok = w.bits == 2 || w.bits == 3 || w.bits == 4 || w.bits == 5 || w.bits == 6 || w.bits == 8;
  const bool group_ok = w.group_size == 32 || w.group_size == 64 || w.group_size == 128;
  if (!bits_ok || !group_ok || cols % w.group_size != 0 || w.scales == nullptr || w.biases == nullptr ||
      !is_float_dtype(w.scale_dtype)) {
    fail(name, "has an unsupported quantization (" + std::to_string(w.bits) + " bits, group size " +
                   std::to_string(w.group_size) + ")");
  }
}

void check_linear(const Linear& l, int64_t out, int64_t in, bool needs_bias, const std::string& name) {
  check_matrix(l.weight, out, in, name + ".weight");
  if (l.bias) {
    check_vector(*l.bias, out, name + ".bias");
  } else if (needs_bias) {
    fail(name + ".bias", "is missing");
  }
}

void check_norm(const LayerNormWeights& n, int64_t size, const std::string& name) {
  check_vector(n.weight, size, name + ".weight");
  check_vector(n.bias, size, name + ".bias");
}

void check_attention(const AttentionWeights& a, int64_t n, int64_t source, const std::string& name) {
  check_linear(a.query, n, n, true, name + ".query");
  check_linear(a.key, n, source, false, name + ".key");
  check_linear(a.value, n, source, true, name + ".value");
  check_linear(a.out, n, n, true, name + ".out");
}

void check_block(const ResidualBlockWeights& b, int64_t n, int64_t audio_state, bool decoder, const std::string& name) {
  check_attention(b.attn, n, n, name + ".attn");
  check_norm(b.attn_ln, n, name + ".attn_ln");
  if (decoder) {
    if (!b.cross_attn || !b.cross_attn_ln) fail(name + ".cross_attn", "is missing");
    check_attention(*b.cross_attn, n, audio_state, name + ".cross_attn");
    check_norm(*b.cross_attn_ln, n, name + ".cross_attn_ln");
  }
  check_linear(b.mlp1, 4 * n, n, true, name + ".mlp1");
  check_linear(b.mlp2, n, 4 * n, true, name + ".mlp2");
  check_norm(b.mlp_ln, n, name + ".mlp_ln");
}

void check_conv(const Conv1dWeights& c, int out, int in, const std::string& name) {
  if (c.weight == nullptr || !is_float_dtype(c.dtype)) fail(name + ".weight", "is missing or not a float tensor");
  if (c.out_channels != out || c.kernel != 3 || c.in_channels != in) {
    fail(name + ".weight", "has shape " + std::to_string(c.out_channels) + "x" + std::to_string(c.kernel) + "x" +
                               std::to_string(c.in_channels) + ", expected " + std::to_string(out) + "x3x" +
                               std::to_string(in));
  }
  check_vector(c.bias, out, name + ".bias");
}

}  // namespace

std::vector<float> whisper_sinusoids(int length, int channels) {
  const int half = channels / 2;
  const auto increment = static_cast<float>(std::log(10000.0) / (half - 1));
  std::vector<float> out(static_cast<std::size_t>(length) * channels);
  for (int i = 0; i < half; ++i) {
    const float inverse_timescale = std::exp(-increment * static_cast<float>(i));
    for (int t = 0; t < length; ++t) {
      const float angle = static_cast<float>(t) * inverse_timescale;
      out[static_cast<std::size_t>(t) * channels + i] = std::sin(angle);
      out[static_cast<std::size_t>(t) * channels + half + i] = std::cos(angle);
    }
  }
  return out;
}

void check_whisper_shapes(const WhisperWeights& weights) {
  const WhisperDims& d = weights.config.dims;
  if (d.n_mels <= 0 || d.n_audio_ctx <= 0 || d.n_audio_layer <= 0 || d.n_vocab <= 0 || d.n_text_ctx <= 0 ||
      d.n_text_layer <= 0 || d.n_audio_head <= 0 || d.n_text_head <= 0 || d.n_audio_state < 4 ||
      d.n_audio_state % 2 != 0 || d.n_audio_state % d.n_audio_head != 0 || d.n_text_state <= 0 ||
      d.n_text_state % d.n_text_head != 0) {
    fail("config", "has inconsistent dimensions");
  }
  check_conv(weights.conv1, d.n_audio_state, d.n_mels, "encoder.conv1");
  check_conv(weights.conv2, d.n_audio_state, d.n_audio_state, "encoder.conv2");
  if (static_cast<int>(weights.encoder_blocks.size()) != d.n_audio_layer) fail("encoder.blocks", "has the wrong count");
  for (std::size_t i = 0; i < weights.encoder_blocks.size(); ++i) {
    check_block(weights.encoder_blocks[i], d.n_audio_state, d.n_audio_state, false, "encoder.blocks." + std::to_string(i));
  }
  check_norm(weights.ln_post, d.n_audio_state, "encoder.ln_post");
  check_matrix(weights.token_embedding, d.n_vocab, d.n_text_state, "decoder.token_embedding");
  if (weights.positional_embedding == nullptr || !is_float_dtype(weights.positional_embedding_dtype)) {
    fail("decoder.positional_embedding", "is missing or not a float tensor");
  }
  if (static_cast<int>(weights.decoder_blocks.size()) != d.n_text_layer) fail("decoder.blocks", "has the wrong count");
  for (std::size_t i = 0; i < weights.decoder_blocks.size(); ++i) {
    check_block(weights.decoder_blocks[i], d.n_text_state, d.n_audio_state, true, "decoder.blocks." + std::to_string(i));
  }
  check_norm(weights.decoder_ln, d.n_text_state, "decoder.ln");
}

}  // namespace verbatim
