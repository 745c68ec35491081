// A Nemotron stream run over a whole clip, as the transformers parity test and the MLX test drive it: the tokens,
// their frames and probabilities, and the encoder's rows of every chunk.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "nemotron/nemotron_runners.h"
#include "nemotron/nemotron_stream.h"
#include "transducer/phrase_boost.h"
#include "transducer/token_mask.h"

namespace verbatim::test {

struct NemotronRun {
  std::vector<int> tokens, frames;
  std::vector<float> probabilities;
  std::vector<float> encoder;  // every chunk's rows, in order
  std::size_t pushed = 0;      // tokens the pushes gave, before the stream was finished
};

// The stream over `samples`, pushed in pieces of `piece` samples, ended as `end` says, with the language prompt
// `prompt` (-1: none), boosting `boost`'s terms and never emitting `mask`'s pieces.
inline NemotronRun run_nemotron_stream(NemotronRunner& runner, const NemotronConfig& config,
                                       const std::vector<float>& samples, int lookahead, StreamEnd end,
                                       std::size_t piece, int prompt = -1, const PhraseBoost& boost = {},
                                       const TokenMask& mask = {}) {
  NemotronStream stream(runner, config, lookahead, prompt, boost, mask);
  NemotronRun run;
  stream.on_encoded = [&run](const std::vector<float>& rows) {
    run.encoder.insert(run.encoder.end(), rows.begin(), rows.end());
  };
  const auto take = [&run](const std::vector<DecodedToken>& tokens) {
    for (const DecodedToken& t : tokens) {
      run.tokens.push_back(t.id);
      run.frames.push_back(static_cast<int>(t.frame));
      run.probabilities.push_back(t.probability);
    }
  };
  for (std::size_t first = 0; first < samples.size(); first += piece) {
    take(stream.push(samples.data() + first, std::min(piece, samples.size() - first)));
  }
  run.pushed = run.tokens.size();
  take(stream.finish(end));
  return run;
}

}  // namespace verbatim::test
