// Nemotron's network on each backend (nemotron_cpu.cpp; MLX is not written yet).
#pragma once

#include <memory>

#include "nemotron/nemotron_model.h"
#include "nemotron/nemotron_weights.h"

namespace verbatim {

// On the portable CPU backend, with `threads` as make_cpu_ops takes them.
std::unique_ptr<NemotronRunner> make_nemotron_cpu_runner(std::shared_ptr<const NemotronWeights> weights, int threads);

}  // namespace verbatim
