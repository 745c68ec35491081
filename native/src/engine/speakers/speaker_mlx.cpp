// The speaker network on MLX: the one network definition (speaker_network.h) over MlxOps.
#include <memory>
#include <stdexcept>
#include <utility>

#include "backends/mlx/mlx_ops.h"
#include "speakers/speaker_network.h"

namespace mx = mlx::core;

namespace verbatim {

template class SpeakerNetworkOn<MlxOps>;

std::unique_ptr<SpeakerNetwork> make_speaker_mlx_network(std::shared_ptr<const SpeakerWeights> weights,
                                                         MlxDevice device) {
  if (weights == nullptr) throw std::invalid_argument("make_speaker_mlx_network needs weights");
  // fp32 activations whatever the weights' precision, as Parakeet's and Nemotron's: the 16-bit weights are widened by
  // each product, so the logits match the portable CPU backend up to the order of fp32 sums.
  MlxOps ops(mlx_compute_device(device), mx::float32, MlxOps::DenseWeights::AsStored);
  return std::make_unique<SpeakerNetworkOn<MlxOps>>(std::move(weights), std::move(ops));
}

}  // namespace verbatim
