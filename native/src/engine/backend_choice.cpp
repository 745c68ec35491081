#include "backend_choice.h"

#include <stdexcept>

namespace verbatim {

ChosenBackend choose_backend(const EngineOptions& options) {
#if defined(VERBATIM_HAS_MLX)
  if (options.backend == BackendChoice::Mlx || (options.backend == BackendChoice::Auto && mlx_gpu_available())) {
    if (options.mlx_cache_limit_bytes) set_mlx_cache_limit(*options.mlx_cache_limit_bytes);
    if (options.mlx_wired_limit_bytes) set_mlx_wired_limit(*options.mlx_wired_limit_bytes);
    const MlxDevice device = mlx_gpu_available() ? MlxDevice::Gpu : MlxDevice::Cpu;
    return {true, device, mlx_device_name(device)};
  }
#else
  if (options.backend == BackendChoice::Mlx) {
    throw std::invalid_argument(
        "this build of the engine has no MLX backend: install MLX (on a Mac: brew install mlx), then run `npm "
        "install` again");
  }
#endif
  return {};
}

}  // namespace verbatim
