// The conformer encoder's subsampling in blocks (conformer/conformer_encoder.h, issue 66): the rows it gives equal
// the whole subsampling's, and a long chunk's encoding holds little more memory than a short one's (the bytes held
// through operator new: support/held_bytes.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "conformer/conformer_encoder.h"
#include "parakeet/parakeet_weights.h"
#include "support/held_bytes.h"

namespace {

const std::string kFixtures = std::string(VERBATIM_REFERENCE_DIR) + "/../";

// The layers after the subsampling multiply matrices whose row counts differ between the two, which rounds fp32
// sums in another order: measured up to 1.6e-6 on outputs of |x| up to ~4 (2026-11-27, AMD EPYC, OpenBLAS). A row
// computed from zeros where features belong differs by far more than this bound.
constexpr double kTolerance = 1e-5;

// Feature frames of a deterministic pseudo-random signal in [-2, 2): the encoder reads any values.
std::vector<float> features_of(int frames, int n_mels) {
  std::vector<float> out(static_cast<std::size_t>(frames) * n_mels);
  uint32_t state = 12345;
  for (float& v : out) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / static_cast<float>(1 << 24) * 4.0f - 2.0f;
  }
  return out;
}

std::vector<float> encode(const verbatim::ParakeetWeights& weights, const std::vector<float>& features, int frames,
                          int block_rows) {
  verbatim::CpuOps ops = verbatim::make_cpu_ops(2);
  verbatim::ConformerEncoder<verbatim::CpuOps> encoder(weights.config, weights, ops, block_rows);
  int rows = 0;
  const verbatim::CpuTensor out = encoder.encode(features.data(), frames, rows, nullptr);
  REQUIRE(rows == (frames + 7) / 8);
  return out.data;
}

// The most bytes held at once during an encoding of `frames` frames, above what was held before it.
int64_t encoding_peak(const verbatim::ParakeetWeights& weights, const std::vector<float>& features, int frames) {
  verbatim::CpuOps ops = verbatim::make_cpu_ops(2);
  verbatim::ConformerEncoder<verbatim::CpuOps> encoder(weights.config, weights, ops);
  const int64_t before = verbatim::testing::held_bytes();
  verbatim::testing::reset_peak_held_bytes();
  int rows = 0;
  const verbatim::CpuTensor out = encoder.encode(features.data(), frames, rows, nullptr);
  return verbatim::testing::peak_held_bytes() - before;
}

}  // namespace

TEST_CASE("conformer encoder: the subsampling in blocks gives the rows the whole subsampling gives") {
  for (const char* name : {"parakeet-tiny", "parakeet-tiny-v3"}) {
    INFO(name);
    const verbatim::ParakeetWeights weights = verbatim::load_parakeet_weights(kFixtures + "models/" + name);
    const int n_mels = weights.config.features.n_mels;
    const std::vector<float> features = features_of(1001, n_mels);
    // Whole lengths of rows and lengths that end inside a row's 8 frames; a block of one row; blocks that divide
    // the rows and blocks that leave a shorter last one.
    for (const int frames : {1, 7, 8, 9, 64, 999, 1001}) {
      INFO("frames " << frames);
      const std::vector<float> whole = encode(weights, features, frames, 1 << 30);
      for (const int block_rows : {1, 2, 5, 16, 125}) {
        INFO("block of " << block_rows << " rows");
        const std::vector<float> blocked = encode(weights, features, frames, block_rows);
        REQUIRE(blocked.size() == whole.size());
        double worst = 0;
        for (std::size_t i = 0; i < whole.size(); ++i) {
          worst = std::max(worst, std::abs(static_cast<double>(blocked[i]) - whole[i]));
        }
        CHECK(worst <= kTolerance);
      }
    }
  }
}

TEST_CASE("conformer encoder: a 120 s chunk's encoding holds little more than a 30 s one's") {
  const verbatim::ParakeetWeights weights = verbatim::load_parakeet_weights(kFixtures + "models/parakeet-tiny-v3");
  const verbatim::ConformerConfig& config = weights.config;
  const int short_frames = 3000, long_frames = 12000;  // 30 s and 120 s of 10 ms frames
  const std::vector<float> features = features_of(long_frames, config.features.n_mels);
  const int64_t short_peak = encoding_peak(weights, features, short_frames);
  const int64_t long_peak = encoding_peak(weights, features, long_frames);
  // What must grow with the length: the layers' activations, a few tensors of at most ff_hidden floats a row (the
  // attention's q, k, v, positions and per-thread scores among them). Eight such tensors over the added rows bound
  // it. Measured (2 threads, 2026-11-27): +3.5 MB in blocks, 2.7 times under the bound of 9.2 MB; the subsampling
  // computed whole (a block of 1 << 30 rows, the code before issue 66) +23.0 MB, 2.5 times over: its first
  // convolution's output alone is channels x 4 x n_mels / 2 floats a row, 16 x ff_hidden here and in parakeet-v3.
  const int64_t added_rows = (long_frames - short_frames) / 8;
  const int64_t bound = 8 * added_rows * config.ff_hidden * static_cast<int64_t>(sizeof(float));
  INFO("30 s: " << short_peak << " bytes; 120 s: " << long_peak << " bytes; bound on the difference " << bound);
  CHECK(long_peak - short_peak <= bound);
}
