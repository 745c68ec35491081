// The global operator new and delete of the test binary, counting the bytes held (support/held_bytes.h).
#include "support/held_bytes.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<int64_t> held{0};
std::atomic<int64_t> peak{0};

// Each block carries its size in front of it, a whole alignment unit, so the pointer returned stays aligned.
constexpr std::size_t kHeader = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

}  // namespace

void* operator new(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(block) = size;
  const int64_t now = held += static_cast<int64_t>(size);
  int64_t most = peak.load();
  while (now > most && !peak.compare_exchange_weak(most, now)) {
  }
  return block + kHeader;
}

void operator delete(void* pointer) noexcept {
  if (pointer == nullptr) return;
  auto* block = static_cast<unsigned char*>(pointer) - kHeader;
  held -= static_cast<int64_t>(*reinterpret_cast<std::size_t*>(block));
  std::free(block);
}

void operator delete(void* pointer, std::size_t) noexcept { operator delete(pointer); }

namespace verbatim::testing {

int64_t held_bytes() { return held.load(); }
int64_t peak_held_bytes() { return peak.load(); }
void reset_peak_held_bytes() { peak = held.load(); }

}  // namespace verbatim::testing
