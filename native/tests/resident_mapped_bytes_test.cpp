// resident_mapped_bytes (formats/mapped_file.h): the part of the process's resident set that is mapped files, which
// the daemon's memory report shows as the model's weights.
#include <doctest/doctest.h>

#include <string>

#include "formats/mapped_file.h"
#include "support/model_writer.h"

using namespace verbatim;

TEST_CASE("resident_mapped_bytes counts a mapped file's pages once they are read, and not after they are released") {
  test::TempDir dir;
  const std::string path = dir.file("weights.bin");
  constexpr std::size_t kBytes = 4 << 20;
  test::write_file(path, std::string(kBytes, 'w'));
  const std::size_t before = resident_mapped_bytes();
  MappedFile file(path);
  volatile unsigned sum = 0;
  for (std::size_t i = 0; i < file.size(); i += 4096) sum = sum + file.data()[i];  // every page read
  CHECK(resident_mapped_bytes() >= before + kBytes);
  release_mapped_pages(file.data(), file.size());
#if defined(__linux__)
  CHECK(resident_mapped_bytes() < before + kBytes / 2);  // macOS's mincore still sees them in the page cache
#endif
}
