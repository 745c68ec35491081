// libFuzzer target: TensorFile::parse on arbitrary bytes (safetensors or npz, chosen by content).
// Every accepted tensor's bytes are read so that AddressSanitizer checks they lie inside the input.
#include <cstddef>
#include <cstdint>

#include "formats/tensor_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const auto file = verbatim::TensorFile::parse(data, size, "fuzz");
    unsigned checksum = 0;
    for (const auto& entry : file->tensors()) {
      const verbatim::TensorView& view = entry.second;
      if (view.nbytes != static_cast<std::size_t>(view.elements()) * verbatim::dtype_size(view.dtype)) __builtin_trap();
      for (std::size_t i = 0; i < view.nbytes; ++i) checksum += view.data[i];
    }
    for (const auto& entry : file->metadata()) checksum += static_cast<unsigned>(entry.second.size());
    volatile unsigned sink = checksum;
    (void)sink;
  } catch (const verbatim::FormatError&) {
  }
  return 0;
}
