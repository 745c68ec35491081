// The speaker model's blocks on small hand-checked cases (issue 67): rotary position embeddings, the speaker cache's
// frame scores, FIFO and compression, and segments. The compression cases were drawn at random against transformers
// 5.18's Nemotron3DiarizationSpeakerCache._compress (probabilities of 3 decimals, finite scores at least 2e-3 apart:
// no ties) until each rule (the latest frames' boost, the strong and the weak boosts, the exclusion of overlapped
// frames) changes the result when left out; the expected frames are transformers'.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "speakers/speaker_cache.h"
#include "speakers/speaker_model.h"
#include "speakers/speaker_network.h"
#include "support/speaker_runs.h"

namespace {

// Two speakers, a cache of 8 frames: a budget of 8 / 2 - 1 = 3 frames each besides one silence slot, so
// min_positive_scores floor(1.5) = 1, 2 strongly boosted and 4 weakly boosted frames per speaker.
verbatim::SpeakerCachePolicy two_speakers() {
  verbatim::SpeakerCachePolicy p;
  p.speakers = 2;
  p.subsampling = 1;
  p.cache_length = 8;
  p.silence_frames = 1;
  return p;
}

// Compresses 10 one-value frames whose value is their index (the silence embedding is -1) and returns the kept values.
std::vector<int> kept_frames(const std::vector<std::vector<float>>& probabilities) {
  verbatim::SpeakerCache cache(two_speakers(), 4, 2, 1);
  std::vector<float> embeds, probs;
  for (std::size_t f = 0; f < probabilities.size(); ++f) {
    embeds.push_back(static_cast<float>(f));
    probs.insert(probs.end(), probabilities[f].begin(), probabilities[f].end());
  }
  cache.compress(embeds, probs, static_cast<int>(probabilities.size()), {-1.0f});
  std::vector<int> out;
  for (float e : embeds) out.push_back(static_cast<int>(e));
  return out;
}

}  // namespace

TEST_CASE("speaker blocks: RoPE rotates each head's halves by position times 1 / theta^(2i / head_dim)") {
  // one head of 4: frequencies 1 and 1 / 100 for theta 10000; position 0 unchanged, position 1 rotated
  std::vector<float> x = {1, 2, 3, 4, 1, 0, 0, 0, 0, 1, 0, 0};
  verbatim::apply_rope(x, 3, 1, 4, 10000.0);
  CHECK(x[0] == doctest::Approx(1));
  CHECK(x[3] == doctest::Approx(4));
  // (a, b) = (x[i], x[i + 2]) -> (a cos - b sin, b cos + a sin) with angle position * frequency
  CHECK(x[4] == doctest::Approx(std::cos(1.0)));
  CHECK(x[6] == doctest::Approx(std::sin(1.0)));
  CHECK(x[5] == doctest::Approx(0));
  CHECK(x[9] == doctest::Approx(std::cos(0.02)));  // position 2, second pair: frequency 0.01
  CHECK(x[11] == doctest::Approx(std::sin(0.02)));
}

TEST_CASE("speaker blocks: frame scores as _get_frame_scores") {
  verbatim::SpeakerCache cache(two_speakers(), 4, 2, 1);
  // (0.8, 0.25): speaker 0 scores log 0.8 - log 0.25 + (log 0.25 + log 0.75) - log 0.5 = log 1.2; speaker 1 is not
  // speaking (p <= 0.5): -inf. (0.6, 0.4): log 0.6 - log 0.4 + log 0.4 + log 0.6 + log 2 = log 0.72 < 0, and speaker 0
  // has a positive frame (min_positive_scores 1), so the overlapped frame is excluded: -inf. (0.85, 0.8): both speak,
  // both score below 0: speaker 0 has enough positive frames (-inf); speaker 1 has none, so it keeps its score.
  const std::vector<float> probs = {0.8f, 0.25f, 0.6f, 0.4f, 0.85f, 0.8f};
  const std::vector<float> scores = cache.frame_scores(probs, 3);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(scores[0] == doctest::Approx(std::log(1.2)));
  CHECK(scores[1] == -inf);
  CHECK(scores[2] == -inf);
  CHECK(scores[4] == -inf);
  const double both = std::log(0.8) - std::log(0.25) + std::log(0.25) + std::log(0.25) - std::log(0.5);
  CHECK(scores[5] == doctest::Approx(both));
}

TEST_CASE("speaker blocks: compression keeps transformers' frames, grouped by speaker, silence slots after") {
  // speaker 0's kept frames in order, its silence slot, then speaker 1's, then silence for the rest (-1)
  CHECK(kept_frames({{0.758f, 0.279f}, {0.403f, 0.735f}, {0.029f, 0.8f}, {0.397f, 0.754f}, {0.57f, 0.439f},
                     {0.639f, 0.525f}, {0.683f, 0.305f}, {0.464f, 0.455f}, {0.572f, 0.498f}, {0.937f, 0.656f}}) ==
        std::vector<int>{0, -1, 2, -1, -1, -1, -1, -1});  // overlapped frames excluded
  CHECK(kept_frames({{0.681f, 0.086f}, {0.779f, 0.225f}, {0.835f, 0.292f}, {0.635f, 0.438f}, {0.735f, 0.052f},
                     {0.934f, 0.571f}, {0.951f, 0.843f}, {0.676f, 0.028f}, {0.284f, 0.31f}, {0.822f, 0.502f}}) ==
        std::vector<int>{0, 1, 4, 7, -1, 5, 6, -1});  // the weak boost
  CHECK(kept_frames({{0.557f, 0.73f}, {0.792f, 0.938f}, {0.155f, 0.64f}, {0.067f, 0.686f}, {0.243f, 0.695f},
                     {0.132f, 0.765f}, {0.858f, 0.775f}, {0.08f, 0.813f}, {0.183f, 0.032f}, {0.825f, 0.585f}}) ==
        std::vector<int>{6, 9, -1, 2, 3, 5, 7, -1});  // the strong boost
  CHECK(kept_frames({{0.208f, 0.01f}, {0.805f, 0.427f}, {0.705f, 0.525f}, {0.033f, 0.255f}, {0.641f, 0.399f},
                     {0.017f, 0.675f}, {0.519f, 0.339f}, {0.702f, 0.606f}, {0.316f, 0.949f}, {0.751f, 0.563f}}) ==
        std::vector<int>{1, 4, 6, 9, -1, 5, 8, -1});  // the latest frames' boost
}

TEST_CASE("speaker blocks: the FIFO moves at least update_period frames to the cache when it overflows") {
  verbatim::SpeakerCache cache(two_speakers(), 4, 2, 1);
  const auto push = [&](int frames) {
    const std::vector<float> chunk(static_cast<std::size_t>(frames), 1.0f);
    const std::vector<float> input = cache.input(chunk.data(), frames);
    const int rows = cache.cached_frames() + frames;
    cache.update(input, rows, std::vector<float>(static_cast<std::size_t>(rows) * 2, 0.0f), frames, rows, {0.0f});
  };
  push(3);
  CHECK(cache.cache_frames() == 0);
  CHECK(cache.fifo_frames() == 3);
  push(3);  // 6 > 4: max(2, 6 - 4) = 2 move
  CHECK(cache.cache_frames() == 2);
  CHECK(cache.fifo_frames() == 4);
  push(1);  // 5 > 4: max(2, 1) = 2 move
  CHECK(cache.cache_frames() == 4);
  CHECK(cache.fifo_frames() == 3);
  push(7);  // 10 > 4: 6 move, the cache's 10 frames compressed to 8
  CHECK(cache.cache_frames() == 8);
  CHECK(cache.fifo_frames() == 4);
  CHECK(cache.compressed());
}

TEST_CASE("speaker blocks: segments open above the threshold and close at the first frame that is not") {
  verbatim::SegmentTracker tracker(2, 0.01);
  // speaker 1 from frame 0 to 2, speaker 0 from 1 to 3, speaker 1 again from 3 to the end (5)
  const std::vector<float> first = {0.2f, 0.9f, 0.6f, 0.7f, 0.6f, 0.5f};
  const std::vector<float> rest = {0.4f, 0.51f, 0.1f, 0.99f};
  tracker.add(first.data(), 3);
  tracker.add(rest.data(), 2);
  const std::vector<verbatim::SpeakerSegment> segments = tracker.finish();
  REQUIRE(segments.size() == 3);
  CHECK(segments[0].speaker == 1);
  CHECK(segments[0].end == doctest::Approx(0.02));
  CHECK(segments[1].speaker == 0);
  CHECK(segments[1].start == doctest::Approx(0.01));
  CHECK(segments[1].end == doctest::Approx(0.03));
  CHECK(segments[2].speaker == 1);
  CHECK(segments[2].start == doctest::Approx(0.03));
  CHECK(segments[2].end == doctest::Approx(0.05));
}

TEST_CASE("speaker blocks: a stream holds bounded state however long it runs") {
  const auto model = verbatim::test::load_speaker_model(
      std::string(VERBATIM_REFERENCE_DIR) + "/../models/diarization-tiny", verbatim::BackendChoice::Cpu);
  verbatim::SpeakerStream stream(model, "ultra_low_latency");
  // 3 minutes of a chirp in 100 ms pushes: the cache and FIFO stay within speaker_cache_length + fifo_length
  // frames, the kept samples within one chunk's (P x 160 + 400 + 1 for P = 8 x (3 + 1) mel frames)
  const std::size_t chunk_samples = 8 * 4 * 160 + 400 + 1;
  std::vector<float> push(1600);
  std::size_t most_samples = 0;
  int most_frames = 0;
  int64_t frames = 0;
  for (int p = 0; p < 1800; ++p) {
    for (std::size_t i = 0; i < push.size(); ++i) {
      const double t = (p * 1600.0 + i) / 16000.0;
      push[i] = static_cast<float>(0.3 * std::sin(2 * 3.14159265 * (200 + 5 * std::fmod(t, 60.0)) * t));
    }
    frames += static_cast<int64_t>(stream.push(push.data(), push.size()).size() / 4);
    most_samples = std::max(most_samples, stream.held_samples());
    most_frames = std::max(most_frames, stream.cached_frames());
  }
  frames += static_cast<int64_t>(stream.finish().size() / 4);
  CHECK(frames == 1800 * 10);
  CHECK(most_frames <= 16 + 12);
  CHECK(most_samples <= chunk_samples + 1600);
  CHECK(stream.held_samples() == 0);
}
