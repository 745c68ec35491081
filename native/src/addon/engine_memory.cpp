// The engine's memory figures and the C allocator's trim, for the daemon's memory report: the mapped weight files'
// pages in memory, and the native heap in use (the engine's buffers among it).
#include "engine_memory.h"

#include "formats/mapped_file.h"

#if defined(__APPLE__)
#include <malloc/malloc.h>
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace verbatim::addon {
namespace {

Napi::Value EngineMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("mappedFilesBytes", static_cast<double>(resident_mapped_bytes()));
#if defined(__APPLE__)
  malloc_statistics_t stats{};
  malloc_zone_statistics(nullptr, &stats);  // every zone
  result.Set("heapInUseBytes", static_cast<double>(stats.size_in_use));
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  const struct mallinfo2 stats = mallinfo2();
  // uordblks: in use from the arenas; hblkhd: large blocks mapped on their own (in use until freed).
  result.Set("heapInUseBytes", static_cast<double>(stats.uordblks + stats.hblkhd));
#else
  result.Set("heapInUseBytes", env.Null());
#endif
  return result;
}

// Gives freed heap memory back to the system (glibc keeps it in its arenas; macOS's zones, until pressure).
Napi::Value TrimNativeHeap(const Napi::CallbackInfo& info) {
#if defined(__APPLE__)
  malloc_zone_pressure_relief(nullptr, 0);
#elif defined(__GLIBC__)
  malloc_trim(0);
#endif
  return info.Env().Undefined();
}

}  // namespace

void register_engine_memory(Napi::Object exports) {
  Napi::Env env = exports.Env();
  exports.Set("engineMemory", Napi::Function::New(env, EngineMemory));
  exports.Set("trimNativeHeap", Napi::Function::New(env, TrimNativeHeap));
}

}  // namespace verbatim::addon
