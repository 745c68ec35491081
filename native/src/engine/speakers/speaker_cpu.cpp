// The speaker network on the portable CPU backend, and the host-side RoPE it shares with every backend.
#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>

#include "backends/cpu/cpu_backend.h"
#include "speakers/speaker_network.h"

namespace verbatim {

void apply_rope(std::vector<float>& x, int rows, int heads, int head_dim, double theta) {
  const int half = head_dim / 2;
  std::vector<float> inverse(half);
  // as torch: 1 / theta ** (arange(0, dim, 2) / dim) in float32, the angle position * frequency in float32
  for (int i = 0; i < half; ++i) {
    inverse[i] = 1.0f / std::pow(static_cast<float>(theta), static_cast<float>(2 * i) / static_cast<float>(head_dim));
  }
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < half; ++i) {
      const float angle = static_cast<float>(r) * inverse[i];
      const float c = std::cos(angle), s = std::sin(angle);
      for (int h = 0; h < heads; ++h) {
        float* v = x.data() + (static_cast<std::size_t>(r) * heads + h) * head_dim;
        const float a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
  }
}

template class SpeakerNetworkOn<CpuOps>;

std::unique_ptr<SpeakerNetwork> make_speaker_cpu_network(std::shared_ptr<const SpeakerWeights> weights, int threads) {
  if (weights == nullptr) throw std::invalid_argument("make_speaker_cpu_network needs weights");
  return std::make_unique<SpeakerNetworkOn<CpuOps>>(std::move(weights), make_cpu_ops(threads));
}

}  // namespace verbatim
