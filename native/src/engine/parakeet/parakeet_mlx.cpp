// Parakeet TDT on MLX: the one model definition (parakeet_model.h) over MlxOps.
#include <stdexcept>
#include <utility>

#include "backends/mlx/mlx_backend.h"
#include "backends/mlx/mlx_ops.h"
#include "parakeet/parakeet_model.h"

namespace mx = mlx::core;

namespace verbatim {

template class ParakeetModel<MlxOps>;

std::unique_ptr<TransducerRunner> make_mlx_transducer_runner(std::shared_ptr<const ParakeetWeights> weights,
                                                             MlxDevice device) {
  if (weights == nullptr) throw std::invalid_argument("make_mlx_transducer_runner needs weights");
  if (device == MlxDevice::Gpu && !mlx_gpu_available()) {
    throw std::invalid_argument("MLX has no GPU here (this MLX was built without Metal or CUDA, or there is no GPU)");
  }
  // fp32 activations whatever the weights' precision: the 16-bit weights are widened by each product, so the
  // encoder and joint match the portable CPU backend up to the order of fp32 sums.
  MlxOps ops(device == MlxDevice::Gpu ? mx::Device::gpu : mx::Device::cpu, mx::float32,
             MlxOps::DenseWeights::AsStored);
  return std::make_unique<ParakeetModel<MlxOps>>(std::move(weights), std::move(ops));
}

}  // namespace verbatim
