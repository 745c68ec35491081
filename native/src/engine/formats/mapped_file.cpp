#include "formats/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

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

std::size_t resident_mapped_bytes() {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  constexpr std::size_t kPagesAtOnce = 1 << 14;
#if defined(__linux__)
  // Linux: the pages this process has mapped in (bit 63 of each page's /proc/self/pagemap entry), as its RSS counts
  // them; mincore would also count pages of the file that are only in the page cache.
  const int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return 0;
  std::vector<uint64_t> entries(kPagesAtOnce);
#else
  // macOS has no pagemap: mincore says which of the file's pages are in memory.
  std::vector<char> resident(kPagesAtOnce);
#endif
  LiveMappings& live = live_mappings();
  std::lock_guard<std::mutex> lock(live.mutex);  // no mapping goes while its pages are counted
  std::size_t total = 0;
  for (const auto& [start, size] : live.ranges) {
    const std::size_t pages = (size + page - 1) / page;
    for (std::size_t first = 0; first < pages; first += kPagesAtOnce) {
      const std::size_t count = std::min(pages - first, kPagesAtOnce);
#if defined(__linux__)
      const auto at = static_cast<off_t>((start / page + first) * sizeof(uint64_t));
      const ssize_t got = ::pread(pagemap, entries.data(), count * sizeof(uint64_t), at);
      for (ssize_t i = 0; i < got / static_cast<ssize_t>(sizeof(uint64_t)); ++i)
        total += (entries[static_cast<std::size_t>(i)] >> 63) ? page : 0;
#else
      if (::mincore(reinterpret_cast<void*>(start + first * page), count * page, resident.data()) != 0) continue;
      for (std::size_t i = 0; i < count; ++i) total += (resident[i] & 1) ? page : 0;
#endif
    }
  }
#if defined(__linux__)
  ::close(pagemap);
#endif
  return total;
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
