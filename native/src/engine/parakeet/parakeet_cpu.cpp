// Parakeet TDT on the portable CPU backend: the one network definition (parakeet_model.h) over CpuOps.
#include <stdexcept>
#include <utility>

#include "backends/cpu/cpu_backend.h"
#include "parakeet/parakeet_model.h"
#include "parakeet/parakeet_runners.h"

namespace verbatim {

template class ParakeetModel<CpuOps>;

std::unique_ptr<TransducerRunner> make_parakeet_cpu_runner(std::shared_ptr<const ParakeetWeights> weights,
                                                           int threads) {
  if (weights == nullptr) throw std::invalid_argument("make_parakeet_cpu_runner needs weights");
  return std::make_unique<ParakeetModel<CpuOps>>(std::move(weights), make_cpu_ops(threads));
}

}  // namespace verbatim
