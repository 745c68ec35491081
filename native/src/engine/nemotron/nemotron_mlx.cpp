// Nemotron on MLX: the one network definition (nemotron_model.h) over MlxOps.
#include <memory>
#include <stdexcept>
#include <utility>

#include "backends/mlx/mlx_ops.h"
#include "nemotron/nemotron_model.h"
#include "nemotron/nemotron_runners.h"

namespace mx = mlx::core;

namespace verbatim {

template class NemotronModel<MlxOps>;

std::unique_ptr<NemotronRunner> make_nemotron_mlx_runner(std::shared_ptr<const NemotronWeights> weights,
                                                         MlxDevice device) {
  if (weights == nullptr) throw std::invalid_argument("make_nemotron_mlx_runner needs weights");
  // fp32 activations whatever the weights' precision, as Parakeet's (parakeet_mlx.cpp): the 16-bit weights are
  // widened by each product, so the encoder and joint match the portable CPU backend up to the order of fp32 sums.
  MlxOps ops(mlx_compute_device(device), mx::float32, MlxOps::DenseWeights::AsStored);
  return std::make_unique<NemotronModel<MlxOps>>(std::move(weights), std::move(ops));
}

}  // namespace verbatim
