// Whisper on the portable CPU backend: the one network definition (whisper_model.h) over CpuOps.
#include <stdexcept>
#include <utility>

#include "backends/cpu/cpu_backend.h"
#include "whisper/whisper_model.h"
#include "whisper/whisper_runners.h"

namespace verbatim {

template class WhisperModel<CpuOps>;

std::unique_ptr<WhisperRunner> make_whisper_cpu_runner(std::shared_ptr<const WhisperWeights> weights, int threads) {
  if (weights == nullptr) throw std::invalid_argument("make_whisper_cpu_runner needs weights");
  return std::make_unique<WhisperModel<CpuOps>>(std::move(weights), make_cpu_ops(threads));
}

}  // namespace verbatim
