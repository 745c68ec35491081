// Parakeet TDT on MLX: the one network definition (parakeet_model.h) over MlxOps.
#include <stdexcept>
#include <utility>

#include "backends/mlx/mlx_ops.h"
#include "parakeet/parakeet_model.h"
#include "parakeet/parakeet_runners.h"

namespace mx = mlx::core;

namespace verbatim {

template class ParakeetModel<MlxOps>;

std::unique_ptr<TransducerRunner> make_parakeet_mlx_runner(std::shared_ptr<const ParakeetWeights> weights,
                                                           MlxDevice device) {
  if (weights == nullptr) throw std::invalid_argument("make_parakeet_mlx_runner needs weights");
  // fp32 activations whatever the weights' precision: the 16-bit weights are widened by each product, so the
  // encoder and joint match the portable CPU backend up to the order of fp32 sums.
  MlxOps ops(mlx_compute_device(device), mx::float32, MlxOps::DenseWeights::AsStored);
  return std::make_unique<ParakeetModel<MlxOps>>(std::move(weights), std::move(ops));
}

}  // namespace verbatim
