// engineMemory() -> { mappedFilesBytes, heapInUseBytes (null: an allocator without figures) }; trimNativeHeap().
#pragma once

#include <napi.h>

namespace verbatim::addon {

void register_engine_memory(Napi::Object exports);

}  // namespace verbatim::addon
