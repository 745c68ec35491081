// A whole file mapped read-only into memory (RAII). Empty files are allowed and map to no bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace verbatim {

class MappedFile {
 public:
  // Throws FormatError naming the path and the system's reason when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }  // nullptr for an empty file
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Tells the system that these bytes of a read-only file mapping are not needed for now: their pages leave memory
// (touched again, they are read from the file again). Only whole pages inside the range are released, and only
// where the range lies inside a live MappedFile: other memory is left alone (its pages would come back as zeros).
void release_mapped_pages(const void* data, std::size_t size);

// How many bytes of the live mappings this process has in memory now (the model's weights, as its jobs have read them
// in): the part of its resident set that is mapped files.
std::size_t resident_mapped_bytes();

// Reads a whole (small) text file, such as config.json. Throws FormatError when it cannot be read.
std::string read_text_file(const std::string& path, std::size_t max_bytes);

}  // namespace verbatim
