// The two container parsers behind TensorFile::parse. Internal to the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/tensor_file.h"

namespace verbatim {

struct ParsedTensors {
  std::map<std::string, TensorView> tensors;
  std::map<std::string, std::string> metadata;
};

// `name` prefixes every error message. The views point into `bytes`.
ParsedTensors parse_safetensors(const uint8_t* bytes, std::size_t size, const std::string& name);
ParsedTensors parse_npz(const uint8_t* bytes, std::size_t size, const std::string& name);

// product(shape) * dtype_size(dtype) in bytes, or false when a dimension is negative or the product overflows
// (the element count must also fit in int64).
bool tensor_nbytes(DType dtype, const std::vector<int64_t>& shape, uint64_t* nbytes);

std::string format_shape(const std::vector<int64_t>& shape);  // "(3, 4)", "()" for a scalar

}  // namespace verbatim
