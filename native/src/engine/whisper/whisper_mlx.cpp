// Whisper on MLX: the one network definition (whisper_model.h) over MlxOps.
#include <stdexcept>
#include <utility>

#include "backends/mlx/mlx_ops.h"
#include "whisper/whisper_model.h"
#include "whisper/whisper_runners.h"

namespace mx = mlx::core;

namespace verbatim {

template class WhisperModel<MlxOps>;

std::unique_ptr<WhisperRunner> make_whisper_mlx_runner(std::shared_ptr<const WhisperWeights> weights,
                                                       MlxDevice device) {
  if (weights == nullptr) throw std::invalid_argument("make_whisper_mlx_runner needs weights");
  // bf16 activations would lose too much: fp32 there
  const mx::Dtype compute = stored_dtype(*weights) == DType::F16 ? mx::float16 : mx::float32;
  MlxOps ops(mlx_compute_device(device), compute);
  return std::make_unique<WhisperModel<MlxOps>>(std::move(weights), std::move(ops));
}

}  // namespace verbatim
