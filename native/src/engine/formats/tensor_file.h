// Memory-mapped tensor containers: safetensors and numpy .npz (stored members, zip64 aware).
// Every parser bounds-checks and throws FormatError naming the file and the field; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace verbatim {

// A file that cannot be used as a model (or reference) file. The message names the file and the field.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DType { F32, F16, BF16, F64, U8, I8, U16, I16, U32, I32, U64, I64, Bool };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // safetensors spelling: "F32", "F16", "BF16", "U32", "I64", ...

struct TensorView {
  DType dtype;
  std::vector<int64_t> shape;
  // Points into the mapping owned by the TensorFile; valid while it lives. NOT ALIGNED in general: MLX,
  // safetensors and numpy's zip members place tensor data at arbitrary byte offsets, so read elements with
  // std::memcpy (or copy the tensor), never through a float* or uint32_t* cast of this pointer.
  const uint8_t* data;
  std::size_t nbytes;   // == product(shape) * dtype_size(dtype), checked at parse time

  int64_t elements() const;
};

class MappedFile;

class TensorFile {
 public:
  // Opens path as safetensors or npz (chosen by content, not by extension). Throws FormatError.
  static std::unique_ptr<TensorFile> open(const std::string& path);

  // Parses an in-memory image. The bytes must outlive the result; `name` is used in error messages.
  // (Used by the fuzz targets; open() maps the file and calls this.)
  static std::unique_ptr<TensorFile> parse(const uint8_t* bytes, std::size_t size, const std::string& name);

  ~TensorFile();
  TensorFile(const TensorFile&) = delete;
  TensorFile& operator=(const TensorFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const TensorView* find(const std::string& name) const;  // nullptr when absent
  // Metadata strings (safetensors "__metadata__"); empty for npz.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  TensorFile() = default;
  std::string path_;
  std::unique_ptr<MappedFile> mapping_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
  friend struct TensorFileParser;
};

}  // namespace verbatim
