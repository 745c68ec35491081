// The C allocator's figures and its trim, for the daemon's memory report: how much of the process's memory is native
// heap in use (the engine's buffers among it), and how much the allocator holds freed without giving it back.
#include "native_heap.h"

#if defined(__APPLE__)
#include <malloc/malloc.h>
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace verbatim::addon {
namespace {

Napi::Value NativeHeap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
#if defined(__APPLE__)
  malloc_statistics_t stats{};
  malloc_zone_statistics(nullptr, &stats);  // every zone
  result.Set("inUseBytes", static_cast<double>(stats.size_in_use));
  result.Set("freeBytes", static_cast<double>(stats.size_allocated - stats.size_in_use));
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  const struct mallinfo2 stats = mallinfo2();
  // uordblks: in use from the arenas; hblkhd: large blocks mapped on their own (in use until freed).
  result.Set("inUseBytes", static_cast<double>(stats.uordblks + stats.hblkhd));
  result.Set("freeBytes", static_cast<double>(stats.fordblks));
#else
  return env.Null();
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

void register_native_heap(Napi::Object exports) {
  Napi::Env env = exports.Env();
  exports.Set("nativeHeap", Napi::Function::New(env, NativeHeap));
  exports.Set("trimNativeHeap", Napi::Function::New(env, TrimNativeHeap));
}

}  // namespace verbatim::addon
