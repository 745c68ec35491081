// Whether a model's stored float values are all finite. A NaN or an infinity in a weight, or in a quantized matrix's
// scales or biases, makes every output it touches NaN, and decoding then makes nonsense of it (a Parakeet model's
// "<unk>" at every frame, a Whisper model's "no speech"): the loaders refuse such a file, naming the tensor.
// The scan looks at each value's exponent bits only, a block at a time, at the speed of memory.
#pragma once

#include <cstdint>
#include <string>

#include "formats/tensor_file.h"

namespace verbatim {

// The index of the first NaN or infinity among `count` values of `dtype` (F32, F16 or BF16; any other dtype has
// none) at `data`, which may be unaligned; -1 when every value is finite.
int64_t first_non_finite(const uint8_t* data, DType dtype, int64_t count);

// Throws FormatError naming `path`, the tensor `name` and the first value that is not finite, with what to do.
[[noreturn]] void fail_non_finite(const std::string& path, const std::string& name, DType dtype, const uint8_t* data,
                                  int64_t index, int64_t count);

// Throws (fail_non_finite) unless every value of `view` is finite.
void check_finite(const std::string& path, const std::string& name, const TensorView& view);

}  // namespace verbatim
