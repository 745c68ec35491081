#include "backends/mlx/mlx_backend.h"

#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "backends/mlx/mlx_ops.h"

namespace mx = mlx::core;

namespace verbatim {

namespace {

bool gpu_switched_off() {
  const char* value = std::getenv("VERBATIM_NO_GPU");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace

bool mlx_gpu_available() { return !gpu_switched_off() && mx::is_available(mx::Device::gpu); }

std::string mlx_gpu_problem() {
  if (gpu_switched_off()) return "VERBATIM_NO_GPU=1 keeps MLX on its CPU";
  if (mx::is_available(mx::Device::gpu)) return {};
  try {
    // MLX's availability check swallows the reason; asking for the device's details throws it (MLX 0.31 and later).
    mx::device_info(mx::Device::gpu);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "this MLX has no GPU backend";
}

const char* mlx_device_name(MlxDevice device) { return device == MlxDevice::Gpu ? "gpu" : "cpu"; }

mx::Device mlx_compute_device(MlxDevice device) {
  if (device == MlxDevice::Gpu && !mlx_gpu_available()) {
    throw std::invalid_argument("MLX has no GPU here (this MLX was built without Metal or CUDA, or there is no GPU)");
  }
  return device == MlxDevice::Gpu ? mx::Device::gpu : mx::Device::cpu;
}

MlxMemory mlx_memory() { return {mx::get_active_memory(), mx::get_peak_memory(), mx::get_cache_memory()}; }

void set_mlx_cache_limit(std::size_t bytes) { mx::set_cache_limit(bytes); }

void set_mlx_wired_limit(std::size_t bytes) { mx::set_wired_limit(bytes); }

}  // namespace verbatim
