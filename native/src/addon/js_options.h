// Reading the options objects JS passes in: each becomes OptionValues, which the model's family reads as its own
// (engine.h); the engine's load options are read here. A wrong type or value throws std::invalid_argument naming
// the option, which reaches JS as an ERR_INVALID_ARGUMENT error.
#pragma once

#include <napi.h>

#include "engine.h"
#include "options/option_values.h"

namespace verbatim::addon {

// An options object (undefined or null: none given) as values; std::invalid_argument for anything but an object.
OptionValues option_values(const Napi::Value& value);

EngineOptions read_engine_options(const Napi::Value& value);

}  // namespace verbatim::addon
