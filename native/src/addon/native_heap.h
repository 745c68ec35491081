// nativeHeap() -> { inUseBytes, freeBytes } | null (an allocator without figures); trimNativeHeap().
#pragma once

#include <napi.h>

namespace verbatim::addon {

void register_native_heap(Napi::Object exports);

}  // namespace verbatim::addon
