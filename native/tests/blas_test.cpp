#include <doctest/doctest.h>

#include <vector>

#include "backends/cpu/blas.h"

TEST_CASE("sgemm multiplies row-major matrices, with and without transposes") {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};     // 2x3
  const std::vector<float> b = {7, 8, 9, 10, 11, 12};  // 3x2
  std::vector<float> c(4, 0.0f);
  verbatim::sgemm(false, false, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c == std::vector<float>{58, 64, 139, 154});

  const std::vector<float> bt = {7, 9, 11, 8, 10, 12};  // b transposed, 2x3
  std::vector<float> d(4, 1.0f);
  verbatim::sgemm(false, true, 2, 2, 3, 1.0f, a.data(), 3, bt.data(), 3, 1.0f, d.data(), 2);
  CHECK(d == std::vector<float>{59, 65, 140, 155});
}
