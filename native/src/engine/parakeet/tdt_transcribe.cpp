#include "parakeet/tdt_transcribe.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "audio/nemo_features.h"
#include "parakeet/tdt_decoding.h"
#include "transcript/cancelled.h"

namespace verbatim {
namespace {

// One chunk's tokens, timed from the start of the file; a token's end is cut at the end of the chunk.
std::vector<TokenTiming> decode_chunk(TransducerRunner& runner, const ParakeetConfig& config,
                                      const std::vector<float>& samples, double offset, const PhraseBoost& boost,
                                      const TokenMask& mask, const TranscribeEvents& events) {
  const NemoFeatures features = nemo_log_mel(samples.data(), samples.size(), config.features);
  std::vector<TokenTiming> tokens;
  if (features.n_frames == 0) return tokens;
  const int frames = runner.encode(features.data.data(), features.n_frames, [&events] {
    if (events.cancelled && events.cancelled()) throw Cancelled();
  });
  const TdtOptions tdt{config.vocab_size, config.durations, config.max_symbols, events.cancelled, boost, mask};
  const std::vector<TdtToken> decoded = greedy_tdt(runner, frames, tdt);
  runner.forget_encoding();
  const double frame_seconds = 8.0 * config.features.hop_length / kSampleRate;  // 80 ms
  const double length = static_cast<double>(samples.size()) / kSampleRate;
  for (const TdtToken& t : decoded) {
    const double start = std::min(t.frame * frame_seconds, length);
    const double end = std::min((t.frame + t.duration) * frame_seconds, length);
    tokens.push_back({t.token, offset + start, offset + end, t.probability});
    if (events.on_token) {
      TokenEvent e;
      e.token = t.token;
      e.probability = t.probability;
      events.on_token(e, offset);
    }
  }
  return tokens;
}

}  // namespace

Transcript transcribe_tdt(TransducerRunner& runner, const ParakeetConfig& config, const SampleReader& read,
                          std::size_t n, const ChunkingOptions& chunking, const PhraseBoost& boost,
                          const TokenMask& mask, const TranscribeEvents& events) {
  const std::vector<SampleRange> chunks = plan_chunks(n, kSampleRate, chunking);
  const int hop = config.features.hop_length;
  std::vector<TokenTiming> tokens;
  std::vector<float> samples;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (events.cancelled && events.cancelled()) throw Cancelled();
    if (i > 0 && events.between_windows) events.between_windows();  // each chunk is encoded afresh
    const SampleRange& chunk = chunks[i];
    samples.resize(chunk.count);
    if (chunk.count > 0) read(chunk.first, chunk.count, samples.data());
    const double offset = static_cast<double>(chunk.first) / kSampleRate;
    tokens = merge_chunk_tokens(std::move(tokens), decode_chunk(runner, config, samples, offset, boost, mask, events),
                                chunking.overlap_seconds);
    if (events.on_progress && n >= static_cast<std::size_t>(hop)) {
      events.on_progress(static_cast<int>((chunk.first + chunk.count) / hop), static_cast<int>(n / hop));
    }
  }
  Segment segment;
  segment.end = static_cast<double>(n) / kSampleRate;
  double logprob = 0;
  for (const TokenTiming& t : tokens) {
    segment.tokens.push_back(t.token);
    logprob += std::log(std::max(t.probability, 1e-30f));
  }
  if (!tokens.empty()) segment.avg_logprob = logprob / static_cast<double>(tokens.size());
  segment.token_timings = std::move(tokens);
  if (events.on_segment) events.on_segment(segment);
  Transcript transcript;
  transcript.segments.push_back(std::move(segment));
  return transcript;
}

}  // namespace verbatim
