#include <doctest/doctest.h>

#include <cstring>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/q4_row_blocks.h"
#include "backends/cpu/thread_pool.h"
#include "support/random_weights.h"

using verbatim::DType;
using verbatim::KernelWeights;
using verbatim::ThreadPool;
using verbatim::WeightMatrix;
using verbatim::testing::Rng;
using verbatim::testing::StorageFormat;
using verbatim::testing::store_matrix;
namespace cpu = verbatim::cpu;

TEST_CASE("q4 row blocks: every row decodes as stored, bit for bit, and the stored bytes are left as they were") {
  const auto probe = store_matrix(std::vector<float>(64 * 64), 64, 64, StorageFormat::quantized(4, 64));
  if (!cpu::packs_row_blocks(probe.view())) {
    MESSAGE("this build has no AVX-512 VNNI kernels: 4-bit weights stay as stored");
    return;
  }
  ThreadPool pool(2);
  Rng rng(31);
  for (DType scales : {DType::F16, DType::BF16, DType::F32}) {
    for (int group : {32, 64, 128}) {
      // Rows: one, a whole block, blocks and a ragged last one (whose missing rows the copy fills with zeros).
      // Columns: whole runs of 128 (16 octets, a pass of the copy) and a part of one.
      for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 384}, {16, 384}, {83, 384},
                                                                               {83, 320}}) {
        if (cols % group != 0) continue;
        const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(rows * cols), 1.0f), rows, cols,
                                         StorageFormat::quantized(4, group, scales));
        const WeightMatrix original = stored.view();
        const std::vector<uint8_t> bytes_before(static_cast<const uint8_t*>(original.data),
                                                static_cast<const uint8_t*>(original.data) + rows * cols / 2);
        const KernelWeights packed = cpu::kernel_weights(pool, original);
        REQUIRE(packed.storage.get() != nullptr);
        CHECK(packed.matrix.layout == WeightMatrix::Layout::RowBlocks);
        CHECK(std::memcmp(bytes_before.data(), original.data, bytes_before.size()) == 0);

        std::vector<float> want(static_cast<std::size_t>(rows * cols)), got(want.size());
        cpu::decode_rows(original, 0, rows, want.data());
        cpu::decode_rows(packed.matrix, 0, rows, got.data());
        CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);

        const int64_t padded = (rows + cpu::kRowBlock - 1) / cpu::kRowBlock * cpu::kRowBlock;
        const auto* nibbles = static_cast<const uint8_t*>(packed.matrix.data);
        int64_t nonzero_padding = 0;
        for (int64_t block_row = rows; block_row < padded; ++block_row) {
          const int64_t block = block_row / cpu::kRowBlock, lane = block_row % cpu::kRowBlock;
          for (int64_t octet = 0; octet < cols / 8; ++octet) {
            for (int byte = 0; byte < 4; ++byte) {
              nonzero_padding += nibbles[(block * (cols / 8) + octet) * 64 + lane * 4 + byte] != 0;
            }
          }
        }
        CHECK_MESSAGE(nonzero_padding == 0, "rows ", rows, " group ", group);
      }
    }
  }
}

TEST_CASE("q4 row blocks: other formats and widths stay as they are, without a copy") {
  ThreadPool pool(1);
  Rng rng(32);
  for (const StorageFormat& storage : {StorageFormat::dense(WeightMatrix::Format::F16), StorageFormat::quantized(8, 64),
                                       StorageFormat::quantized(3, 64)}) {
    const auto stored = store_matrix(rng.normals(static_cast<std::size_t>(20 * 128), 1.0f), 20, 128, storage);
    const KernelWeights kept = cpu::kernel_weights(pool, stored.view());
    CHECK(kept.storage.get() == nullptr);
    CHECK(kept.matrix.data == stored.view().data);
    CHECK(kept.matrix.layout == WeightMatrix::Layout::Rows);
  }
}
