// A file of 32-bit little-endian float samples (what the daemon decodes audio to), read a window at a time on a
// job's thread: a long recording's samples are never in memory whole.
#pragma once

#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <string>

namespace verbatim::addon {

class SampleFile {
 public:
  explicit SampleFile(const std::string& path) : path_(path), in_(path, std::ios::binary | std::ios::ate) {
    static_assert(sizeof(float) == 4, "samples are 32-bit floats");
    if (!in_) throw std::invalid_argument("could not open the decoded audio " + path);
    const std::streamoff bytes = in_.tellg();
    if (bytes < 0 || bytes % 4 != 0) {
      throw std::invalid_argument("the decoded audio " + path + " is not whole 32-bit float samples");
    }
    size_ = static_cast<std::size_t>(bytes) / 4;
  }

  std::size_t size() const { return size_; }

  void read(std::size_t first, std::size_t count, float* out) {
    in_.seekg(static_cast<std::streamoff>(first * 4));
    if (!in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count * 4))) {
      throw std::invalid_argument("could not read the decoded audio " + path_ + " (did it change during the job?)");
    }
  }

 private:
  std::string path_;
  std::ifstream in_;
  std::size_t size_ = 0;
};

}  // namespace verbatim::addon
