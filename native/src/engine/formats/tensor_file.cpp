#include "formats/tensor_file.h"

#include <cstring>

#include "formats/byte_reading.h"
#include "formats/mapped_file.h"
#include "formats/tensor_formats.h"

namespace verbatim {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F64:
    case DType::U64:
    case DType::I64: return 8;
    case DType::F32:
    case DType::U32:
    case DType::I32: return 4;
    case DType::F16:
    case DType::BF16:
    case DType::U16:
    case DType::I16: return 2;
    case DType::U8:
    case DType::I8:
    case DType::Bool: return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::U8: return "U8";
    case DType::I8: return "I8";
    case DType::U16: return "U16";
    case DType::I16: return "I16";
    case DType::U32: return "U32";
    case DType::I32: return "I32";
    case DType::U64: return "U64";
    case DType::I64: return "I64";
    case DType::Bool: return "BOOL";
  }
  return "?";
}

int64_t TensorView::elements() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;  // cannot overflow: checked when the file was parsed
  return count;
}

bool tensor_nbytes(DType dtype, const std::vector<int64_t>& shape, uint64_t* nbytes) {
  uint64_t elements = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || !checked_mul(elements, static_cast<uint64_t>(dim), &elements)) return false;
  }
  if (elements > static_cast<uint64_t>(INT64_MAX)) return false;
  return checked_mul(elements, dtype_size(dtype), nbytes);
}

std::string format_shape(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + ")";
}

struct TensorFileParser {
  static std::unique_ptr<TensorFile> parse(const uint8_t* bytes, std::size_t size, const std::string& name) {
    static const uint8_t kZipLocalHeader[4] = {'P', 'K', 3, 4};
    static const uint8_t kZipEmptyArchive[4] = {'P', 'K', 5, 6};  // np.savez with no arrays
    const bool is_zip = size >= 4 && (std::memcmp(bytes, kZipLocalHeader, 4) == 0 ||
                                      std::memcmp(bytes, kZipEmptyArchive, 4) == 0);
    ParsedTensors parsed = is_zip ? parse_npz(bytes, size, name) : parse_safetensors(bytes, size, name);
    std::unique_ptr<TensorFile> file(new TensorFile());
    file->path_ = name;
    file->tensors_ = std::move(parsed.tensors);
    file->metadata_ = std::move(parsed.metadata);
    return file;
  }

  static std::unique_ptr<TensorFile> open(const std::string& path) {
    auto mapping = std::make_unique<MappedFile>(path);
    std::unique_ptr<TensorFile> file = parse(mapping->data(), mapping->size(), path);
    file->mapping_ = std::move(mapping);
    return file;
  }
};

std::unique_ptr<TensorFile> TensorFile::open(const std::string& path) { return TensorFileParser::open(path); }

std::unique_ptr<TensorFile> TensorFile::parse(const uint8_t* bytes, std::size_t size, const std::string& name) {
  return TensorFileParser::parse(bytes, size, name);
}

TensorFile::~TensorFile() = default;

const TensorView* TensorFile::find(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace verbatim
