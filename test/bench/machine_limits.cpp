// The machine's limits that the benchmark's figures are set against: memory read bandwidth (a STREAM-like sum over
// a buffer far larger than the caches, every thread reading its own part at once), fp32 FMA throughput (every
// thread running independent fused multiply-adds on registers) and, where the build has AVX-512 VNNI, the rate of
// 8-bit integer multiply-adds in vpdpbusd (the 4-bit kernels' instruction) likewise. Prints one JSON line.
//
// usage: machine_limits [--threads N]
#include <algorithm>
#if defined(__AVX512VNNI__)
#include <immintrin.h>
#endif
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// 16 floats: GCC and Clang compile it to the widest vectors -march=native allows (AVX-512, AVX2, NEON).
typedef float Vec __attribute__((vector_size(64)));

constexpr std::size_t kBufferBytes = std::size_t{512} << 20;
constexpr int kRepeats = 5;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs work(thread) on `threads` threads at once; returns the wall time of the slowest.
template <class Work>
double timed_on_threads(int threads, Work work) {
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();
  return seconds_since(start);
}

volatile float sink;  // keeps the results alive

double read_bandwidth_gbps(int threads) {
  const std::size_t count = kBufferBytes / sizeof(Vec);
  std::vector<Vec> buffer(count);
  for (std::size_t i = 0; i < count; ++i) buffer[i] = Vec{} + static_cast<float>(i % 7);  // touch every page
  const std::size_t per_thread = count / static_cast<std::size_t>(threads);
  double best = 1e30;
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    best = std::min(best, timed_on_threads(threads, [&](int t) {
      const Vec* part = buffer.data() + static_cast<std::size_t>(t) * per_thread;
      Vec a{}, b{}, c{}, d{};
      for (std::size_t i = 0; i + 4 <= per_thread; i += 4) {
        a += part[i];
        b += part[i + 1];
        c += part[i + 2];
        d += part[i + 3];
      }
      const Vec total = a + b + c + d;
      sink = total[0];
    }));
  }
  return static_cast<double>(per_thread * static_cast<std::size_t>(threads) * sizeof(Vec)) / best / 1e9;
}

double fma_gflops(int threads) {
  constexpr int kAccumulators = 12;  // enough independent chains to cover the FMA latency
  constexpr long kSteps = 20'000'000;
  double best = 1e30;
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    best = std::min(best, timed_on_threads(threads, [&](int) {
      Vec acc[kAccumulators];
      for (int k = 0; k < kAccumulators; ++k) acc[k] = Vec{} + static_cast<float>(k);
      const Vec m = Vec{} + 0.999999f, add = Vec{} + 1e-7f;
      for (long step = 0; step < kSteps; ++step) {
        for (auto& a : acc) a = a * m + add;  // contracted to one FMA per vector
      }
      Vec total{};
      for (auto& a : acc) total += a;
      sink = total[0];
    }));
  }
  const double flops = 2.0 * 16 * kAccumulators * static_cast<double>(kSteps) * threads;
  return flops / best / 1e9;
}

#if defined(__AVX512VNNI__)
// Billions of 8-bit multiply-adds a second: 64 per vpdpbusd of 512 bits.
double int8_gmacs(int threads) {
  constexpr long kSteps = 20'000'000;
  double best = 1e30;
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    best = std::min(best, timed_on_threads(threads, [&](int) {
      __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
              a9 = a0;
      __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-5);
      for (long step = 0; step < kSteps; ++step) {
        // Ten independent chains cover the latency; the empty asm keeps the compiler from merging the identical
        // sums or hoisting them out of the loop.
        a0 = _mm512_dpbusd_epi32(a0, u, s), a1 = _mm512_dpbusd_epi32(a1, u, s), a2 = _mm512_dpbusd_epi32(a2, u, s);
        a3 = _mm512_dpbusd_epi32(a3, u, s), a4 = _mm512_dpbusd_epi32(a4, u, s), a5 = _mm512_dpbusd_epi32(a5, u, s);
        a6 = _mm512_dpbusd_epi32(a6, u, s), a7 = _mm512_dpbusd_epi32(a7, u, s), a8 = _mm512_dpbusd_epi32(a8, u, s);
        a9 = _mm512_dpbusd_epi32(a9, u, s);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7),
                         "+v"(a8), "+v"(a9));
      }
      __m512i total = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
      total = _mm512_add_epi32(total, _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
      total = _mm512_add_epi32(total, _mm512_add_epi32(a8, a9));
      alignas(64) int32_t lanes[16];
      _mm512_store_si512(lanes, total);
      sink = static_cast<float>(lanes[0]);
    }));
  }
  return 64.0 * 10 * static_cast<double>(kSteps) * threads / best / 1e9;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: machine_limits [--threads N]\n");
      return 2;
    }
  }
#if defined(__AVX512VNNI__)
  const std::string int8 = std::to_string(static_cast<long>(int8_gmacs(threads) + 0.5));
#else
  const std::string int8 = "null";
#endif
  std::printf("{\"threads\":%d,\"read_gbps\":%.1f,\"fma_gflops\":%.1f,\"int8_gmacs\":%s}\n", threads,
              read_bandwidth_gbps(threads), fma_gflops(threads), int8.c_str());
  return 0;
}
