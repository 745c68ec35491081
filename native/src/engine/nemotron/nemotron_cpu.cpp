// Nemotron on the portable CPU backend: the one network definition (nemotron_model.h) over CpuOps.
#include <memory>
#include <stdexcept>
#include <utility>

#include "backends/cpu/cpu_backend.h"
#include "nemotron/nemotron_model.h"
#include "nemotron/nemotron_runners.h"

namespace verbatim {

template class NemotronModel<CpuOps>;

std::unique_ptr<NemotronRunner> make_nemotron_cpu_runner(std::shared_ptr<const NemotronWeights> weights, int threads) {
  if (weights == nullptr) throw std::invalid_argument("make_nemotron_cpu_runner needs weights");
  return std::make_unique<NemotronModel<CpuOps>>(std::move(weights), make_cpu_ops(threads));
}

}  // namespace verbatim
