#include "formats/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>

#include "formats/tensor_file.h"

namespace verbatim {
namespace {

FormatError system_error(const std::string& path, const char* action, int error) {
  return FormatError(path + ": cannot " + action + ": " + std::strerror(error));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw system_error(path, "open", errno);
  }
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The address ranges of the live mappings (start -> size), so that release_mapped_pages can tell a mapped file's
// bytes from other memory. Never destroyed: a mapping may outlive static destruction's order.
struct LiveMappings {
  std::mutex mutex;
  std::map<uintptr_t, std::size_t> ranges;
};
LiveMappings& live_mappings() {
  static auto* mappings = new LiveMappings;
  return *mappings;
}

bool inside_a_mapping(const void* data, std::size_t size) {
  const auto begin = reinterpret_cast<uintptr_t>(data);
  LiveMappings& live = live_mappings();
  std::lock_guard<std::mutex> lock(live.mutex);
  auto after = live.ranges.upper_bound(begin);
  if (after == live.ranges.begin()) return false;
  const auto& [start, length] = *std::prev(after);
  return begin + size <= start + length;
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
  FileDescriptor fd(path);
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) throw system_error(path, "stat", errno);
  if (!S_ISREG(info.st_mode)) throw FormatError(path + ": not a regular file");
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ == 0) return;  // mmap rejects empty mappings; an empty file simply has no bytes
  void* mapping = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapping == MAP_FAILED) throw system_error(path, "map", errno);
  data_ = static_cast<const uint8_t*>(mapping);
  LiveMappings& live = live_mappings();
  std::lock_guard<std::mutex> lock(live.mutex);
  live.ranges[reinterpret_cast<uintptr_t>(data_)] = size_;
}

MappedFile::~MappedFile() {
  if (data_ == nullptr) return;
  {
    LiveMappings& live = live_mappings();
    std::lock_guard<std::mutex> lock(live.mutex);
    live.ranges.erase(reinterpret_cast<uintptr_t>(data_));
  }
  ::munmap(const_cast<uint8_t*>(data_), size_);
}

void release_mapped_pages(const void* data, std::size_t size) {
  if (!inside_a_mapping(data, size)) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + page - 1) / page * page, last = (begin + size) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

std::string read_text_file(const std::string& path, std::size_t max_bytes) {
  MappedFile file(path);
  if (file.size() > max_bytes) {
    throw FormatError(path + ": the file is " + std::to_string(file.size()) + " bytes, more than the " +
                      std::to_string(max_bytes) + " bytes expected of it");
  }
  if (file.size() == 0) return std::string();
  return std::string(reinterpret_cast<const char*>(file.data()), file.size());
}

}  // namespace verbatim
