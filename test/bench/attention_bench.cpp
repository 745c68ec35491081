// The cross-attention of one Whisper decoder step on the CPU backend, apart from the rest of the step: one query (a
// greedy step) and five (a step of five beams) over the 1500 encoder positions, the keys and values held as
// CpuOps::key_cache and value_cache hold them (fp16, each head's rows together). It goes round enough caches (more
// bytes than the caches hold) that each comes from memory, as in decoding, where a whole step's weights pass between
// two visits to a layer's cache. Then a step's self-attention of five beams, each beam's query over its own fp32 cache
// (in the cache: a step reads a few hundred kB of them), as one batched call (CpuOps::attention_per_row) and as a
// call per beam, taking turns. 2 threads by default, wall time, the median of 400 calls.
//
// usage: attention_bench base|turbo [--threads N]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"
#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/thread_pool.h"
#include "support/random_weights.h"

namespace {

constexpr int64_t kKeys = 1500;        // Whisper's encoder positions
constexpr int kHeadDim = 64;           // every Whisper size's
constexpr int64_t kBytesVisited = 256 << 20;  // far beyond the caches
constexpr int kCalls = 400;

}  // namespace

int main(int argc, char** argv) {
  using namespace verbatim;
  using namespace verbatim::testing;
  const std::string shape = argc >= 2 ? argv[1] : "";
  int threads = 2;
  if (argc == 4 && std::strcmp(argv[2], "--threads") == 0) threads = std::max(1, std::atoi(argv[3]));
  if ((shape != "base" && shape != "turbo") || (argc != 2 && argc != 4)) {
    std::fprintf(stderr, "usage: attention_bench base|turbo [--threads N]\n");
    return 2;
  }
  const int heads = shape == "base" ? 8 : 20;
  const int64_t width = heads * kHeadDim, cache_values = kKeys * width;
  const int64_t caches = std::max<int64_t>(2, kBytesVisited / (2 * 2 * cache_values));  // keys and values, 2 bytes

  Rng rng(1);
  std::vector<std::vector<uint16_t>> keys(static_cast<std::size_t>(caches)), values(keys.size());
  std::vector<float> rows(static_cast<std::size_t>(cache_values));
  auto random_rows = [&] {
    for (float& x : rows) x = rng.normal(1.0f);
    return rows.data();
  };
  for (std::size_t c = 0; c < keys.size(); ++c) {
    keys[c].resize(static_cast<std::size_t>(cpu::key_cache_rows(kKeys) * width));
    cpu::to_key_cache(random_rows(), kKeys, width, heads, keys[c].data());
    values[c].resize(rows.size());
    cpu::to_value_cache(random_rows(), kKeys, width, heads, values[c].data());
  }
  ThreadPool pool(threads);
  for (int64_t queries : {1, 5}) {
    const std::vector<float> q = rng.normals(static_cast<std::size_t>(queries * width), 1.0f);
    std::vector<float> out(q.size());
    const cpu::AttentionShape attention{queries, kKeys, heads, kHeadDim, false};
    std::vector<double> times;
    for (int call = 0; call < kCalls; ++call) {
      const auto c = static_cast<std::size_t>(call % caches);
      const double start = bench::now_ms();
      cpu::attention(pool, attention, q.data(), width, keys[c].data(), values[c].data(), kKeys, out.data(), width,
                     nullptr);
      times.push_back(bench::now_ms() - start);
    }
    std::sort(times.begin(), times.end());
    std::printf("%s cross-attention, %lld quer%s, %d thread(s): %.3f ms (median; quartiles %.3f-%.3f)\n",
                shape.c_str(), static_cast<long long>(queries), queries == 1 ? "y" : "ies", threads,
                times[times.size() / 2], times[times.size() / 4], times[3 * times.size() / 4]);
  }

  constexpr int64_t kBeams = 5;
  for (int64_t positions : {48, 200}) {
    const cpu::AttentionShape attention{1, positions, heads, kHeadDim, false};
    const std::vector<float> q = rng.normals(static_cast<std::size_t>(kBeams * width), 1.0f);
    std::vector<std::vector<float>> beam_keys, beam_values;  // moved, never copied: the pointers stay valid
    std::vector<const float*> k, v;
    for (int64_t b = 0; b < kBeams; ++b) {
      k.push_back(beam_keys.emplace_back(rng.normals(static_cast<std::size_t>(positions * width), 1.0f)).data());
      v.push_back(beam_values.emplace_back(rng.normals(static_cast<std::size_t>(positions * width), 1.0f)).data());
    }
    std::vector<float> out(q.size());
    std::vector<double> batched, per_beam;
    for (int call = 0; call < kCalls; ++call) {
      double start = bench::now_ms();
      cpu::attention_batch(pool, attention, kBeams, q.data(), width, k.data(), v.data(), width, out.data(), width);
      batched.push_back(bench::now_ms() - start);
      start = bench::now_ms();
      for (int64_t b = 0; b < kBeams; ++b) {
        cpu::attention(pool, attention, q.data() + b * width, width, k[static_cast<std::size_t>(b)],
                       v[static_cast<std::size_t>(b)], width, out.data() + b * width, width, nullptr);
      }
      per_beam.push_back(bench::now_ms() - start);
    }
    std::sort(batched.begin(), batched.end());
    std::sort(per_beam.begin(), per_beam.end());
    std::printf("%s self-attention, %lld beams over %lld positions, %d thread(s): %.3f ms batched, %.3f ms a call "
                "per beam (medians)\n",
                shape.c_str(), static_cast<long long>(kBeams), static_cast<long long>(positions), threads,
                batched[batched.size() / 2], per_beam[per_beam.size() / 2]);
  }
  return 0;
}
