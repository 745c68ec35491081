// The matrix products of one Whisper decoder step, or of one streaming chunk of Nemotron's encoder, on the CPU backend,
// for 1 to 16 rows of x (one row: a greedy step; five: a step of five beams; a Nemotron chunk of 160, 560 or 1120 ms:
// 2, 7 or 14 rows), apart from attention and the rest of the step. Every weight matrix of the shape (random values,
// fp16 or MLX 4-bit with groups of 64) is multiplied once per step, so the weights come from memory as in decoding.
// One thread, and CPU time (the thread's own), so that on a shared machine the figure leaves out the time other
// processes held the core; what they do to the caches and memory still shows. The best of 4 steps.
//
// usage: products_bench base|turbo|nemotron fp16|4bit
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/thread_pool.h"
#include "support/random_weights.h"

namespace {

double thread_cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace verbatim;
  using namespace verbatim::testing;
  const std::string shape = argc == 3 ? argv[1] : "", format = argc == 3 ? argv[2] : "";
  if ((shape != "base" && shape != "turbo" && shape != "nemotron") || (format != "fp16" && format != "4bit")) {
    std::fprintf(stderr, "usage: products_bench base|turbo|nemotron fp16|4bit\n");
    return 2;
  }
  const bool nemotron = shape == "nemotron";
  const StorageFormat storage = format == "fp16" ? StorageFormat::dense(WeightMatrix::Format::F16)
                                                 : StorageFormat::quantized(4, 64);
  std::vector<std::pair<int64_t, int64_t>> shapes;
  if (nemotron) {
    // nemotron-speech-streaming-en-0.6b's 24 encoder layers (d 1024): each feed-forward's two matrices (twice),
    // attention's q, k, v, out, the convolution module's pointwise matrices (the first doubles for its GLU).
    for (int layer = 0; layer < 24; ++layer) {
      for (int ff = 0; ff < 2; ++ff) shapes.insert(shapes.end(), {{4096, 1024}, {1024, 4096}});
      for (int i = 0; i < 4; ++i) shapes.emplace_back(1024, 1024);
      shapes.insert(shapes.end(), {{2048, 1024}, {1024, 1024}});
    }
  } else {
    // Per layer: self-attention q, k, v, out; cross-attention q, out (its keys and values are computed once per
    // window); the MLP's two matrices. Then the logits against the token embedding.
    const int64_t width = shape == "base" ? 512 : 1280, vocabulary = 51865;
    const int layers = shape == "base" ? 6 : 4;
    for (int layer = 0; layer < layers; ++layer) {
      for (int i = 0; i < 6; ++i) shapes.emplace_back(width, width);
      shapes.emplace_back(4 * width, width);
      shapes.emplace_back(width, 4 * width);
    }
    shapes.emplace_back(vocabulary, width);
  }

  Rng rng(1);
  int64_t largest = 0, widest = 0, tallest = 0;  // the largest matrix's elements, the most columns and rows
  for (const auto& [rows, cols] : shapes) {
    largest = std::max(largest, rows * cols), widest = std::max(widest, cols), tallest = std::max(tallest, rows);
  }
  const std::vector<float> values = rng.normals(static_cast<std::size_t>(largest), 1.0f);
  std::vector<StoredMatrix> matrices;
  for (const auto& [rows, cols] : shapes) {
    matrices.push_back(store_matrix(std::vector<float>(values.begin(), values.begin() + rows * cols), rows, cols,
                                    storage));
  }
  ThreadPool pool(1);
  std::vector<KernelWeights> prepared;  // as the CPU backend holds them (4-bit: row blocks, where built)
  for (const StoredMatrix& matrix : matrices) prepared.push_back(cpu::kernel_weights(pool, matrix.view()));
  const std::vector<float> x = rng.normals(static_cast<std::size_t>(16 * widest), 1.0f);
  std::vector<float> y(static_cast<std::size_t>(16 * tallest));
  double one_row = 0;
  for (int m : nemotron ? std::vector<int>{1, 2, 7, 14} : std::vector<int>{1, 2, 5, 8, 16}) {
    double best = 1e30;
    for (int step = 0; step < 4; ++step) {
      const double start = thread_cpu_ms();
      for (const KernelWeights& matrix : prepared) {
        const WeightMatrix& w = matrix.matrix;
        cpu::matmul(pool, x.data(), m, w.cols, w, nullptr, y.data(), w.rows);
      }
      best = std::min(best, thread_cpu_ms() - start);
    }
    if (m == 1) one_row = best;
    std::printf("%s %s: %2d rows %7.2f ms (%.2f x one row)\n", shape.c_str(), format.c_str(), m, best, best / one_row);
  }
  return 0;
}
