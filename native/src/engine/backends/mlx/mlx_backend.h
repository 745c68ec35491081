// The MLX backend as the engine sees it: which device MLX can run on, and MLX's memory figures and limits (each
// family makes its network over MlxOps in its own folder, *_mlx.cpp). This header needs no MLX and is seen by every
// build; its functions are defined only when MLX is found (VERBATIM_HAS_MLX), so call them only under that define.
#pragma once

#include <cstddef>
#include <string>

namespace verbatim {

enum class MlxDevice { Gpu, Cpu };

// True when this MLX has a GPU backend and the machine has the GPU (Metal on a Mac, CUDA on Linux), unless the
// environment sets VERBATIM_NO_GPU=1: then MLX computes on its CPU (GitHub's macOS runners are virtual machines on
// which Metal is not to be relied on; their CI sets it).
bool mlx_gpu_available();

// Why mlx_gpu_available() is false: MLX's own reason (no Metal device, its Metal kernels' library rejected, no GPU
// backend built) or VERBATIM_NO_GPU; empty when it is true.
std::string mlx_gpu_problem();

const char* mlx_device_name(MlxDevice device);  // "gpu" or "cpu"

// MLX's allocator, for the whole process (every MLX model shares it).
struct MlxMemory {
  std::size_t active_bytes = 0;  // held by arrays
  std::size_t peak_bytes = 0;    // the most held at once since the process started
  std::size_t cache_bytes = 0;   // freed buffers MLX keeps for reuse
};
MlxMemory mlx_memory();

// How much freed memory MLX may keep cached (0: none).
void set_mlx_cache_limit(std::size_t bytes);
// How much memory Metal keeps resident (wired) for MLX; macOS 15 or later. Throws std::invalid_argument when
// it is above the recommended working set. Without Metal there is nothing to wire and this does nothing.
void set_mlx_wired_limit(std::size_t bytes);

}  // namespace verbatim
