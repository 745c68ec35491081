#include "engine.h"

#include <stdexcept>

#include "model_families.h"

namespace verbatim {

BackendChoice parse_backend_choice(const std::string& name) {
  if (name == "auto") return BackendChoice::Auto;
  if (name == "cpu") return BackendChoice::Cpu;
  if (name == "mlx") return BackendChoice::Mlx;
  throw std::invalid_argument("unknown backend \"" + name + "\": use \"auto\", \"cpu\" or \"mlx\"");
}

BuiltBackends built_backends() {
#if defined(VERBATIM_HAS_MLX)
  return {true, mlx_gpu_available(), mlx_gpu_problem()};
#else
  return {};
#endif
}

std::optional<MlxMemory> Engine::memory() const {
#if defined(VERBATIM_HAS_MLX)
  if (backend_name() == "mlx") return mlx_memory();
#endif
  return std::nullopt;
}

std::unique_ptr<Engine> Engine::load(const std::string& folder, const EngineOptions& options) {
  return read_model_family(folder).load(folder, options);
}

}  // namespace verbatim
